using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Crm.Core.Data;

/// <summary>One place that turns <see cref="DatabaseOptions"/> into EF options: the app, the tests, the
/// design-time factories and the benchmark all configure the context here.</summary>
public static class CrmDatabase
{
    public const string SqliteMigrationsAssembly = "Crm.Migrations.Sqlite";
    public const string PostgresMigrationsAssembly = "Crm.Migrations.Postgres";

    public static DbContextOptions<CrmDbContext> BuildOptions(DatabaseProvider provider, string connectionString)
    {
        var builder = new DbContextOptionsBuilder<CrmDbContext>();
        Configure(builder, provider, connectionString);
        return builder.Options;
    }

    public static void Configure(DbContextOptionsBuilder builder, DatabaseProvider provider, string connectionString)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                builder.UseSqlite(connectionString, o => o.MigrationsAssembly(SqliteMigrationsAssembly));
                builder.AddInterceptors(SqlitePragmaInterceptor.Instance);
                break;
            case DatabaseProvider.Postgres:
                builder.UseNpgsql(connectionString, o => o.MigrationsAssembly(PostgresMigrationsAssembly));
                builder.AddInterceptors(PostgresTenantSessionInterceptor.Instance);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, null);
        }
        builder.UseSnakeCaseNamingConvention();
        // Pending model changes are a build-time error caught by a test, not a runtime one.
        builder.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }
}
