using System.Net;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;

namespace Crm.Web.Tests.Http;

/// <summary>Who may open which workspace page, over HTTP (the first request of every circuit).</summary>
public class TenantAccessTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [InlineData(Providers.Sqlite, "en", "Page not found")]
    [InlineData(Providers.Postgres, "en", "Page not found")]
    [InlineData(Providers.Sqlite, "zh-CN", "页面不存在")]
    [InlineData(Providers.Postgres, "zh-CN", "页面不存在")]
    public async Task An_unknown_workspace_is_a_localized_404(string provider, string language, string title)
    {
        var app = await AppAsync(provider);
        using var client = app.CreateBrowserLikeClient(language);

        var response = await client.GetAsync("/t/nope");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await TextAsync(response);
        Assert.Contains(title, body);
        Assert.Contains("data-status=\"404\"", body);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_of_A_opening_B_gets_403_and_nothing_of_B(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var b = await app.SignUpAsync("Bravo Secret " + Guid.NewGuid().ToString("N")[..8]);
        using var client = await app.SignedInClientAsync(a.User);

        var response = await client.GetAsync($"/t/{b.Slug}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await TextAsync(response);
        Assert.Contains("No access", body);
        Assert.DoesNotContain(b.Tenant.Name, body);
        Assert.DoesNotContain(b.User.DisplayName, body);
        Assert.DoesNotContain(b.User.Email!, body);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_opens_their_own_workspace(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync("Alpha Home " + Guid.NewGuid().ToString("N")[..8]);
        using var client = await app.SignedInClientAsync(a.User);

        var response = await client.GetAsync($"/t/{a.Slug}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TextAsync(response);
        Assert.Contains(a.Tenant.Name, body);
        Assert.Contains("id=\"tenant-home\"", body);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Anonymous_visitors_are_sent_to_sign_in(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        using var client = app.CreateBrowserLikeClient();

        var response = await client.GetAsync($"/t/{a.Slug}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/account/login", new Uri(new Uri("http://localhost"), location).AbsolutePath);
        Assert.DoesNotContain(a.Tenant.Name, await TextAsync(response));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_cannot_open_the_members_page_but_the_owner_can(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var viewer = await app.AddMemberAsync(a.Tenant, MemberRole.Viewer);
        using var viewerClient = await app.SignedInClientAsync(viewer);
        using var ownerClient = await app.SignedInClientAsync(a.User);

        var refused = await viewerClient.GetAsync($"/t/{a.Slug}/settings/members");
        var allowed = await ownerClient.GetAsync($"/t/{a.Slug}/settings/members");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.DoesNotContain(a.User.Email!, await TextAsync(refused));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains("id=\"members-page\"", await TextAsync(allowed));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_opens_the_workspace_home(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var viewer = await app.AddMemberAsync(a.Tenant, MemberRole.Viewer);
        using var client = await app.SignedInClientAsync(viewer);

        var response = await client.GetAsync($"/t/{a.Slug}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Viewer", await TextAsync(response));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_sign_in_ticket_works_once(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var tickets = (Crm.Web.Accounts.SignInTickets)app.Services.GetService(typeof(Crm.Web.Accounts.SignInTickets))!;
        var ticket = Uri.EscapeDataString(tickets.Issue(a.User.Id, remember: false));
        using var first = app.CreateBrowserLikeClient();
        using var second = app.CreateBrowserLikeClient();

        var ok = await first.GetAsync($"/account/complete-signin?ticket={ticket}&returnUrl=%2Fworkspaces");
        var replay = await second.GetAsync($"/account/complete-signin?ticket={ticket}&returnUrl=%2Fworkspaces");
        var forged = await second.GetAsync("/account/complete-signin?ticket=forged&returnUrl=%2Fworkspaces");

        Assert.Equal("/workspaces", ok.Headers.Location!.OriginalString);
        Assert.Equal("/account/login?expired=1", replay.Headers.Location!.OriginalString);
        Assert.Equal("/account/login?expired=1", forged.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync($"/t/{a.Slug}")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await second.GetAsync($"/t/{a.Slug}")).StatusCode);
    }
}
