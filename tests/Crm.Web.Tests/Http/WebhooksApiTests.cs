using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Core.Webhooks;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>Webhooks over HTTP, delivered by the app to a local Kestrel receiver, on both databases.</summary>
public class WebhooksApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_subscribes_a_record_write_is_delivered_signed_and_logged(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var actor = new Crm.Core.Security.Actor(a.User.Id, a.User.DisplayName, a.Tenant, MemberRole.Owner);
        Assert.True((await app.Services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(false))).Succeeded);
        await using var receiver = await WebhookTestReceiver.StartAsync();
        using var owner = await app.SignedInClientAsync(a.User);

        var bad = await owner.PostAsJsonAsync($"/t/{a.Slug}/api/webhooks", new { url = "gopher://x", events = new[] { "record.created" } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await JsonAsync(bad))["errors"]!["url"]);

        var created = await owner.PostAsJsonAsync($"/t/{a.Slug}/api/webhooks", new { url = receiver.BaseUrl + "/in", events = new[] { "record.created" }, entityTypes = new[] { "company" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var json = await JsonAsync(created);
        var secret = (string)json["secret"]!;
        var id = (Guid)json["webhook"]!["id"]!;
        Assert.DoesNotContain(secret, await owner.GetStringAsync($"/t/{a.Slug}/api/webhooks"));

        var record = await owner.PostAsJsonAsync($"/t/{a.Slug}/api/entities/company/records", new { values = new { name = "Hook Ltd" } });
        Assert.Equal(HttpStatusCode.Created, record.StatusCode);
        var deliveries = (await JsonAsync(await owner.GetAsync($"/t/{a.Slug}/api/webhooks/{id}/deliveries"))).AsArray();
        var delivery = Assert.Single(deliveries)!;
        Assert.Equal("Pending", (string?)delivery["status"]);
        // Delivered by the outbox's queued job, claimed exactly once: the queue is shared with other test apps on
        // this database, so any of them may run it; calling the deliverer here as well would send it twice.
        var runner = app.Services.GetRequiredService<Crm.Core.Jobs.JobRunner>();
        for (var i = 0; i < 100 && receiver.Requests.Count == 0; i++)
        {
            await runner.RunQueuedAsync(DateTime.UtcNow);
            if (receiver.Requests.Count == 0) await Task.Delay(100);
        }
        for (var i = 0; i < 50 && (string?)(await JsonAsync(await owner.GetAsync($"/t/{a.Slug}/api/webhooks/{id}/deliveries"))).AsArray()[0]!["status"] == "Pending"; i++)
            await Task.Delay(100);

        var got = Assert.Single(receiver.Requests);
        Assert.True(WebhookSignature.Verify(secret, got.Headers["X-Crm-Signature"], got.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Equal("Hook Ltd", (string?)JsonNode.Parse(got.Body)!["values"]!["name"]);
        var attempts = (await JsonAsync(await owner.GetAsync($"/t/{a.Slug}/api/webhooks/deliveries/{delivery["id"]}/attempts"))).AsArray();
        Assert.Equal(200, (int)Assert.Single(attempts)!["statusCode"]!);

        var redelivered = await owner.PostAsync($"/t/{a.Slug}/api/webhooks/deliveries/{delivery["id"]}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redelivered.StatusCode);
        Assert.Equal((string?)delivery["eventId"], (string?)(await JsonAsync(redelivered))["eventId"]);
        var rotated = await owner.PostAsync($"/t/{a.Slug}/api/webhooks/{id}/rotate-secret", null);
        Assert.NotEqual(secret, (string?)(await JsonAsync(rotated))["secret"]);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_and_api_keys_may_not_manage_webhooks(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var member = await app.AddMemberAsync(a.Tenant, MemberRole.Member);
        using var client = await app.SignedInClientAsync(member);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/t/{a.Slug}/api/webhooks")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync($"/t/{a.Slug}/api/webhooks", new { url = "https://example.com", events = new[] { "record.created" } })).StatusCode);

        using var owner = await app.SignedInClientAsync(a.User);
        var key = (string)(await JsonAsync(await owner.PostAsJsonAsync($"/t/{a.Slug}/api/api-keys", new { name = "ERP", role = "Admin" })))["key"]!;
        using var keyed = app.CreateBrowserLikeClient();
        keyed.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.Forbidden, (await keyed.GetAsync("/api/webhooks")).StatusCode);
    }
}
