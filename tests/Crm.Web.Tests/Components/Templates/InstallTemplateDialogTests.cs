using System.Text.Json.Nodes;
using Bunit;
using Crm.Core;
using Crm.Core.Templates;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Templates;
using Crm.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Templates;

/// <summary>The update preview shows what the upgrade keeps though the template dropped it, and warns of a second
/// element with the same label (a renamed key), in the user's language.</summary>
public class InstallTemplateDialogTests
{
    [Theory]
    [InlineData(Providers.Sqlite, "en", "Kept: no longer in the template", "same label as the stage \"proposal\"")]
    [InlineData(Providers.Postgres, "zh-CN", "保留：新版模板中已没有", "与阶段“proposal”同名")]
    public async Task The_update_preview_lists_kept_elements_and_warns_of_a_duplicate_label(string provider, string culture, string keptHeading, string twinLine)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc["version"] = "9.0.0";
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!;
        var fields = opportunity["fields"]!.AsArray();
        fields.Remove(fields.Single(f => (string)f!["key"]! == "next_step"));
        opportunity["pipelines"]!.AsArray().Single(p => (string)p!["key"]! == "b2b")!["stages"]!.AsArray().Single(s => (string)s!["key"]! == "proposal")!["key"] = "proposal_v2";
        var document = Json.Deserialize<TemplateDocument>(doc.ToJsonString())!;

        await using var context = new ComponentTestContext(culture, services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        var session = new TenantSession(ws.Tenant, ws.Owner);
        context.Bunit.Render<MudPopoverProvider>(p => p.AddCascadingValue(session));
        var dialogs = context.Bunit.Render<MudDialogProvider>(p => p.AddCascadingValue(session));
        var service = context.Bunit.Services.GetRequiredService<IDialogService>();
        await dialogs.InvokeAsync(() => service.ShowAsync<InstallTemplateDialog>("", new DialogParameters<InstallTemplateDialog>
        {
            { x => x.Document, document },
            { x => x.InstalledVersion, "1.2.0" },
        }));

        dialogs.WaitForAssertion(() => Assert.Contains("proposal_v2", dialogs.Find("[data-testid=plan-duplicate-labels]").TextContent));
        Assert.Contains(twinLine, dialogs.Find("[data-testid=plan-duplicate-labels]").TextContent);
        Assert.Contains(keptHeading, dialogs.Find("[data-testid=install-dialog]").TextContent);
    }

    [Theory]
    [InlineData(Providers.Sqlite, "en", "Renamed field: company.city → company.city_name", "Removed from the template: archived, data kept")]
    [InlineData(Providers.Postgres, "zh-CN", "字段改名：company.city → company.city_name", "模板中已移除：归档，数据保留")]
    public async Task The_update_preview_shows_renamed_keys_and_archived_fields(string provider, string culture, string renameLine, string archiveHeading)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc["version"] = "9.0.0";
        var company = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!;
        var fields = company["fields"]!.AsArray();
        var city = fields.Single(f => (string)f!["key"]! == "city")!;
        city["key"] = "city_name";
        city["renamedFrom"] = "city";
        fields.Remove(fields.Single(f => (string)f!["key"]! == "address"));
        company["removedFields"] = new JsonArray("address");
        doc["views"] = JsonNode.Parse(doc["views"]!.ToJsonString().Replace("\"city\"", "\"city_name\""));
        var document = Json.Deserialize<TemplateDocument>(doc.ToJsonString())!;

        await using var context = new ComponentTestContext(culture, services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        var session = new TenantSession(ws.Tenant, ws.Owner);
        context.Bunit.Render<MudPopoverProvider>(p => p.AddCascadingValue(session));
        var dialogs = context.Bunit.Render<MudDialogProvider>(p => p.AddCascadingValue(session));
        var service = context.Bunit.Services.GetRequiredService<IDialogService>();
        await dialogs.InvokeAsync(() => service.ShowAsync<InstallTemplateDialog>("", new DialogParameters<InstallTemplateDialog>
        {
            { x => x.Document, document },
            { x => x.InstalledVersion, "1.5.0" },
        }));

        dialogs.WaitForAssertion(() => Assert.Contains(archiveHeading, dialogs.Find("[data-testid=install-dialog]").TextContent));
        // The renamed and archived groups are open from the start.
        dialogs.WaitForAssertion(() => Assert.Contains(dialogs.FindAll("[data-testid=plan-rename]"), e => e.TextContent.Contains(renameLine, StringComparison.Ordinal)));
        Assert.Empty(dialogs.FindAll("[data-testid=plan-duplicate-labels]"));
        Assert.DoesNotContain(dialogs.FindAll("[data-kind=Add]"), e => e.TextContent.Contains("company.city_name", StringComparison.Ordinal));
    }
}
