using System.Text.Json.Nodes;
using Crm.Core.Records;
using Crm.Core.Search;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Search;

/// <summary>The search box finds records of every type by title and text fields, in this workspace only.</summary>
public class GlobalSearchServiceTests
{
    public GlobalSearchServiceTests() => System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");

    private static async Task<Workspace> WorkspaceAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        return ws;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Finds_records_of_several_types_by_title_grouped_by_type(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var results = await ws.Get<GlobalSearchService>().SearchAsync(ws.Owner, "云帆");

        // The company 杭州云帆…, its opportunities (云帆信息 …) and its contacts by e-mail (…@yunfan…) do not all say 云帆:
        // the company and the opportunities do.
        var company = Assert.Single(results.Groups, g => g.Entity.Key == "company");
        Assert.Equal("杭州云帆信息技术有限公司", Assert.Single(company.Hits).Title);
        var opportunities = Assert.Single(results.Groups, g => g.Entity.Key == "opportunity");
        Assert.Equal(3, opportunities.Total);
        Assert.All(opportunities.Hits, h => Assert.Contains("云帆", h.Title));
        Assert.Equal(["company", "opportunity"], results.Groups.Select(g => g.Entity.Key));
        Assert.Equal(4, results.Total);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Finds_records_by_a_text_field_and_says_which_field_matched(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var search = ws.Get<GlobalSearchService>();

        var byEmail = await search.SearchAsync(ws.Owner, "ZHANG.WEI@");
        var contact = Assert.Single(Assert.Single(byEmail.Groups).Hits);
        Assert.Equal("张伟", contact.Title);
        Assert.Equal("email", contact.MatchField);
        Assert.Equal("zhang.wei@yunfan.example.com", contact.MatchText);

        var byCity = await search.SearchAsync(ws.Owner, "苏州");
        var company = Assert.Single(Assert.Single(byCity.Groups, g => g.Entity.Key == "company").Hits);
        Assert.Equal("苏州金桥精密机械有限公司", company.Title);
        Assert.Null(company.MatchField); // the title says 苏州 too

        var byAutoNumber = await search.SearchAsync(ws.Owner, "opp-00001");
        Assert.Equal("code", Assert.Single(Assert.Single(byAutoNumber.Groups).Hits).MatchField);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Each_type_shows_its_first_hits_and_counts_them_all(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var results = await ws.Get<GlobalSearchService>().SearchAsync(ws.Owner, "有限公司", perType: 3);
        var companies = Assert.Single(results.Groups, g => g.Entity.Key == "company");
        Assert.Equal(12, companies.Total);
        Assert.Equal(3, companies.Hits.Count);
        Assert.Equal(companies.Hits.Select(h => h.Title).Order(StringComparer.CurrentCulture), companies.Hits.Select(h => h.Title));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Titles_that_start_with_the_text_come_first(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        Assert.True((await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", JsonValue.Create("Zeta Widgets"))))).Succeeded);
        Assert.True((await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", JsonValue.Create("Alpha Zeta Labs"))))).Succeeded);
        Assert.True((await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", JsonValue.Create("Beta zeta Co"))))).Succeeded);

        var hits = Assert.Single((await ws.Get<GlobalSearchService>().SearchAsync(ws.Owner, "zeta")).Groups).Hits;
        Assert.Equal(["Zeta Widgets", "Alpha Zeta Labs", "Beta zeta Co"], hits.Select(h => h.Title));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Another_workspace_is_never_searched(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        await using var other = await WorkspaceAsync(provider);
        var token = "qx" + Guid.NewGuid().ToString("N")[..8];
        Assert.True((await other.Records.CreateAsync(other.Owner, "company", RecordInput.Of(("name", JsonValue.Create("Secret " + token))))).Succeeded);

        Assert.Empty((await ws.Get<GlobalSearchService>().SearchAsync(ws.Owner, token)).Groups);
        Assert.Single((await other.Get<GlobalSearchService>().SearchAsync(other.Owner, token)).Groups);

        // The shared sample data exists in both: each workspace finds its own 12 companies only.
        var mine = Assert.Single((await ws.Get<GlobalSearchService>().SearchAsync(ws.Owner, "有限公司", perType: 50)).Groups, g => g.Entity.Key == "company");
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var ids = await db.Records.Select(r => r.Id).ToListAsync();
        Assert.Equal(12, mine.Hits.Count);
        Assert.All(mine.Hits, h => Assert.Contains(h.Id, ids));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Blank_text_finds_nothing_and_a_viewer_can_search(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        Assert.Empty((await ws.Get<GlobalSearchService>().SearchAsync(viewer, "   ")).Groups);
        Assert.NotEmpty((await ws.Get<GlobalSearchService>().SearchAsync(viewer, "华瑞")).Groups);
    }

    [Fact]
    public void An_excerpt_shows_the_text_around_the_match()
    {
        var text = new string('a', 100) + "needle" + new string('b', 100);
        var excerpt = GlobalSearchService.Excerpt(text, "NEEDLE");
        Assert.Contains("needle", excerpt);
        Assert.StartsWith("…", excerpt);
        Assert.EndsWith("…", excerpt);
        Assert.True(excerpt.Length <= 82);
        Assert.Equal("short text", GlobalSearchService.Excerpt("short text", "text"));
    }
}
