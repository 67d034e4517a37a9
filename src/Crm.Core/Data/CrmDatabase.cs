using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Crm.Core.Data;

/// <summary>One place that turns <see cref="DatabaseOptions"/> into EF options: the app, the tests, the
/// design-time factories and the benchmark all configure the context here.</summary>
public static class CrmDatabase
{
    public const string SqliteMigrationsAssembly = "Crm.Migrations.Sqlite";
    public const string PostgresMigrationsAssembly = "Crm.Migrations.Postgres";

    public static DbContextOptions<CrmDbContext> BuildOptions(DatabaseProvider provider, string connectionString, bool transactionPooling = false)
    {
        var builder = new DbContextOptionsBuilder<CrmDbContext>();
        Configure(builder, provider, connectionString, transactionPooling);
        return builder.Options;
    }

    /// <param name="transactionPooling">PostgreSQL behind PgBouncer in transaction mode: the tenant is set per
    /// transaction only (see <see cref="PostgresTenantSessionInterceptor"/>).</param>
    public static void Configure(DbContextOptionsBuilder builder, DatabaseProvider provider, string connectionString, bool transactionPooling = false)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                builder.UseSqlite(connectionString, o => o.MigrationsAssembly(SqliteMigrationsAssembly));
                builder.AddInterceptors(SqlitePragmaInterceptor.Instance);
                break;
            case DatabaseProvider.Postgres:
                builder.UseNpgsql(connectionString, o => o.MigrationsAssembly(PostgresMigrationsAssembly));
                builder.AddInterceptors(transactionPooling ? PostgresTenantSessionInterceptor.TransactionPooling : PostgresTenantSessionInterceptor.Session);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, null);
        }
        builder.AddInterceptors(AccessVersionInterceptor.Instance);
        builder.UseSnakeCaseNamingConvention();
        // Pending model changes are a build-time error caught by a test, not a runtime one.
        builder.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }
}
