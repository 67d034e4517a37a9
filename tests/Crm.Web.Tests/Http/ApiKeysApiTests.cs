using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>API keys over HTTP: made by admins, shown once, never listed, usable at once, refused at once when revoked.</summary>
public class ApiKeysApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static HttpClient KeyClient(CrmAppFactory app, string key)
    {
        var client = app.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static async Task InstallAsync(CrmAppFactory app, SignedUp who, string template)
    {
        var actor = new Crm.Core.Security.Actor(who.User.Id, who.User.DisplayName, who.Tenant, MemberRole.Owner);
        var result = await app.Services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, Workspace.Catalog.Find(template)!.Document, new InstallOptions(false));
        Assert.True(result.Succeeded, result.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_key_made_through_the_api_is_returned_once_never_listed_works_and_is_refused_once_revoked(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        await InstallAsync(app, a, "b2b_sales_funnel");
        using var owner = await app.SignedInClientAsync(a.User);

        var created = await owner.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = "ERP", role = "Member" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var json = await JsonAsync(created);
        var secret = json["key"]!.GetValue<string>();
        var id = json["id"]!.GetValue<Guid>();
        Assert.StartsWith("crm_", secret);
        Assert.Equal((secret[..10], "Member"), (json["prefix"]!.GetValue<string>(), json["role"]!.GetValue<string>()));
        var listText = await (await owner.GetAsync($"/t/{a.Slug}/api/api-keys")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, listText);
        Assert.DoesNotContain(ApiKey.HashKey(secret), listText);
        var listed = Assert.Single(JsonNode.Parse(listText)!.AsArray());
        Assert.Equal((id, "ERP", secret[..10]), (listed!["id"]!.GetValue<Guid>(), listed["name"]!.GetValue<string>(), listed["prefix"]!.GetValue<string>()));

        // The key reads and writes, at /api and at the workspace's own /t/{slug}/api.
        using var key = KeyClient(app, secret);
        var workspace = await key.GetAsync("/api/workspace");
        Assert.Equal(HttpStatusCode.OK, workspace.StatusCode);
        Assert.Equal(("Member", a.Slug), ((await JsonAsync(workspace))["role"]!.GetValue<string>(), (await JsonAsync(workspace))["identifier"]!.GetValue<string>()));
        var record = await key.PostAsJsonAsync($"/t/{a.Slug}/api/entities/company/records", new { values = new { name = "Made by key" } });
        Assert.Equal(HttpStatusCode.Created, record.StatusCode);
        var lastUsed = JsonNode.Parse(await owner.GetStringAsync($"/t/{a.Slug}/api/api-keys"))!.AsArray()[0]!["lastUsedAt"];
        Assert.NotNull(lastUsed);

        var revoked = await owner.DeleteAsync($"/t/{a.Slug}/api/api-keys/{id}");

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await key.GetAsync("/api/workspace")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await key.PostAsJsonAsync("/api/entities/company/records", new { values = new { name = "After revoke" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await key.PostAsJsonAsync($"/t/{a.Slug}/api/entities/company/records", new { values = new { name = "After revoke" } })).StatusCode);
        await using var db = app.Services.GetRequiredService<ICrmDbContextFactory>().CreateForTenant(a.Tenant.Id);
        Assert.Equal(0, await db.Records.CountAsync(r => r.Title == "After revoke"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_key_reads_but_cannot_write(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        await InstallAsync(app, a, "b2b_sales_funnel");
        using var owner = await app.SignedInClientAsync(a.User);
        var secret = (await JsonAsync(await owner.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = "BI", role = "Viewer" })))["key"]!.GetValue<string>();
        using var key = KeyClient(app, secret);

        Assert.Equal(HttpStatusCode.OK, (await key.GetAsync("/api/entities/company/records")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await key.PostAsJsonAsync("/api/entities/company/records", new { values = new { name = "Nope" } })).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Only_signed_in_admins_manage_keys_and_bad_input_is_named(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var b = await app.SignUpAsync();
        var member = await app.AddMemberAsync(a.Tenant, MemberRole.Member);
        var admin = await app.AddMemberAsync(a.Tenant, MemberRole.Admin);
        using var plain = await app.SignedInClientAsync(member);
        using var adminClient = await app.SignedInClientAsync(admin);
        using var ownerOfB = await app.SignedInClientAsync(b.User);

        Assert.Equal(HttpStatusCode.Forbidden, (await plain.GetAsync($"/t/{a.Slug}/api/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await plain.GetAsync($"/t/{a.Slug}/settings/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await adminClient.GetAsync($"/t/{a.Slug}/settings/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await plain.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = "x", role = "Viewer" })).StatusCode);

        var invalid = await adminClient.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = " ", role = "Owner", expiresAt = "2001-01-01T00:00:00Z" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await JsonAsync(invalid))["errors"]!.AsObject();
        Assert.Equal(["expiresAt", "name", "role"], errors.Select(e => e.Key).Order());
        Assert.Contains("above your own", errors["role"]![0]!.GetValue<string>());
        var unknownRole = await adminClient.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = "x", role = "3" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownRole.StatusCode);
        Assert.True((await JsonAsync(unknownRole))["errors"]!.AsObject().ContainsKey("role"));
        var missingRole = await adminClient.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = "y" });
        Assert.Equal(HttpStatusCode.BadRequest, missingRole.StatusCode);
        Assert.Empty(JsonNode.Parse(await adminClient.GetStringAsync($"/t/{a.Slug}/api/api-keys"))!.AsArray()); // nothing refused was stored

        var made = await JsonAsync(await adminClient.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = "admin key", role = "Admin", expiresAt = DateTimeOffset.UtcNow.AddDays(30) }));
        Assert.NotNull(made["expiresAt"]);
        using var key = KeyClient(app, made["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await key.GetAsync("/api/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await key.PostAsJsonAsync("/api/api-keys", new { name = "child", role = "Viewer" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await key.DeleteAsync($"/api/api-keys/{made["id"]}")).StatusCode);

        // Another workspace's owner cannot revoke it (their own workspace has no such key), nor reach A's list.
        Assert.Equal(HttpStatusCode.NotFound, (await ownerOfB.DeleteAsync($"/t/{b.Slug}/api/api-keys/{made["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ownerOfB.GetAsync($"/t/{a.Slug}/api/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await key.GetAsync("/api/workspace")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_key_of_A_is_refused_at_the_address_of_B(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var b = await app.SignUpAsync();
        using var owner = await app.SignedInClientAsync(a.User);
        var secret = (await JsonAsync(await owner.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = "A only", role = "Admin" })))["key"]!.GetValue<string>();
        using var key = KeyClient(app, secret);

        var atB = await key.GetAsync($"/t/{b.Slug}/api/workspace");

        Assert.Equal(HttpStatusCode.Unauthorized, atB.StatusCode);
        Assert.DoesNotContain(b.Tenant.Name, await atB.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await key.GetAsync($"/t/{a.Slug}/api/workspace")).StatusCode);
    }
}
