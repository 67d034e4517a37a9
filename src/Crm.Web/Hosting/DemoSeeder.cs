using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Crm.Web.Hosting;

public sealed class DemoOptions
{
    /// <summary>Seed a demo workspace on the embedded (SQLite) database at first start.</summary>
    public bool Enabled { get; set; } = true;
    public string Slug { get; set; } = "demo";
    public string Email { get; set; } = "demo@crm.local";
    public string Password { get; set; } = "Demo1234!";
}

/// <summary>
/// On a fresh embedded database: a <c>demo</c> workspace with a demo login, printed in the log, so a newcomer can
/// look around at once. Never on PostgreSQL (production) and never twice.
/// </summary>
public static class DemoSeeder
{
    public static async Task SeedAsync(IServiceProvider services, ILogger logger)
    {
        var demo = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DemoOptions>>().Value;
        var database = services.GetRequiredService<DatabaseOptions>();
        if (!demo.Enabled || database.Provider != DatabaseProvider.Sqlite) return;

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        if (await db.Tenants.AnyAsync(t => t.Identifier == demo.Slug))
        {
            logger.LogInformation("Demo workspace: /t/{Slug}, sign in as {Email} / {Password}", demo.Slug, demo.Email, demo.Password);
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
        logger.LogInformation("Demo workspace created: /t/{Slug}, sign in as {Email} / {Password}", demo.Slug, demo.Email, demo.Password);
    }
}

/// <summary>Feature areas add demo content (templates, sample records) to the demo workspace.</summary>
public interface IDemoContentSeeder
{
    Task SeedAsync(TenantInfo tenant, Guid ownerId);
}
