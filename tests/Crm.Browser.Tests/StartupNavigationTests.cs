using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Crm.Testing;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// A person who clicks a link while the page is still starting up (shown from the server's first render, its circuit
/// not yet connected) gets the page they clicked. Before the fix, Blazor's enhanced navigation fetched the new page
/// while the circuit was starting: the circuit then rendered the page it had started with, and the address showed the
/// list over the home page's content, for good (seen twice in CI, on PostgreSQL, as a list that never appeared).
/// Since every page here is interactive, links are followed by a full page load until the interactive router takes
/// over (<c>data-enhance-nav="false"</c> on the body; decisions: "Links before the circuit is up").
/// </summary>
[Collection(BrowserCollection.Name)]
public class StartupNavigationTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_nav_click_before_the_circuit_is_up_opens_the_clicked_page(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, _) = await app.WorkspaceAsync("Startup " + Guid.NewGuid().ToString("N")[..6], samples: true, ["b2b_sales_funnel"]);
        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");

        // The next page load's circuit is held at its first request, so the click below lands on a page that is only
        // the server's first render — deterministically, not by racing the browser.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var negotiations = 0;
        await page.RouteAsync("**/_blazor/negotiate*", async route =>
        {
            if (Interlocked.Increment(ref negotiations) == 1) await release.Task;
            try { await route.ContinueAsync(); }
            catch (PlaywrightException) { /* the held page was left; its request is gone */ }
        });
        var listRequests = new ConcurrentQueue<IRequest>();
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith($"/t/{owner.Slug}/r/opportunity", StringComparison.Ordinal)) listRequests.Enqueue(request);
        };

        await page.GotoAsync($"/t/{owner.Slug}", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        Assert.NotEqual("true", await page.Locator("#tenant-home").GetAttributeAsync("data-ready"));
        await page.Locator("[data-testid=nav-entity-opportunity]").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/t/{owner.Slug}/r/opportunity$"));
        release.SetResult();

        await page.ReadyAsync("#record-list");
        Assert.Equal(0, await page.Locator("#tenant-home").CountAsync());
        // The list came as a page load, not as an enhanced-navigation fetch patched into a page whose circuit was
        // starting with the old address.
        var requests = listRequests.ToArray();
        Assert.Contains(requests, r => r.IsNavigationRequest && r.ResourceType == "document");
        Assert.DoesNotContain(requests, r => r.Headers.TryGetValue("accept", out var accept) && accept.Contains("blazor-enhanced-nav", StringComparison.Ordinal));
    }
}
