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
    private static async Task<ComponentTestContext> ContextAsync(string provider, string culture = "en")
    {
        var database = await TestDatabase.GetAsync(provider);
        return new ComponentTestContext(culture, services =>
        {
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
        Assert.Equal("acme", Slug(cut));

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
}
