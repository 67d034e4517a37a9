using System.Net;
using System.Text.Json;
using Crm.Core.Data;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

public class HostingTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Program_uses_the_database_given_in_settings(string provider)
    {
        var app = await AppAsync(provider);
        Assert.Equal(Providers.Parse(provider), app.Services.GetRequiredService<ICrmDbContextFactory>().Provider);
        var options = app.Services.GetRequiredService<DatabaseOptions>();
        Assert.Equal((Providers.Parse(provider), app.Database.ConnectionString), (options.Provider, options.ConnectionString));

        // A workspace written straight into the test database is one the app knows (redirect to sign-in, not 404).
        var tenant = await app.Database.CreateTenantAsync();
        using var client = app.CreateBrowserLikeClient();
        var response = await client.GetAsync($"/t/{tenant.Identifier}");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Health_reports_the_database_check(string provider)
    {
        var app = await AppAsync(provider);
        using var client = app.CreateBrowserLikeClient();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var database = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "database");
        Assert.Equal("Healthy", database.GetProperty("status").GetString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_landing_page_renders(string provider)
    {
        var app = await AppAsync(provider);
        using var client = app.CreateBrowserLikeClient("en");

        var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The CRM your team shapes itself", await TextAsync(response));
    }
}
