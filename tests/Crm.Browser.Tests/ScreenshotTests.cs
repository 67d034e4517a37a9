using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Opens the main screens in Chromium, checks each shows its content, and saves a screenshot of it.
/// The README's pictures come from here: <c>CRM_SCREENSHOTS_DIR=docs/screenshots dotnet test …</c>;
/// without the variable they go to a temporary folder.
/// </summary>
[Collection(BrowserCollection.Name)]
public class ScreenshotTests(BrowserFixture browser)
{
    private static readonly string Folder = Environment.GetEnvironmentVariable("CRM_SCREENSHOTS_DIR") is { Length: > 0 } dir
        ? Path.GetFullPath(dir)
        : Path.Combine(Path.GetTempPath(), "crm-screenshots");

    internal static async Task SaveAsync(IPage page, string name, bool fullPage = false)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Task.Delay(fullPage ? 1500 : 400); // MudBlazor's ripple and popover transitions; charts sizing themselves
        var png = await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        Assert.True(png.Length > 10_000, $"{name}.png is only {png.Length} bytes");
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
    }

    [Fact]
    public async Task The_main_screens_render_in_the_browser()
    {
        var app = await browser.AppAsync(Providers.Sqlite);
        var tag = Guid.NewGuid().ToString("N")[..4]; // the SQLite app is shared with other browser tests
        var owner = await app.Factory.SignUpAsync("Northwind 贸易", email: $"zhang.wei.{tag}@northwind.example", displayName: "张伟 Zhang Wei");
        var admin = await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Admin, $"anna.schmidt.{tag}@northwind.example", "Anna Schmidt");
        await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Member, $"li.na.{tag}@northwind.example", "李娜 Li Na");
        await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Viewer, $"tom.baker.{tag}@northwind.example", "Tom Baker");
        var invitations = app.Factory.Services.GetRequiredService<Crm.Core.Accounts.InvitationService>();
        await invitations.CreateAsync(new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner), "new.colleague@example.com", MemberRole.Member);

        await using (var anonymous = await browser.NewContextAsync(app))
        {
            var page = await anonymous.NewPageAsync();
            await page.GotoAsync("/");
            await Assertions.Expect(page.Locator(".crm-hero")).ToContainTextAsync("The CRM your team shapes itself");
            await SaveAsync(page, "landing");

            await page.GotoAsync("/account/signup");
            await page.Locator("#signup-form[data-ready='true']").WaitForAsync();
            await page.Locator("#displayName").FillAsync("Li Wei");
            await page.Locator("#email").FillAsync("li.wei@example.com");
            await page.Locator("#workspaceName").FillAsync("Acme Trading 贸易");
            await Assertions.Expect(page.Locator("#slug")).ToHaveValueAsync("acme-trading");
            await SaveAsync(page, "signup");
        }

        await using (var chinese = await browser.NewContextAsync(app, locale: "zh-CN"))
        {
            var page = await chinese.NewPageAsync();
            await page.GotoAsync("/");
            await Assertions.Expect(page.Locator(".crm-hero")).ToContainTextAsync("由您的团队自己塑造的 CRM");
            await SaveAsync(page, "landing-zh");
        }

        await using (var signedIn = await browser.NewContextAsync(app))
        {
            var page = await signedIn.NewPageAsync();
            await AccountFlowTests.SignInAsync(page, owner.User.Email!);
            await page.Locator("#tenant-home[data-ready='true']").WaitForAsync();
            await Assertions.Expect(page.Locator("#tenant-home")).ToContainTextAsync("Northwind 贸易");
            await SaveAsync(page, "workspace-home");

            await page.GotoAsync($"/t/{owner.Slug}/settings/members");
            await page.Locator("#members-page[data-ready='true']").WaitForAsync();
            await Assertions.Expect(page.Locator("#members-page")).ToContainTextAsync(admin.Email!);
            await Assertions.Expect(page.Locator("#members-page")).ToContainTextAsync("new.colleague@example.com");
            await SaveAsync(page, "members");
        }
    }
}
