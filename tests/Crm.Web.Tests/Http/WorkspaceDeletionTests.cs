using System.Net;
using Crm.Core.Accounts;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>A deleted workspace is closed at once: its pages and API (cookie or key) answer as if it never existed,
/// while another workspace of the same person keeps working.</summary>
public class WorkspaceDeletionTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_deleted_workspace_s_address_and_api_key_stop_working(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        WorkspaceResult other;
        using (var scope = app.Services.CreateScope())
            other = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync(a.User.Id, "Kept " + a.Slug, TestData.NewSlug(), "en");
        Assert.True(other.Succeeded, other.Errors.ToString());
        var (_, secret) = await app.Services.GetRequiredService<IApiKeyStore>().CreateAsync(a.Tenant.Id, "integration", MemberRole.Member, a.User.Id);
        using var browser = await app.SignedInClientAsync(a.User);
        using var api = app.CreateBrowserLikeClient();
        api.DefaultRequestHeaders.Add("X-Api-Key", secret);
        // Both answer first, so the tenant is in the store's cache when it is deleted.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/t/{a.Slug}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/workspace")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/t/{a.Slug}/api/workspace")).StatusCode);

        using (var scope = app.Services.CreateScope())
        {
            var errors = await scope.ServiceProvider.GetRequiredService<WorkspaceDeletion>()
                .RequestAsync(new Actor(a.User.Id, a.User.DisplayName, a.Tenant, MemberRole.Owner), a.Slug);
            Assert.True(errors.IsEmpty, errors.ToString());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/t/{a.Slug}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/t/{a.Slug}/settings/workspace")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/t/{a.Slug}/api/workspace")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/workspace")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await api.GetAsync($"/t/{a.Slug}/api/workspace")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/t/{other.Tenant!.Identifier}")).StatusCode);
        var listed = await app.Services.GetRequiredService<MembershipService>().GetWorkspacesAsync(a.User.Id);
        Assert.Equal([other.Tenant.Identifier], listed.Select(w => w.Identifier));
    }
}
