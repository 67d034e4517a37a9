using System.Net;
using System.Text.Json;
using Crm.Core.Accounts;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>The check and rebuild of custom fields' index copies are reachable by administrators only.</summary>
public class IndexCopiesApiTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_key_checks_and_rebuilds_a_member_key_is_refused(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var keys = app.Services.GetRequiredService<IApiKeyStore>();
        var (_, admin) = await keys.CreateAsync(a.Tenant.Id, "admin", MemberRole.Admin, a.User.Id);
        var (_, member) = await keys.CreateAsync(a.Tenant.Id, "member", MemberRole.Member, a.User.Id);
        using var client = app.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", admin);

        var check = await client.PostAsync("/api/admin/index-copies/check", null);
        var rebuild = await client.PostAsync("/api/admin/index-copies/rebuild", null);

        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        var body = JsonDocument.Parse(await check.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, body.GetProperty("differences").GetArrayLength());
        Assert.False(body.GetProperty("repaired").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, rebuild.StatusCode);
        Assert.True(JsonDocument.Parse(await rebuild.Content.ReadAsStringAsync()).RootElement.GetProperty("repaired").GetBoolean());

        using var other = app.CreateBrowserLikeClient();
        other.DefaultRequestHeaders.Add("X-Api-Key", member);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PostAsync("/api/admin/index-copies/check", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/admin/index-copies/drop", null)).StatusCode);
    }
}
