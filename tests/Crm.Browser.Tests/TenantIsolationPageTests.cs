using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Pages, not only the API, keep workspaces apart: a member of A who pastes the id of B's record into A's record
/// page, opens B's URLs, or searches for B's customer sees "not found" or "no access", never B's data.
/// </summary>
[Collection(BrowserCollection.Name)]
public class TenantIsolationPageTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_of_one_workspace_never_sees_anothers_records(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (a, actorA) = await app.WorkspaceAsync("Alpha " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"]);
        var (b, actorB) = await app.WorkspaceAsync("Beta " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"]);
        var records = app.Factory.Services.GetRequiredService<RecordService>();
        var mine = (await records.CreateAsync(actorA, "company", RecordInput.Of(("name", "Alpha Own Customer")))).Record!;
        var secret = (await records.CreateAsync(actorB, "company", RecordInput.Of(("name", "Beta Secret Customer")))).Record!;

        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, a.User.Email!);
        await page.ReadyAsync("#tenant-home");

        // A's own record opens.
        await page.GotoAsync($"/t/{a.Slug}/r/company/{mine.Id}");
        await page.ReadyAsync("#record-page");
        await Assertions.Expect(page.Locator("[data-testid=record-title]")).ToHaveTextAsync("Alpha Own Customer");

        // B's record id inside A's workspace: not found, and nothing of B on the page.
        await page.GotoAsync($"/t/{a.Slug}/r/company/{secret.Id}");
        await page.ReadyAsync("#record-page");
        await Assertions.Expect(page.Locator("#record-page [data-status='404']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("body")).Not.ToContainTextAsync("Beta Secret Customer");

        // A's list and search show only A's customers.
        await page.GotoAsync($"/t/{a.Slug}/r/company");
        await page.ReadyAsync("#record-list");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "1");
        await page.GotoAsync($"/t/{a.Slug}/search?q=Secret");
        await page.ReadyAsync("#search-page");
        await Assertions.Expect(page.Locator("[data-testid=search-result]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("body")).Not.ToContainTextAsync("Beta Secret Customer");

        // B's own URLs: no access (A is not a member of B), never B's data.
        foreach (var path in new[] { $"/t/{b.Slug}/r/company/{secret.Id}", $"/t/{b.Slug}/r/company", $"/t/{b.Slug}/board/opportunity", $"/t/{b.Slug}" })
        {
            var response = await page.GotoAsync(path);
            Assert.True(response!.Status is 403 or 404, $"{path} answered {response.Status}");
            await Assertions.Expect(page.Locator("body")).Not.ToContainTextAsync("Beta Secret Customer");
        }
    }
}
