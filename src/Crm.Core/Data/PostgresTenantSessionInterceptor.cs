using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Crm.Core.Data;

/// <summary>
/// The second wall: on every opened connection, sets <c>app.tenant_id</c> to the context's tenant (or to
/// nothing for a global context). Row-level security policies on every tenant table compare against it, so
/// even a query that bypasses the EF filter sees only its own tenant's rows.
/// </summary>
public sealed class PostgresTenantSessionInterceptor : DbConnectionInterceptor
{
    public static readonly PostgresTenantSessionInterceptor Instance = new();
    public const string SettingName = "app.tenant_id";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var cmd = Command(connection, eventData);
        cmd.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var cmd = Command(connection, eventData);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static DbCommand Command(DbConnection connection, ConnectionEndEventData eventData)
    {
        var tenant = (eventData.Context as CrmDbContext)?.TenantId;
        var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT set_config('{SettingName}', @tenant, false)";
        var p = cmd.CreateParameter();
        p.ParameterName = "tenant";
        p.Value = tenant?.ToString() ?? "";
        cmd.Parameters.Add(p);
        return cmd;
    }
}
