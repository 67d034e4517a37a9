using System.Text.RegularExpressions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>The list side of working with records in a real browser: nav, quick search, header filters, bulk edit and delete, opening a record, and the global search.</summary>
[Collection(BrowserCollection.Name)]
public class RecordListTests(BrowserFixture browser)
{
    private static async Task<(SignedUpWorkspace Ws, Actor Owner)> WorkspaceWithSamplesAsync(RunningApp app)
    {
        var (owner, actor) = await app.WorkspaceAsync("Lists " + Guid.NewGuid().ToString("N")[..6], samples: true, ["b2b_sales_funnel"]);
        return (new SignedUpWorkspace(owner.User.Email!, owner.Slug, owner.Tenant.Id), actor);
    }

    private sealed record SignedUpWorkspace(string Email, string Slug, Guid TenantId);

    private static ILocator Rows(IPage page) => page.Locator(".crm-record-grid [data-testid=record-link]");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Search_filter_bulk_edit_delete_and_open_a_record(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (ws, owner) = await WorkspaceWithSamplesAsync(app);
        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, ws.Email);
        // Clicked while the home page was still prerendered (before its circuit was up), the nav link changed the
        // address but the list never rendered in two CI runs on PostgreSQL (no server error, no reconnect): a person
        // clicks an interactive page. Recorded in the closing note as a suspected start-up race to look into.
        await page.ReadyAsync("#tenant-home");

        // The nav lists the workspace's entity types; the list opens with the default view.
        await page.Locator("[data-testid=nav-entity-opportunity]").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/t/{ws.Slug}/r/opportunity$"));
        await page.ReadyAsync("#record-list");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "35");
        await Assertions.Expect(Rows(page)).ToHaveCountAsync(25);

        // Quick search.
        await page.Locator("#list-search").FillAsync("云帆");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "3");
        await Assertions.Expect(Rows(page)).ToHaveCountAsync(3);
        await page.Locator("#list-search").FillAsync("");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "35");

        // A header filter: stage is Proposal.
        await page.Locator("[data-testid=filter-stage]").ClickAsync();
        await page.Locator(".crm-column-filter label", new() { HasText = "Proposal" }).ClickAsync();
        await page.Locator("[data-testid=filter-apply]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=filter-chip-stage]")).ToContainTextAsync("Proposal");
        await using var db = app.Factory.Database.Factory.CreateForTenant(ws.TenantId);
        var proposalStages = await db.Stages.Where(s => s.Key == "proposal").Select(s => (Guid?)s.Id).ToListAsync();
        var proposals = await db.Records.CountAsync(r => proposalStages.Contains(r.StageId));
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", proposals.ToString());

        // Bulk edit: select two, set "Next step", all or nothing through the record writer.
        var boxes = page.Locator(".crm-record-grid tbody input[type=checkbox]");
        await boxes.Nth(0).CheckAsync();
        await boxes.Nth(1).CheckAsync();
        await Assertions.Expect(page.Locator("[data-testid=bulk-bar]")).ToContainTextAsync("2 selected");
        var chosen = new[] { await Rows(page).Nth(0).GetAttributeAsync("href"), await Rows(page).Nth(1).GetAttributeAsync("href") }
            .Select(h => Guid.Parse(h!.Split('/')[^1])).ToList();
        await page.Locator("[data-testid=bulk-edit]").ClickAsync();
        await page.Locator("#bulk-field").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Next step" }).ClickAsync();
        await page.Locator("[data-testid=bulk-edit-dialog] #f-next_step").FillAsync("Call the buyer on Monday");
        await page.Locator("[data-testid=bulk-edit-dialog] #f-next_step").PressAsync("Tab");
        await page.Locator("[data-testid=bulk-apply]").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("2 records updated");
        await Assertions.Expect(page.Locator("[data-testid=bulk-bar]")).ToHaveCountAsync(0);
        var edited = await db.Records.AsNoTracking().Where(r => chosen.Contains(r.Id)).Select(r => r.Values).ToListAsync();
        Assert.All(edited, v => Assert.Equal("Call the buyer on Monday", RecordWriter.ParseValues(v)["next_step"]!.GetValue<string>()));

        // Bulk delete asks with the count first.
        await boxes.Nth(0).CheckAsync();
        var doomed = Guid.Parse((await Rows(page).Nth(0).GetAttributeAsync("href"))!.Split('/')[^1]);
        await page.Locator("[data-testid=bulk-delete]").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("Delete 1 records?");
        await page.Locator(".mud-dialog button", new() { HasText = "Delete 1 records" }).ClickAsync();
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", (proposals - 1).ToString());
        Assert.False(await db.Records.AnyAsync(r => r.Id == doomed));

        // A row opens its record page.
        var href = await Rows(page).Nth(0).GetAttributeAsync("href");
        await Rows(page).Nth(0).ClickAsync();
        await page.WaitForURLAsync(new Regex($"/t/{ws.Slug}/r/opportunity/[0-9a-f-]{{36}}$"));
        Assert.EndsWith(href!, page.Url);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_search_box_suggests_records_and_enter_opens_all_results(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (ws, _) = await WorkspaceWithSamplesAsync(app);
        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, ws.Email);
        await page.ReadyAsync("#tenant-home");

        await page.Locator("#global-search-input").FillAsync("华瑞");
        await Assertions.Expect(page.Locator("[data-testid=search-hit]")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("[data-testid=search-all]")).ToBeVisibleAsync();
        await page.Locator("#global-search-input").PressAsync("Enter");

        // The circuit navigates (history push), which under CI's load can take longer than the default 20 s.
        await page.WaitForURLAsync(new Regex($"/t/{ws.Slug}/search\\?q="), new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
        await page.ReadyAsync("#search-page");
        await Assertions.Expect(page.Locator("[data-testid=search-group-company] [data-testid=search-result]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid=search-group-opportunity] [data-testid=search-result]")).ToHaveCountAsync(3);

        // From the results, "show all in the list" opens the list with the same search.
        await page.Locator("[data-testid=search-group-opportunity] a", new() { HasText = "Show all 3" }).ClickAsync();
        await page.WaitForURLAsync(new Regex($"/t/{ws.Slug}/r/opportunity\\?q="));
        await page.ReadyAsync("#record-list");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "3");
    }
}
