using Bunit;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Testing;
using Crm.Web.Accounts;
using Crm.Web.Components.Pages.Account;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components;

/// <summary>The sign-up form's own logic: the slug follows the workspace name until edited, and is checked as typed.</summary>
public class SignupPageTests
{
    private static async Task<ComponentTestContext> ContextAsync(string provider, string culture = "en", System.Security.Claims.ClaimsPrincipal? user = null)
    {
        var database = await TestDatabase.GetAsync(provider);
        return new ComponentTestContext(culture, services =>
        {
            if (user is not null)
            {
                services.AddCascadingAuthenticationState();
                services.AddSingleton<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider>(new SignedIn(user));
            }
            services.AddLogging();
            services.AddCrmCore(database.Provider, database.ConnectionString);
            services.AddIdentityCore<ApplicationUser>(o => { o.Password.RequiredLength = 8; o.Password.RequireUppercase = false; o.Password.RequireNonAlphanumeric = false; })
                .AddEntityFrameworkStores<CrmDbContext>().AddErrorDescriber<LocalizedIdentityErrorDescriber>();
            services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
            services.AddSingleton<SignInTickets>();
            services.AddSingleton(new Crm.Core.Templates.TemplateCatalog(Crm.Core.Templates.TemplateCatalog.DefaultFolder(AppContext.BaseDirectory)));
        });
    }

    private static IRenderedComponent<Signup> RenderSignup(ComponentTestContext context)
    {
        context.Bunit.Render<MudPopoverProvider>();
        return context.Bunit.Render<Signup>();
    }

