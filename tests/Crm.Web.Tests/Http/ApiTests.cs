using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

public class ApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_reads_their_workspace_through_the_api(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        using var client = await app.SignedInClientAsync(a.User);

        var response = await client.GetAsync($"/t/{a.Slug}/api/workspace");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal((a.Slug, "Owner"), (json.GetProperty("identifier").GetString(), json.GetProperty("role").GetString()));
        var members = await JsonAsync(await client.GetAsync($"/t/{a.Slug}/api/members"));
        var me = Assert.Single(members.EnumerateArray());
        Assert.Equal((a.User.Email, "Owner"), (me.GetProperty("email").GetString(), me.GetProperty("role").GetString()));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_api_of_B_refuses_the_cookie_of_A(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var b = await app.SignUpAsync("Bravo Api " + Guid.NewGuid().ToString("N")[..8]);
        using var client = await app.SignedInClientAsync(a.User);

        foreach (var path in new[] { "workspace", "members", "invitations" })
        {
            var response = await client.GetAsync($"/t/{b.Slug}/api/{path}");
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(b.Tenant.Name, body);
            Assert.DoesNotContain(b.User.Email!, body);
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_api_answers_401_not_a_login_redirect_to_anonymous_callers(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        using var client = app.CreateBrowserLikeClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/t/{a.Slug}/api/workspace")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/workspace")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/t/nope/api/workspace")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_api_key_of_A_reads_A_and_nothing_else(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var b = await app.SignUpAsync("Bravo Key " + Guid.NewGuid().ToString("N")[..8]);
        var (_, secret) = await app.Services.GetRequiredService<IApiKeyStore>().CreateAsync(a.Tenant.Id, "test", MemberRole.Member, a.User.Id);
        using var client = app.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", secret);

        var own = await client.GetAsync("/api/workspace");
        var other = await client.GetAsync($"/t/{b.Slug}/api/workspace");

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(a.Tenant.Id, (await JsonAsync(own)).GetProperty("id").GetGuid());
        Assert.NotEqual(HttpStatusCode.OK, other.StatusCode);
        Assert.DoesNotContain(b.Tenant.Name, await other.Content.ReadAsStringAsync());

        using var wrong = app.CreateBrowserLikeClient();
        wrong.DefaultRequestHeaders.Add("X-Api-Key", secret + "0");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/workspace")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Revoking_the_invitation_of_B_from_A_changes_nothing_of_B(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var b = await app.SignUpAsync();
        var invitations = app.Services.GetRequiredService<InvitationService>();
        var (invitationOfB, _) = await invitations.CreateAsync(new Actor(b.User.Id, "B", b.Tenant, MemberRole.Owner), TestData.NewEmail(), MemberRole.Member);
        var (invitationOfA, _) = await invitations.CreateAsync(new Actor(a.User.Id, "A", a.Tenant, MemberRole.Owner), TestData.NewEmail(), MemberRole.Member);
        using var client = await app.SignedInClientAsync(a.User);

        var cross = await client.DeleteAsync($"/t/{a.Slug}/api/invitations/{invitationOfB.Id}");
        var own = await client.DeleteAsync($"/t/{a.Slug}/api/invitations/{invitationOfA.Id}");

        Assert.Equal(HttpStatusCode.BadRequest, cross.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        var factory = app.Services.GetRequiredService<ICrmDbContextFactory>();
        await using (var dbB = factory.CreateForTenant(b.Tenant.Id))
            Assert.Null((await dbB.Invitations.SingleAsync(i => i.Id == invitationOfB.Id)).RevokedAt);
        await using (var dbA = factory.CreateForTenant(a.Tenant.Id))
            Assert.NotNull((await dbA.Invitations.SingleAsync(i => i.Id == invitationOfA.Id)).RevokedAt);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Inviting_through_the_api_needs_admin_and_a_valid_email(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var member = await app.AddMemberAsync(a.Tenant, MemberRole.Member);
        using var owner = await app.SignedInClientAsync(a.User);
        using var plain = await app.SignedInClientAsync(member);
        var email = TestData.NewEmail("invitee");

        var refused = await plain.PostAsJsonAsync($"/t/{a.Slug}/api/invitations", new { email, role = "Member" });
        var invalid = await owner.PostAsJsonAsync($"/t/{a.Slug}/api/invitations", new { email = "nope", role = "Member" });
        var created = await owner.PostAsJsonAsync($"/t/{a.Slug}/api/invitations", new { email, role = "Viewer" });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.True((await JsonAsync(invalid)).GetProperty("errors").TryGetProperty("email", out _));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var json = await JsonAsync(created);
        Assert.Equal("Viewer", json.GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("token").GetString()));
        var listed = await JsonAsync(await owner.GetAsync($"/t/{a.Slug}/api/invitations"));
        Assert.Contains(listed.EnumerateArray(), i => i.GetProperty("email").GetString() == email);
    }
}
