using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Crm.Web.Hosting;

public static class DatabaseStartup
{
    /// <summary>
    /// Checks that the configured database answers, applies migrations, and seeds the demo workspace on the
    /// embedded database. Returns false (after a clear log line) when the database cannot be reached, so the
    /// process exits with a non-zero code instead of serving errors.
    /// </summary>
    public static async Task<bool> PrepareDatabaseAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Crm.Startup");
        var options = app.Services.GetRequiredService<DatabaseOptions>();
        var factory = app.Services.GetRequiredService<ICrmDbContextFactory>();
        try
        {
            await using var db = factory.CreateGlobal();
            if (options.MigrateOnStart)
            {
                // Creates the database when the server answers but it does not exist yet; throws when it does not answer.
                var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
                if (pending.Count > 0)
                {
                    logger.LogInformation("Applying {Count} migration(s) to {Provider}: {Migrations}", pending.Count, options.Provider, pending);
                    await db.Database.MigrateAsync();
                }
            }
            else if (!await db.Database.CanConnectAsync())
            {
                throw new InvalidOperationException("The database does not answer.");
            }
            logger.LogInformation("Database ready ({Provider}).", options.Provider);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogCritical(e, "Cannot reach the {Provider} database configured in Database:ConnectionString ({Reason}). " +
                "Check that the server is running and the connection string is right; the app will not start.",
                options.Provider, e.GetBaseException().Message);
            return false;
        }

        await DemoSeeder.SeedAsync(app.Services, logger);
        return true;
    }
}
