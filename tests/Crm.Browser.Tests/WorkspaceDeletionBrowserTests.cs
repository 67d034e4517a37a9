using Crm.Core.Data;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// The owner deletes the workspace in a real browser: the danger zone's dialog says what goes, a wrong address is
/// refused under the field with nothing deleted, the right one closes the workspace and leads out of it, and its
/// address no longer opens.
/// </summary>
[Collection(BrowserCollection.Name)]
public class WorkspaceDeletionBrowserTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_owner_deletes_the_workspace_by_typing_its_address(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, _) = await app.WorkspaceAsync("Gone " + Guid.NewGuid().ToString("N")[..6], samples: false, [], culture: "en");
        await using var context = await browser.NewContextAsync(app, "en");
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.GotoAsync($"/t/{owner.Slug}/settings/workspace");
        await page.ReadyAsync("#workspace-settings");

        await page.Locator("#workspace-delete").ClickAsync();
        var dialog = page.Locator("#workspace-delete-dialog");
        await dialog.WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=workspace-delete-list] li")).ToHaveCountAsync(4);
        await ScreenshotTests.SaveAsync(page.Locator(".mud-dialog"), "workspace-delete");

        // A wrong address: refused under the field, the dialog stays, nothing is deleted.
        await page.Locator("#workspace-delete-confirm").FillAsync(owner.Slug + "x");
        await page.Locator("#workspace-delete-confirm-button").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog .mud-input-helper-text.mud-input-error")).ToContainTextAsync(owner.Slug);
        Assert.False(await DeletionRequestedAsync(app, owner.Tenant.Id));

        await page.Locator("#workspace-delete-confirm").FillAsync(owner.Slug);
        await page.Locator("#workspace-delete-confirm-button").ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/workspaces", StringComparison.Ordinal) || url.Contains("/workspaces?", StringComparison.Ordinal),
            new() { Timeout = 60_000 });
        Assert.True(await DeletionRequestedAsync(app, owner.Tenant.Id));

        var gone = await page.GotoAsync($"/t/{owner.Slug}/settings/workspace");
        Assert.Equal(404, gone!.Status);
    }

    /// <summary>The erasure row is written with the deletion (the tenants row itself may already be erased by the job).</summary>
    private static async Task<bool> DeletionRequestedAsync(RunningApp app, Guid tenantId)
    {
        await using var db = app.Factory.Services.GetRequiredService<ICrmDbContextFactory>().CreateGlobal();
        return await db.WorkspaceErasures.AnyAsync(e => e.TenantId == tenantId);
    }
}
