using System.Net;
using Crm.Core.Accounts;
using Crm.Testing;
using Crm.Web.Accounts;
using Crm.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Web.Tests.Http;

/// <summary>
/// Sign-out renews the user's security stamp, so every copy of the session cookie stops working, not only the
/// one in the browser that signed out. The app checks stamps at most <c>Accounts:SecurityStampInterval</c> after
/// the last check (a minute by default); here it is zero, so the effect is seen at the next request.
/// </summary>
public class SignOutTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_copied_cookie_stops_working_after_sign_out(string provider)
    {
        var shared = await AppAsync(provider);
        var a = await shared.SignUpAsync();
        await using var app = new CrmAppFactory(shared.Database).WithWebHostBuilder(b => b.UseSetting("Accounts:SecurityStampInterval", "00:00:00"));
        var cookie = await SessionCookieAsync(app, a.User);
        using var browser = Client(app, cookie);
        using var copy = Client(app, cookie);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync($"/t/{a.Slug}")).StatusCode);

        var signOut = await SignOutAsync(app, browser, cookie, a.User);

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        var afterwards = await copy.GetAsync($"/t/{a.Slug}");
        Assert.Equal(HttpStatusCode.Redirect, afterwards.StatusCode);
        Assert.StartsWith("/account/login", afterwards.Headers.Location!.OriginalString.Replace("http://localhost", ""));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sign_out_leaves_other_people_signed_in(string provider)
    {
        var shared = await AppAsync(provider);
        var a = await shared.SignUpAsync();
        var b = await shared.SignUpAsync();
        await using var app = new CrmAppFactory(shared.Database).WithWebHostBuilder(w => w.UseSetting("Accounts:SecurityStampInterval", "00:00:00"));
        var cookieOfA = await SessionCookieAsync(app, a.User);
        var cookieOfB = await SessionCookieAsync(app, b.User);
        using var browserOfA = Client(app, cookieOfA);
        using var browserOfB = Client(app, cookieOfB);

        await SignOutAsync(app, browserOfA, cookieOfA, a.User);

        Assert.Equal(HttpStatusCode.OK, (await browserOfB.GetAsync($"/t/{b.Slug}")).StatusCode);
    }

    /// <summary>Signs in through a ticket and returns the session cookie (<c>name=value</c>) the app set.</summary>
    private static async Task<string> SessionCookieAsync(WebApplicationFactory<Program> app, ApplicationUser user)
    {
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var ticket = Uri.EscapeDataString(app.Services.GetRequiredService<SignInTickets>().Issue(user.Id, remember: true));
        var response = await client.GetAsync($"/account/complete-signin?ticket={ticket}&returnUrl=%2Fworkspaces");
        Assert.Equal("/workspaces", response.Headers.Location?.OriginalString);
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));
        return setCookie[..setCookie.IndexOf(';')];
    }

    private static HttpClient Client(WebApplicationFactory<Program> app, string cookie)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }

    /// <summary>Posts the sign-out form as the user menu does, with an antiforgery token issued for this user.</summary>
    private static async Task<HttpResponseMessage> SignOutAsync(WebApplicationFactory<Program> app, HttpClient client, string cookie, ApplicationUser user)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<ApplicationUser>>();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider, User = await signIn.CreateUserPrincipalAsync(user) };
        var tokens = scope.ServiceProvider.GetRequiredService<IAntiforgery>().GetTokens(http);
        var cookieName = scope.ServiceProvider.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.Cookie.Name!;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/account/logout")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { [tokens.FormFieldName] = tokens.RequestToken!, ["returnUrl"] = "/" }),
        };
        client.DefaultRequestHeaders.Remove("Cookie");
        request.Headers.Add("Cookie", $"{cookie}; {cookieName}={tokens.CookieToken}");
        return await client.SendAsync(request);
    }
}
