using System.Text.RegularExpressions;
using Crm.Testing;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>A person signs up, signs out and signs in again in a real browser, on both databases.</summary>
[Collection(BrowserCollection.Name)]
public class AccountFlowTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sign_up_sign_out_and_sign_in_again(string provider)
    {
        var app = await browser.AppAsync(provider);
        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        var email = TestData.NewEmail("browser");
        const string password = "browser-123";
        var workspace = "Browser Test " + Guid.NewGuid().ToString("N")[..6];
        var slug = TestData.NewSlug("br");

        // Sign up: wait until the form is interactive, then type like a person.
        await page.GotoAsync("/account/signup");
        await page.ReadyAsync("#signup-form");
        await page.Locator("#displayName").FillAsync("Browser Person");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#workspaceName").FillAsync(workspace);
        await Assertions.Expect(page.Locator("#slug")).ToHaveValueAsync(SlugOf(workspace));
        await page.Locator("#slug").FillAsync(slug);
        await page.Locator("#signup-submit").ClickAsync();

        await page.WaitForURLAsync(new Regex($"/t/{slug}$"));
        await page.ReadyAsync("#tenant-home");
        await Assertions.Expect(page.Locator("#tenant-home")).ToContainTextAsync("Browser Person");
        await Assertions.Expect(page.Locator("#tenant-home")).ToContainTextAsync(workspace);

        // Sign out through the user menu.
        await page.Locator("[data-testid='user-menu']").ClickAsync();
        await page.Locator("[data-testid='sign-out']").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await page.GotoAsync($"/t/{slug}");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/account/login");

        // Sign in again: the single workspace opens.
        await page.GotoAsync("/account/login");
        await page.ReadyAsync("#login-form");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#login-submit").ClickAsync();

        await page.WaitForURLAsync(new Regex($"/t/{slug}$"));
        await page.ReadyAsync("#tenant-home");
        await Assertions.Expect(page.Locator("#tenant-home")).ToContainTextAsync(workspace);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Another_browser_without_a_session_is_sent_to_sign_in(string provider)
    {
        var app = await browser.AppAsync(provider);
        var owner = await app.Factory.SignUpAsync("Private " + Guid.NewGuid().ToString("N")[..6]);
        await using var signedIn = await browser.NewContextAsync(app);
        await using var stranger = await browser.NewContextAsync(app);

        var ownerPage = await signedIn.NewPageAsync();
        await SignInAsync(ownerPage, owner.User.Email!);
        await ownerPage.ReadyAsync("#tenant-home");

        var page = await stranger.NewPageAsync();
        await page.GotoAsync($"/t/{owner.Slug}");

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/account/login");
        Assert.Contains(Uri.EscapeDataString($"/t/{owner.Slug}"), page.Url, StringComparison.OrdinalIgnoreCase);
        await page.Locator("#login-form").WaitForAsync();
        Assert.DoesNotContain(owner.Tenant.Name, await page.ContentAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_wrong_password_is_refused_on_the_page(string provider)
    {
        var app = await browser.AppAsync(provider);
        var owner = await app.Factory.SignUpAsync();
        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/account/login");
        await page.ReadyAsync("#login-form");
        await page.Locator("#email").FillAsync(owner.User.Email!);
        await page.Locator("#password").FillAsync("wrong-password-1");
        await page.Locator("#login-submit").ClickAsync();

        await Assertions.Expect(page.Locator("[data-testid='login-error']")).ToContainTextAsync("not right");
        Assert.Equal("/account/login", new Uri(page.Url).AbsolutePath);
    }

    internal static async Task SignInAsync(IPage page, string email, string password = "secret-123")
    {
        await page.GotoAsync("/account/login");
        await page.ReadyAsync("#login-form");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#login-submit").ClickAsync();
        await page.WaitForURLAsync(new Regex("/t/[a-z0-9-]+$"));
    }

    /// <summary>
    /// Two companies with the same Chinese name sign up one after the other, neither typing an address: the first gets
    /// the pinyin address, the second the same with "-2", both on the first submit. The back button after signing
    /// up returns to the workspace, not to an empty sign-up form.
    /// </summary>
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Two_chinese_named_workspaces_sign_up_in_a_row_without_typing_an_address(string provider)
    {
        var app = await browser.AppAsync(provider);
        var name = TestData.NewChineseName();
        var stem = SlugOf(name);
        Assert.Matches("^[a-z]+keji$", stem);

        foreach (var expected in new[] { stem, stem + "-2" })
        {
            await using var context = await browser.NewContextAsync(app, "zh-CN");
            var page = await context.NewPageAsync();
            await page.GotoAsync("/account/signup");
            await page.ReadyAsync("#signup-form");
            await page.Locator("#email").FillAsync(TestData.NewEmail("pinyin"));
            await page.Locator("#password").FillAsync("browser-123");
            await page.Locator("#workspaceName").FillAsync(name);
            await Assertions.Expect(page.Locator("#slug")).ToHaveValueAsync(expected);
            await page.GetByText("空白工作区").ClickAsync();
            await page.Locator("#signup-submit").ClickAsync();
            await page.WaitForURLAsync(new Regex($"/t/{expected}$"));
            await page.ReadyAsync("#tenant-home");

            await page.GoBackAsync();
            await page.WaitForURLAsync(new Regex($"/t/{expected}$"));
            await Assertions.Expect(page.Locator("#signup-form")).ToHaveCountAsync(0);
        }
    }

    private static string SlugOf(string name) => Crm.Core.Tenancy.SlugRules.Derive(name);
}
