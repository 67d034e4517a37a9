using Crm.Core.Accounts;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// The audit log in Chromium: a failed sign-in on the way to a workspace lands in its log with the browser's
/// address and user agent (taken in the circuit of the sign-in page), the admin page lists it as a sentence.
/// </summary>
[Collection(BrowserCollection.Name)]
public class AuditLogBrowserTests(BrowserFixture browser)
{
    [Fact]
    public async Task A_failed_sign_in_from_the_browser_shows_on_the_admins_audit_page_with_its_origin()
    {
        var app = await browser.AppAsync(Providers.Sqlite);
        var tag = Guid.NewGuid().ToString("N")[..4];
        var owner = await app.Factory.SignUpAsync("Northwind 贸易", email: $"audit.owner.{tag}@northwind.example", displayName: "张伟 Zhang Wei");
        var actor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner) { Origin = RequestOrigin.Of("10.0.0.8", "Mozilla/5.0 (Windows NT 10.0) Edge/131") };
        var services = app.Factory.Services;
        var member = await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Member, $"li.na.{tag}@northwind.example", "李娜 Li Na");
        await services.GetRequiredService<InvitationService>().CreateAsync(actor, $"new.colleague.{tag}@example.com", MemberRole.Member);
        await services.GetRequiredService<MembershipService>().ChangeRoleAsync(actor, member.Id, MemberRole.Admin);
        var installed = await services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        await services.GetRequiredService<ApiKeyService>().CreateAsync(actor, new ApiKeyRequest("ERP 同步", MemberRole.Member));

        await using var context = await browser.NewContextAsync(app, locale: "zh-CN");
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/account/login?returnUrl={Uri.EscapeDataString($"/t/{owner.Slug}")}");
        await page.ReadyAsync("#login-form");
        await page.Locator("#email").FillAsync(owner.User.Email!);
        await page.Locator("#password").FillAsync("wrong-password-1");
        await page.Locator("#login-submit").ClickAsync();
        await page.Locator("[data-testid=login-error]").WaitForAsync();
        await page.Locator("#password").FillAsync("secret-123");
        await page.Locator("#login-submit").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == $"/t/{owner.Slug}");

        await page.GotoAsync($"/t/{owner.Slug}/settings/audit");
        await page.ReadyAsync("#audit-page");
        var table = page.Locator("[data-testid=audit-table]");
        await Assertions.Expect(table).ToContainTextAsync("登录失败");
        await Assertions.Expect(table).ToContainTextAsync("登录成功");
        await Assertions.Expect(table).ToContainTextAsync("安装了模板");
        await Assertions.Expect(table).ToContainTextAsync("修改了 李娜 Li Na");
        await Assertions.Expect(table).ToContainTextAsync("wrong-password");
        // The failed attempt was made in the sign-in page's circuit: its origin is the browser's.
        var failedRow = table.Locator("tr", new LocatorLocatorOptions { Has = page.Locator("[data-action='auth.signin-failed']") });
        await Assertions.Expect(failedRow).ToContainTextAsync("127.0.0.1");
        await Assertions.Expect(failedRow).ToContainTextAsync("Chrome");
        await Assertions.Expect(page.Locator("#audit-export")).ToHaveAttributeAsync("href", $"/t/{owner.Slug}/api/audit.csv");
        await ScreenshotTests.SaveAsync(page, "audit");
    }
}
