using Bunit;
using Crm.Core.Metadata;
using Crm.Testing;
using Crm.Web.Components.Layout;
using Crm.Web.Components.Pages.Tenant.Search;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Components.Lists;

/// <summary>The nav menu's entity type links, and the search results page grouped by type.</summary>
public class NavAndSearchTests
{
    public NavAndSearchTests() => ListContext.UseCulture("en");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_nav_lists_active_entity_types_in_their_order_with_plural_labels(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var session = new TenantSession(f.Workspace.Tenant, f.Workspace.Owner);
        var cut = f.Context.Bunit.Render<NavMenu>(p => p.AddCascadingValue(session));

        List<string?> Keys() => cut.FindAll("[data-testid^=nav-entity-]").Select(a => a.GetAttribute("data-testid")).ToList();
        cut.WaitForAssertion(() => Assert.Equal(["nav-entity-company", "nav-entity-contact", "nav-entity-opportunity", "nav-entity-product"], Keys()));
        var link = cut.Find("[data-testid=nav-entity-opportunity]");
        Assert.Equal($"/t/{f.Slug}/r/opportunity", link.GetAttribute("href"));
        Assert.Contains("Opportunities", link.TextContent);
        Assert.Contains("Members", cut.Markup); // the other links stay

        // An archived entity type leaves the menu once the metadata version moves (checked on navigation).
        await using (var db = f.Workspace.Database.Factory.CreateForTenant(f.Workspace.Tenant.Id))
        {
            await db.EntityTypes.Where(e => e.Key == "contact").ExecuteUpdateAsync(s => s.SetProperty(e => e.IsArchived, true));
            await MetadataStore.BumpVersionAsync(db);
        }
        f.Context.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo($"/t/{f.Slug}/r/company");
        cut.WaitForAssertion(() => Assert.Equal(["nav-entity-company", "nav-entity-opportunity", "nav-entity-product"], Keys()));
    }

    /// <summary>A template installed into a blank workspace (as from 模板中心) shows its record types in the menu at once.</summary>
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_nav_shows_the_record_types_of_a_template_as_soon_as_it_is_installed(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await using var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            Crm.Core.CoreServiceCollectionExtensions.AddCrmCore(services, ws.Database.Provider, ws.Database.ConnectionString);
        });
        var cut = context.Bunit.Render<NavMenu>(p => p.AddCascadingValue(new TenantSession(ws.Tenant, ws.Owner)));
        cut.WaitForAssertion(() => Assert.Contains("Members", cut.Markup));
        Assert.Empty(cut.FindAll("[data-testid^=nav-entity-]"));

        // The app's own installer (the one the template center uses), no navigation afterwards.
        var entry = Workspace.Catalog.Find("b2b_sales_funnel")!;
        var result = await context.Bunit.Services.GetRequiredService<Crm.Core.Templates.TemplateInstaller>()
            .InstallAsync(ws.Owner, entry.Document, new Crm.Core.Templates.InstallOptions(WithSampleData: false));
        Assert.True(result.Succeeded, result.Errors.ToString());

        cut.WaitForAssertion(() => Assert.Equal(["nav-entity-company", "nav-entity-contact", "nav-entity-opportunity", "nav-entity-product"],
            cut.FindAll("[data-testid^=nav-entity-]").Select(a => a.GetAttribute("data-testid")).ToList()), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_results_page_groups_hits_by_type_with_links(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var session = new TenantSession(f.Workspace.Tenant, f.Workspace.Owner);
        f.Context.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo($"/t/{f.Slug}/search?q={Uri.EscapeDataString("zhang.wei@")}");
        var cut = f.Context.Bunit.Render<SearchPage>(p => p.Add(x => x.Slug, f.Slug).AddCascadingValue(session));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#search-page").GetAttribute("data-ready")));

        var group = cut.Find("[data-testid=search-group-contact]");
        Assert.Contains("Contacts", group.TextContent);
        var hit = group.QuerySelector("[data-testid=search-result]")!;
        Assert.Contains("张伟", hit.TextContent);
        Assert.Contains("zhang.wei@yunfan.example.com", hit.TextContent); // the field that matched
        Assert.Matches($"/t/{f.Slug}/r/contact/[0-9a-f-]{{36}}$", hit.GetAttribute("href") ?? hit.QuerySelector("a")?.GetAttribute("href") ?? "");
        Assert.Empty(cut.FindAll("[data-testid=search-group-company]"));
        Assert.Equal("1", cut.Find("#search-page").GetAttribute("data-total"));
    }
}
