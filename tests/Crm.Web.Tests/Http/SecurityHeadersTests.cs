using System.Net;
using Crm.Testing;
using Crm.Web.Accounts;
using Crm.Web.Hosting;
using Crm.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>Security headers on every answer, and forwarded headers honoured only when configured (issue 10, item 8).</summary>
public class SecurityHeadersTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pages_api_answers_and_errors_carry_the_security_headers(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        using var client = await app.SignedInClientAsync(a.User);

        foreach (var path in new[] { "/account/login", $"/t/{a.Slug}/api/workspace", "/t/nope-nope/api/workspace", "/no-such-page", "/health" })
        {
            var response = await client.GetAsync(path);
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self';", csp);
            Assert.DoesNotContain("unsafe-eval", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("strict-origin-when-cross-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        }
    }

    private static async Task<HttpResponseMessage> SignInThroughProxyAsync(WebApplicationFactory<Program> factory, Guid userId)
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var ticket = factory.Services.GetRequiredService<SignInTickets>().Issue(userId, remember: false);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/account/complete-signin?ticket={Uri.EscapeDataString(ticket)}&returnUrl=%2Fworkspaces");
        request.Headers.Host = "crm.example.com";           // HSTS is never sent to localhost
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        return await client.SendAsync(request);
    }

    private static WebApplicationFactory<Program> Production(CrmAppFactory app, bool proxy)
        => app.WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production");
            if (proxy) b.UseSetting("Proxy:Enabled", "true");
        });

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Behind_a_configured_tls_proxy_the_auth_cookie_is_secure_and_hsts_is_sent(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        await using var factory = Production(app, proxy: true);
        Assert.True(factory.Services.GetRequiredService<ProxyOptions>().Enabled);

        var response = await SignInThroughProxyAsync(factory, a.User.Id);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("max-age=", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Without_proxy_configuration_forwarded_headers_are_ignored(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        await using var factory = Production(app, proxy: false);

        var response = await SignInThroughProxyAsync(factory, a.User.Id);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }
}
