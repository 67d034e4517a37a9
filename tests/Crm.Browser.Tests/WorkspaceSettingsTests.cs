using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>An admin finds the workspace's time zone by typing a city, saves, and the reloaded page shows it saved.</summary>
[Collection(BrowserCollection.Name)]
public class WorkspaceSettingsTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_picks_a_time_zone_by_city_and_saves_it(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, _) = await app.WorkspaceAsync("Zones " + Guid.NewGuid().ToString("N")[..6], samples: false, [], culture: "en");
        await using var context = await browser.NewContextAsync(app, "en");
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await Assertions.Expect(page.Locator("[data-testid=nav-workspace-settings]")).ToHaveAttributeAsync("href", $"/t/{owner.Slug}/settings/workspace");
        await page.GotoAsync($"/t/{owner.Slug}/settings/workspace");
        await page.ReadyAsync("#workspace-settings");
        await Assertions.Expect(page.Locator("#workspace-timezone")).ToHaveValueAsync("(UTC+00:00) UTC");

        await page.Locator("#workspace-timezone").FillAsync("");
        await page.Locator("#workspace-timezone").PressSequentiallyAsync("Shang");
        // The list is searched again while the text is typed (debounced) and re-rendered under the pointer: a click
        // that lands on an item being replaced is retried until the choice shows in the input.
        var item = page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Asia/Shanghai" });
        for (var attempt = 1; ; attempt++)
        {
            try { await item.ClickAsync(new() { Timeout = 5_000 }); }
            catch (TimeoutException) when (attempt < 5) { }
            if (await page.Locator("#workspace-timezone").InputValueAsync() == "(UTC+08:00) Asia/Shanghai" || attempt >= 5) break;
        }
        await Assertions.Expect(page.Locator("#workspace-timezone")).ToHaveValueAsync("(UTC+08:00) Asia/Shanghai");
        await page.Locator("#workspace-save").ClickAsync();

        // Saving reloads the page (a new circuit): allow for a busy machine.
        await page.Locator("[data-testid=workspace-saved]").WaitForAsync(new() { Timeout = 60_000 });
        await page.ReadyAsync("#workspace-settings");
        await Assertions.Expect(page.Locator("#workspace-timezone")).ToHaveValueAsync("(UTC+08:00) Asia/Shanghai");
        var stored = await app.Factory.Services.GetRequiredService<ITenantStore>().GetByIdAsync(owner.Tenant.Id);
        Assert.Equal("Asia/Shanghai", stored!.TimeZone);
    }
}
