using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Crm.Core.Data;

/// <summary>
/// The second wall: tells PostgreSQL which tenant the context works for in <c>app.tenant_id</c> (empty for a
/// global context). Row-level security policies on every tenant table compare against it, so even a query that
/// bypasses the EF filter sees only its own tenant's rows.
/// <para>
/// It is set per transaction: a transaction EF begins (every SaveChanges on PostgreSQL runs in one) gets it with
/// <c>set_config(..., true)</c> right after <c>BEGIN</c>; every other command EF sends starts with a <c>DO</c> block
/// that sets it the same way, in the same round trip and the same implicit transaction as the statement. That is
/// what keeps it correct behind PgBouncer in transaction mode, where two statements of one client may run on two
/// server connections and a value set for the session would be seen by whoever gets that server connection next.
/// </para>
/// <para>
/// With a direct connection (<see cref="Session"/>) the value is also set for the session, so ADO commands on the
/// context's connection that bypass EF are covered too: not by a round trip of its own when the connection opens
/// (that was one round trip per request, cf14b), but by the first EF command sent on it outside a transaction,
/// whose prefix sets the value for the session instead of the transaction. If that command fails (its implicit
/// transaction, and with it the setting, is rolled back), the next one sets it again. Until then the session holds
/// no tenant (Npgsql resets a pooled connection's settings, <c>RESET ALL</c>, when it is handed out again), so an
/// ADO command sent before any EF command outside a transaction sees no tenant rows: the wall fails closed. Inside
/// a transaction EF began the value is set right after <c>BEGIN</c>, as before. Behind PgBouncer
/// (<see cref="TransactionPooling"/>) nothing is set for the session: such commands outside a transaction see no
/// tenant and therefore no tenant rows (the wall fails closed).
/// </para>
/// <para>
/// Once the session holds the context's tenant (the first command's prefix ran without error), later commands on
/// that connection outside a transaction are sent without the prefix (cf14d): the <c>DO</c> block is a PL/pgSQL
/// block compiled and run by the server for every statement, and a list sent four of them. What the session holds
/// is tracked per connection with its value, so a connection shared by another context (of another tenant, or a
/// global one) gets the prefix again; a failed or cancelled command (its implicit transaction, and with it the
/// setting, may have rolled back) and every open forget it. Behind PgBouncer in transaction mode every command
/// keeps the prefix. That tracking is right only if every transaction on such a connection is started through EF (which
/// sets the value for it) and nothing else sets the value: <c>TenantSessionRulesTests</c> holds the sources to that.
/// </para>
/// </summary>
public sealed class PostgresTenantSessionInterceptor : IDbConnectionInterceptor, IDbCommandInterceptor, IDbTransactionInterceptor
{
    /// <summary>Direct connections (or PgBouncer in session mode): per session and per transaction.</summary>
    public static readonly PostgresTenantSessionInterceptor Instance = new(transactionPooling: false);
    public static PostgresTenantSessionInterceptor Session => Instance;

    /// <summary>Behind PgBouncer in transaction mode: per transaction only.</summary>
    public static readonly PostgresTenantSessionInterceptor TransactionPooling = new(transactionPooling: true);

    public const string SettingName = "app.tenant_id";

    private readonly bool _transactionPooling;

    private PostgresTenantSessionInterceptor(bool transactionPooling) => _transactionPooling = transactionPooling;

    /// <summary>
    /// Open connections whose session holds a tenant setting made by a prefix, with its value (session mode only).
    /// A connection not in it holds none (freshly opened: Npgsql resets a pooled session) or one not known for sure.
    /// </summary>
    private static readonly ConditionalWeakTable<DbConnection, string> Held = new();

    public void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Held.Remove(connection);