    private static string? Slug(IRenderedComponent<Signup> cut) => cut.Find("#slug").GetAttribute("value");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Typing_a_workspace_name_fills_the_slug(string provider)
    {
        await using var context = await ContextAsync(provider);
        var cut = RenderSignup(context);
        Assert.Equal("true", cut.Find("#signup-form").GetAttribute("data-ready"));

        await cut.InputAsync("#workspaceName", "Acme Trading Co");
        Assert.Equal("acme-trading-co", Slug(cut));

        await cut.InputAsync("#workspaceName", "北京 Acme 科技");
        Assert.Equal("beijing-acme-keji", Slug(cut));

        await cut.InputAsync("#workspaceName", "");
        Assert.Equal("", Slug(cut) ?? "");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Once_the_slug_is_edited_the_name_no_longer_changes_it(string provider)
    {
        await using var context = await ContextAsync(provider);
        var cut = RenderSignup(context);

        await cut.InputAsync("#workspaceName", "First Name");
        await cut.InputAsync("#slug", "my-own-slug");
        Assert.Equal("my-own-slug", Slug(cut));

        await cut.InputAsync("#workspaceName", "Completely Different");
        Assert.Equal("my-own-slug", Slug(cut));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_taken_or_reserved_slug_is_reported_while_typing(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var taken = await database.CreateTenantAsync();
        await using var context = await ContextAsync(provider);
        var cut = RenderSignup(context);

        await cut.InputAsync("#slug", taken.Identifier);
        cut.WaitForAssertion(() => Assert.Contains("already taken", cut.Markup), TimeSpan.FromSeconds(5));

        await cut.InputAsync("#slug", TestData.NewSlug("free"));
        cut.WaitForAssertion(() => Assert.DoesNotContain("already taken", cut.Markup), TimeSpan.FromSeconds(5));

        await cut.InputAsync("#slug", "admin");
        cut.WaitForAssertion(() => Assert.Contains("reserved", cut.Markup), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Submitting_invalid_input_shows_errors_by_field_and_stays_on_the_page(string provider)
    {
        await using var context = await ContextAsync(provider);
        var nav = context.Bunit.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        var cut = RenderSignup(context);

        await cut.InputAsync("#email", "not-an-email");
        await cut.InputAsync("#password", "short");
        await cut.InputAsync("#workspaceName", "Valid Name");
        await cut.Find("#signup-form").SubmitAsync();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("This is not a valid e-mail address.", cut.Markup);
            Assert.Contains("The password must be at least 8 characters long.", cut.Markup);
        }, TimeSpan.FromSeconds(5));
        Assert.DoesNotContain("already taken", cut.Markup);
        Assert.DoesNotContain("complete-signin", nav.Uri);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Submitting_right_after_typing_the_slug_uses_the_typed_slug(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var context = await ContextAsync(provider);
        var nav = context.Bunit.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        var cut = RenderSignup(context);
        var slug = TestData.NewSlug("typed");

        await cut.InputAsync("#email", TestData.NewEmail());
        await cut.InputAsync("#password", "secret-123");
        await cut.InputAsync("#workspaceName", "Quick Typist");
        await cut.InputAsync("#slug", slug);
        await cut.Find("#signup-form").SubmitAsync();

        cut.WaitForAssertion(() => Assert.Contains("complete-signin", nav.Uri), TimeSpan.FromSeconds(5));
        Assert.Contains(Uri.EscapeDataString($"/t/{slug}"), nav.Uri);
        await using var db = database.Factory.CreateGlobal();
        var tenant = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.Tenants, t => t.Identifier == slug);
        Assert.Equal("Quick Typist", tenant.Name);
    }

    private static async Task FillAccountAsync(IRenderedComponent<Signup> cut, string email)
    {
        await cut.InputAsync("#email", email);
        await cut.InputAsync("#password", "secret-123");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_taken_chinese_name_is_offered_the_next_free_address_while_typing(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var name = TestData.NewChineseName();
        var stem = Crm.Core.Tenancy.SlugRules.Derive(name);
        await using (var db = database.Factory.CreateGlobal())
        {
            db.Tenants.Add(new Crm.Core.Tenancy.TenantInfo { Identifier = stem, Name = name });
            await db.SaveChangesAsync();
        }
        await using var context = await ContextAsync(provider);
        var cut = RenderSignup(context);

        await cut.InputAsync("#workspaceName", name);

        cut.WaitForAssertion(() => Assert.Equal(stem + "-2", Slug(cut)), TimeSpan.FromSeconds(5));
        Assert.Contains($"Available: /t/{stem}-2", cut.Markup);
        Assert.DoesNotContain("already taken", cut.Markup);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Two_chinese_workspaces_sign_up_in_a_row_without_typing_an_address(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var name = TestData.NewChineseName();
        var stem = Crm.Core.Tenancy.SlugRules.Derive(name);

        foreach (var expected in new[] { stem, stem + "-2" })
        {
            await using var context = await ContextAsync(provider);
            var nav = context.Bunit.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
            var cut = RenderSignup(context);
            await FillAccountAsync(cut, TestData.NewEmail());
            await cut.InputAsync("#workspaceName", name);
            // Submitted at once, before the availability check after the pause: the second one still gets a free address.
            await cut.Find("#signup-form").SubmitAsync();

            cut.WaitForAssertion(() => Assert.Contains("complete-signin", nav.Uri), TimeSpan.FromSeconds(10));
            Assert.Contains(Uri.EscapeDataString($"/t/{expected}"), nav.Uri);
        }
        await using var check = database.Factory.CreateGlobal();
        Assert.Equal(2, await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(check.Tenants, t => t.Name == name));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_registered_e_mail_offers_a_sign_in_link_with_the_address(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var user = await database.CreateUserAsync();
        await using var context = await ContextAsync(provider);
        var cut = RenderSignup(context);

        await FillAccountAsync(cut, user.Email!);
        await cut.InputAsync("#workspaceName", "Second Try");
        await cut.Find("#signup-form").SubmitAsync();

        cut.WaitForAssertion(() => Assert.Equal($"/account/login?email={Uri.EscapeDataString(user.Email!)}", cut.Find("#signup-email-signin").GetAttribute("href")), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_signed_in_person_is_sent_to_their_workspace_instead_of_an_empty_form(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var tenant = await database.CreateTenantAsync();
        var (user, _) = await database.CreateMemberAsync(tenant, Crm.Core.Tenancy.MemberRole.Owner);
        var principal = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, user.Id.ToString())], "test"));
        await using var context = await ContextAsync(provider, user: principal);
        var nav = context.Bunit.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();

        var cut = RenderSignup(context);

        cut.WaitForAssertion(() => Assert.EndsWith($"/t/{tenant.Identifier}", nav.Uri), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_reload_during_sign_up_explains_that_the_account_exists(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var user = await database.CreateUserAsync();
        await using var context = await ContextAsync(provider);
        context.Bunit.JSInterop.Setup<string?>("sessionStorage.getItem", "crm-signup-pending").SetResult(user.Email);

        var cut = RenderSignup(context);

        cut.WaitForAssertion(() => Assert.Contains($"The account {user.Email} exists", cut.Find("#signup-interrupted").TextContent), TimeSpan.FromSeconds(5));
        Assert.Contains("email=", cut.Find("#signup-interrupted-signin").GetAttribute("href"));
        Assert.Contains(context.Bunit.JSInterop.Invocations, i => i.Identifier == "sessionStorage.removeItem");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_reload_before_anything_was_saved_says_to_submit_again(string provider)
    {
        await using var context = await ContextAsync(provider);
        context.Bunit.JSInterop.Setup<string?>("sessionStorage.getItem", "crm-signup-pending").SetResult(TestData.NewEmail());

        var cut = RenderSignup(context);

        cut.WaitForAssertion(() => Assert.Contains("Nothing was created", cut.Find("#signup-interrupted").TextContent), TimeSpan.FromSeconds(5));
        Assert.Empty(cut.FindAll("#signup-interrupted-signin"));
    }

    private sealed class SignedIn(System.Security.Claims.ClaimsPrincipal user) : Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider
    {
        public override Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new Microsoft.AspNetCore.Components.Authorization.AuthenticationState(user));
    }
}
