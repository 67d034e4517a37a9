using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Crm.Core.Data;

/// <summary>
/// The tables of the access chart (departments, their members, custom roles, their assignments and permissions)
/// can also change through <c>ExecuteUpdate</c> / <c>ExecuteDelete</c>, which bypass SaveChanges: after such a
/// statement changes rows, this moves the tenant's metadata version on the same connection and transaction, so
/// the cached chart (<see cref="Permissions.AccessResolver"/>) is never older than the database.
/// SaveChanges bumps the version itself (<see cref="CrmDbContext"/>).
/// </summary>
public sealed partial class AccessVersionInterceptor : DbCommandInterceptor
{
    public static readonly AccessVersionInterceptor Instance = new();

    // PostgreSQL commands may start with the tenant's DO block (PostgresTenantSessionInterceptor), hence "(^|;)".
    [GeneratedRegex("""(^|;)\s*(UPDATE|DELETE\s+FROM)\s+"?(departments|department_members|role_definitions|member_role_assignments|entity_permissions)"?[\s;]""", RegexOptions.IgnoreCase)]
    private static partial Regex AccessStatement();

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (Bump(command, eventData, result) is { } bump) bump.ExecuteNonQuery();
        return result;
    }

    public override async ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (Bump(command, eventData, result) is { } bump)
            await using (bump)
                await bump.ExecuteNonQueryAsync(cancellationToken);
        return result;
    }

    private static DbCommand? Bump(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (result <= 0 || eventData.Context is not CrmDbContext { TenantId: { } tenant } db) return null;
        if (!AccessStatement().IsMatch(command.CommandText)) return null;
        var bump = command.Connection!.CreateCommand();
        bump.Transaction = command.Transaction;
        // The tenant id is a Guid (no injection); SQLite stores it as upper-case text.
        bump.CommandText = db.Database.IsSqlite()
            ? $"UPDATE tenant_settings SET metadata_version = metadata_version + 1 WHERE upper(tenant_id) = '{tenant.ToString().ToUpperInvariant()}'"
            // Behind PgBouncer nothing is set for the session: set the tenant for row-level security in the same batch.
            : $"SELECT set_config('{PostgresTenantSessionInterceptor.SettingName}', '{tenant}', true); UPDATE tenant_settings SET metadata_version = metadata_version + 1 WHERE tenant_id = '{tenant}'";
        return bump;
    }
}
