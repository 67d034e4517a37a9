using Microsoft.EntityFrameworkCore.Migrations;

namespace Crm.Core.Data;

/// <summary>
/// PostgreSQL row-level security for tenant tables, written into the PostgreSQL migrations. FORCE makes the
/// policy apply to the table owner too (the app's own role), so a query that bypasses the EF filter still sees
/// only the tenant set on the connection by <see cref="PostgresTenantSessionInterceptor"/>.
/// A test checks that every tenant-owned table has it.
/// </summary>
public static class RowLevelSecurity
{
    public const string PolicyName = "tenant_isolation";

    private static string Predicate =>
        $"tenant_id = NULLIF(current_setting('{PostgresTenantSessionInterceptor.SettingName}', true), '')::uuid";

    public static void EnableTenantRowLevelSecurity(this MigrationBuilder migrationBuilder, params string[] tables)
    {
        foreach (var table in tables)
        {
            migrationBuilder.Sql($"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;");
            migrationBuilder.Sql($"ALTER TABLE {table} FORCE ROW LEVEL SECURITY;");
            migrationBuilder.Sql($"CREATE POLICY {PolicyName} ON {table} USING ({Predicate}) WITH CHECK ({Predicate});");
        }
    }

    public static void DisableTenantRowLevelSecurity(this MigrationBuilder migrationBuilder, params string[] tables)
    {
        foreach (var table in tables)
        {
            migrationBuilder.Sql($"DROP POLICY IF EXISTS {PolicyName} ON {table};");
            migrationBuilder.Sql($"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;");
            migrationBuilder.Sql($"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;");
        }
    }
}
