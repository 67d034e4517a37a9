using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Templates;

namespace Crm.Web.Hosting;

/// <summary>The demo workspace gets every starter template with its sample data, so each screen has something to show.</summary>
public sealed class StarterTemplatesDemoSeeder(TemplateCatalog catalog, TemplateInstaller installer, ILogger<StarterTemplatesDemoSeeder> logger) : IDemoContentSeeder
{
    public async Task SeedAsync(TenantInfo tenant, Guid ownerId)
    {
        var actor = new Actor(ownerId, "Demo", tenant, MemberRole.Owner);
        foreach (var entry in catalog.Entries)
        {
            var result = await installer.InstallAsync(actor, entry.Document, new InstallOptions(WithSampleData: true));
            if (result.Succeeded) logger.LogInformation("Demo: installed {Template} ({Samples} sample records)", entry.Document.Id, result.SampleRecords);
            else logger.LogWarning("Demo: template {Template} not installed: {Errors}", entry.Document.Id, result.Errors.ToString());
        }
    }
}
