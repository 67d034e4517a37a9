using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>
/// PUT and PATCH of a record and the version they expect: PUT must name one (428 without), If-Match works like the
/// body's <c>version</c> (412 when stale), and PATCH without a version is last write wins, on purpose.
/// </summary>
public class RecordPreconditionTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static async Task<(SignedUp Who, HttpClient Client, string Id)> CompanyAsync(CrmAppFactory app)
    {
        var a = await app.SignUpAsync();
        var actor = new Crm.Core.Security.Actor(a.User.Id, a.User.DisplayName, a.Tenant, MemberRole.Owner);
        var installed = await app.Services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var client = await app.SignedInClientAsync(a.User);
        var created = await client.PostAsJsonAsync($"/t/{a.Slug}/api/entities/company/records", new { values = new { name = "Start", city = "Hangzhou" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (a, client, (await JsonAsync(created))["id"]!.GetValue<string>());
    }

    private static HttpRequestMessage Put(string url, object body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonContent.Create(body) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return request;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_put_must_name_the_version_it_replaces_by_body_or_if_match(string provider)
    {
        var app = await AppAsync(provider);
        var (a, client, id) = await CompanyAsync(app);
        var url = $"/t/{a.Slug}/api/records/{id}";
        var read = await client.GetAsync(url);
        var etag = read.Headers.ETag!.Tag;
        Assert.Equal($"\"{(await JsonAsync(read))["version"]}\"", etag);

        var bare = await client.SendAsync(Put(url, new { values = new { name = "Blind" } }));
        Assert.Equal(HttpStatusCode.PreconditionRequired, bare.StatusCode);
        var problem = await JsonAsync(bare);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("version"));
        Assert.Contains("If-Match", problem["title"]!.GetValue<string>());
        Assert.Equal("Start", (await JsonAsync(await client.GetAsync(url)))["values"]!["name"]!.GetValue<string>());

        var matched = await client.SendAsync(Put(url, new { values = new { name = "Replaced" } }, etag));
        Assert.Equal(HttpStatusCode.OK, matched.StatusCode);
        var replaced = await JsonAsync(matched);
        Assert.Equal("Replaced", replaced["values"]!["name"]!.GetValue<string>());
        Assert.Null(replaced["values"]!["city"]); // PUT replaces all values
        Assert.Equal($"\"{replaced["version"]}\"", matched.Headers.ETag!.Tag);

        var stale = await client.SendAsync(Put(url, new { values = new { name = "Stale" } }, etag));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal(replaced["version"]!.GetValue<long>(), (await JsonAsync(stale))["current"]!["version"]!.GetValue<long>());

        var forced = await client.SendAsync(Put(url, new { values = new { name = "Forced" } }, "*"));
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        var badTag = await client.SendAsync(Put(url, new { values = new { name = "x" } }, "\"seven\""));
        Assert.Equal(HttpStatusCode.BadRequest, badTag.StatusCode);
        Assert.True((await JsonAsync(badTag))["errors"]!.AsObject().ContainsKey("If-Match"));
        var disagree = await client.SendAsync(Put(url, new { values = new { name = "x" }, version = 1 }, "\"2\""));
        Assert.Equal(HttpStatusCode.BadRequest, disagree.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_patch_without_a_version_is_last_write_wins_for_the_fields_it_sends(string provider)
    {
        var app = await AppAsync(provider);
        var (a, first, id) = await CompanyAsync(app);
        var url = $"/t/{a.Slug}/api/records/{id}";
        using var second = await app.SignedInClientAsync(a.User);
        var readVersion = (await JsonAsync(await first.GetAsync(url)))["version"]!.GetValue<long>();

        // Two writers who both read the same version and send no version: both succeed, the later value stays.
        Assert.Equal(HttpStatusCode.OK, (await second.PatchAsJsonAsync(url, new { values = new { name = "Second" } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await first.PatchAsJsonAsync(url, new { values = new { name = "First" } })).StatusCode);
        // A field not sent is kept.
        var now = await JsonAsync(await first.GetAsync(url));
        Assert.Equal(("First", "Hangzhou"), (now["values"]!["name"]!.GetValue<string>(), now["values"]!["city"]!.GetValue<string>()));

        // With the version it read, the same late write is refused instead.
        var guarded = await first.PatchAsJsonAsync(url, new { values = new { name = "Guarded" }, version = readVersion });
        Assert.Equal(HttpStatusCode.Conflict, guarded.StatusCode);
        var viaHeader = new HttpRequestMessage(HttpMethod.Patch, url) { Content = JsonContent.Create(new { values = new { name = "Guarded" } }) };
        viaHeader.Headers.TryAddWithoutValidation("If-Match", $"\"{readVersion}\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await first.SendAsync(viaHeader)).StatusCode);
        Assert.Equal("First", (await JsonAsync(await first.GetAsync(url)))["values"]!["name"]!.GetValue<string>());
    }
}
