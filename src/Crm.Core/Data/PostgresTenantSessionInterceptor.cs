using System.Data.Common;
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
/// With a direct connection (<see cref="Session"/>) the value is also set for the session when the connection opens,
/// so ADO commands on the context's connection that bypass EF are covered too. Behind PgBouncer
/// (<see cref="TransactionPooling"/>) nothing is set for the session: such commands outside a transaction see no
/// tenant and therefore no tenant rows (the wall fails closed).
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

    public void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (_transactionPooling) return;
        using var cmd = SetCommand(connection, eventData.Context, local: false);
        cmd.ExecuteNonQuery();
    }

    public async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (_transactionPooling) return;
        await using var cmd = SetCommand(connection, eventData.Context, local: false);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        // Inside a transaction EF began, the value was set right after BEGIN. SaveChanges always runs in one
        // (CrmDbContext sets AutoTransactionBehavior.Always on PostgreSQL): its batches must not get the prefix,
        // because EF reads each statement's row count by position.
        if (eventData.Context?.Database.CurrentTransaction is not null) return result;
        if (NeedsPrefix(result.CommandText))
            result.CommandText = Prefix(eventData.Context) + result.CommandText;
        return result;
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
    public static string Prefix(Microsoft.EntityFrameworkCore.DbContext? context)
        => $"DO $crm_tenant$BEGIN PERFORM set_config('{SettingName}', '{ValueFor(context)}', true); END$crm_tenant$;\n";

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
