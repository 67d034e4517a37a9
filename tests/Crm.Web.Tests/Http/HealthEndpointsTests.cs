using System.Net;
using System.Text.Json;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;

namespace Crm.Web.Tests.Http;

/// <summary>Probes for a load balancer or orchestrator: ready checks the database, live checks nothing but the process.</summary>
public class HealthEndpointsTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Ready_checks_the_database_and_live_checks_nothing(string provider)
    {
        var app = await AppAsync(provider);
        using var client = app.CreateBrowserLikeClient();

        var ready = await client.GetAsync("/health/ready");
        var live = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using (var json = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()))
        {
            var checks = json.RootElement.GetProperty("checks").EnumerateArray().ToList();
            Assert.Equal(["database"], checks.Select(c => c.GetProperty("name").GetString()));
            Assert.Equal("Healthy", checks[0].GetProperty("status").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using (var json = JsonDocument.Parse(await live.Content.ReadAsStringAsync()))
        {
            Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
            Assert.Empty(json.RootElement.GetProperty("checks").EnumerateArray());
        }
    }
}
