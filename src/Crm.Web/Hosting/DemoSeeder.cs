using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Crm.Web.Hosting;

public sealed class DemoOptions
{
    /// <summary>The published password of the demo login (README). Outside Development it is refused.</summary>
    public const string PublishedPassword = "Demo1234!";

    /// <summary>
    /// <c>Demo:Seed</c>: true seeds the demo workspace (on any database), false never does. Unset: seeded only in
    /// the Development environment on the embedded SQLite database (what <c>dotnet run</c> gives a newcomer).
    /// </summary>
    public bool? Seed { get; set; }
    public string Slug { get; set; } = "demo";
    public string Email { get; set; } = "demo@crm.local";
    public string Password { get; set; } = PublishedPassword;

    /// <summary>Whether the demo workspace is seeded in this environment on this database.</summary>
    public bool SeedsIn(IHostEnvironment environment, DatabaseProvider provider)
        => Seed ?? (environment.IsDevelopment() && provider == DatabaseProvider.Sqlite);

    /// <summary>The landing page may show the login only where it is the published one, in Development.</summary>
    public bool ShowsLoginIn(IHostEnvironment environment, DatabaseProvider provider)
        => environment.IsDevelopment() && SeedsIn(environment, provider);
}

/// <summary>
/// A <c>demo</c> workspace with a demo login, so a newcomer can look around at once: in Development on SQLite, or
/// wherever <c>Demo:Seed=true</c> says so. Its password is written to the log only in Development; elsewhere it
/// must be set (<c>Demo:Password</c>) to something other than the published one. Never twice.
/// </summary>
public static class DemoSeeder
{
    public static async Task SeedAsync(IServiceProvider services, ILogger logger)
    {
        var demo = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DemoOptions>>().Value;
        var database = services.GetRequiredService<DatabaseOptions>();
        var environment = services.GetRequiredService<IHostEnvironment>();
        var development = environment.IsDevelopment();
        if (!demo.SeedsIn(environment, database.Provider)) return;
        if (!development && demo.Password == DemoOptions.PublishedPassword)
        {
            logger.LogWarning("Demo workspace not seeded: outside Development, Demo:Seed=true needs a Demo:Password of your own (the default one is published).");
            return;
        }
        var password = development ? demo.Password : "(the configured Demo:Password)";

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        if (await db.Tenants.AnyAsync(t => t.Identifier == demo.Slug))
        {
            logger.LogInformation("Demo workspace: /t/{Slug}, sign in as {Email} / {Password}", demo.Slug, demo.Email, password);
            return;
        }
        var workspaces = scope.ServiceProvider.GetRequiredService<WorkspaceService>();
        var result = await workspaces.SignUpAsync(new SignupRequest(demo.Email, demo.Password, "Demo 演示用户", "演示公司 Demo Co.", demo.Slug));
        if (!result.Succeeded)
        {
            logger.LogWarning("Demo workspace not created: {Errors}", result.Errors.ToString());
            return;
        }
        foreach (var seeder in scope.ServiceProvider.GetServices<IDemoContentSeeder>())
            await seeder.SeedAsync(result.Tenant!, result.User!.Id);
        logger.LogInformation("Demo workspace created: /t/{Slug}, sign in as {Email} / {Password}", demo.Slug, demo.Email, password);
    }
}

/// <summary>Feature areas add demo content (templates, sample records) to the demo workspace.</summary>
public interface IDemoContentSeeder
{
    Task SeedAsync(TenantInfo tenant, Guid ownerId);
}