    public Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ConnectionOpened(connection, eventData);
        return Task.CompletedTask;
    }

    public void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) => Held.Remove(connection);

    public Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        Held.Remove(connection);
        return Task.CompletedTask;
    }

    public DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        // Inside a transaction EF began, the value was set right after BEGIN. SaveChanges always runs in one
        // (CrmDbContext sets AutoTransactionBehavior.Always on PostgreSQL): its batches must not get the prefix,
        // because EF reads each statement's row count by position.
        if (eventData.Context?.Database.CurrentTransaction is not null) return result;
        if (NeedsPrefix(result.CommandText))
        {
            var value = ValueFor(eventData.Context);
            if (_transactionPooling || result.Connection is not { } connection)
                result.CommandText = Prefix(eventData.Context) + result.CommandText;
            // The session already holds this context's tenant: nothing to set (see the summary).
            else if (Held.TryGetValue(connection, out var held) && held == value) return result;
            else
            {
                // The first command on a freshly opened connection sets the value for the session; it counts as
                // held from now on, unless the command fails or is cancelled.
                Held.AddOrUpdate(connection, value);
                result.CommandText = Prefix(eventData.Context, session: true) + result.CommandText;
            }
        }
        return result;
    }

    /// <summary>A failed command rolled back its implicit transaction, the session setting with it: the next command sets it again.</summary>
    public void CommandFailed(DbCommand command, CommandErrorEventData eventData)
    {
        if (!_transactionPooling && command.Connection is { } connection && eventData.Context?.Database.CurrentTransaction is null)
            Held.Remove(connection);
    }

    /// <summary>A cancelled command may have rolled its implicit transaction back too: the same as a failure.</summary>
    public void CommandCanceled(DbCommand command, CommandEndEventData eventData)
    {
        if (!_transactionPooling && command.Connection is { } connection && eventData.Context?.Database.CurrentTransaction is null)
            Held.Remove(connection);
    }

    public Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        CommandCanceled(command, eventData);
        return Task.CompletedTask;
    }

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        CommandFailed(command, eventData);
        return Task.CompletedTask;
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        using var cmd = SetCommand(connection, eventData.Context, local: true);
        cmd.Transaction = result;
        cmd.ExecuteNonQuery();
        return result;
    }

    public async ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        await using var cmd = SetCommand(connection, eventData.Context, local: true);
        cmd.Transaction = result;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        return result;
    }

    /// <summary>The tenant of the context as the setting's value ("" for a global context).</summary>
    public static string ValueFor(Microsoft.EntityFrameworkCore.DbContext? context) => (context as CrmDbContext)?.TenantId?.ToString("D") ?? "";

    /// <summary>
    /// A statement that returns no rows (so readers are positioned on the real statement's result) and sets the
    /// value until the end of the transaction the batch runs in. The value is a GUID formatted here, never input.
    /// </summary>
    public static string Prefix(Microsoft.EntityFrameworkCore.DbContext? context, bool session = false)
        => $"DO $crm_tenant$BEGIN PERFORM set_config('{SettingName}', '{ValueFor(context)}', {(session ? "false" : "true")}); END$crm_tenant$;\n";

    /// <summary>Statements PostgreSQL refuses inside a transaction block run without the prefix (they read no tenant data).</summary>
    private static bool NeedsPrefix(string? sql)
    {
        if (string.IsNullOrWhiteSpace(sql)) return false;
        var text = sql.TrimStart();
        return !(text.StartsWith("VACUUM", StringComparison.OrdinalIgnoreCase)
                 || text.StartsWith("CREATE DATABASE", StringComparison.OrdinalIgnoreCase)
                 || text.StartsWith("DROP DATABASE", StringComparison.OrdinalIgnoreCase)
                 || text.Contains("CONCURRENTLY", StringComparison.OrdinalIgnoreCase));
    }

    private static DbCommand SetCommand(DbConnection connection, Microsoft.EntityFrameworkCore.DbContext? context, bool local)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT set_config('{SettingName}', @tenant, {(local ? "true" : "false")})";
        var p = cmd.CreateParameter();
        p.ParameterName = "tenant";
        p.Value = ValueFor(context);
        cmd.Parameters.Add(p);
        return cmd;
    }
}
