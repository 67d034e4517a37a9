using System.Net;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;

namespace Crm.Web.Tests.Http;

/// <summary>The designer pages are for Owners and Admins: everyone else gets 403 and no designer at all.</summary>
public class DesignerAccessTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_and_viewers_get_403_on_every_designer_page(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        foreach (var role in new[] { MemberRole.Viewer, MemberRole.Member })
        {
            var user = await app.AddMemberAsync(a.Tenant, role);
            using var client = await app.SignedInClientAsync(user);
            foreach (var path in new[] { "designer", "designer/company", "designer/lists/customer_status" })
            {
                var response = await client.GetAsync($"/t/{a.Slug}/{path}");
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.DoesNotContain("designer-add-field", await TextAsync(response));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_owner_opens_the_designer_and_sees_its_link(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        using var client = await app.SignedInClientAsync(a.User);

        var response = await client.GetAsync($"/t/{a.Slug}/designer");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TextAsync(response);
        Assert.Contains("id=\"designer-home\"", body);
        Assert.Contains("data-testid=\"nav-designer\"", body);
    }
}
