using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Jobs;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Webhooks;
using Crm.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Webhooks;

/// <summary>
/// The outbox and its delivery on both databases, to a local Kestrel receiver (private networks allowed by the
/// test configuration, as the issue asks; nothing leaves the machine).
/// </summary>
public class WebhookDeliveryTests
{
    private static WebhookOptions Options(Action<WebhookOptions>? tweak)
    {
        var o = new WebhookOptions { AllowPrivateNetworks = true, Retries = 0, RetryDelay = TimeSpan.FromMilliseconds(5), Rounds = 1, Timeout = TimeSpan.FromSeconds(5) };
        tweak?.Invoke(o);
        return o;
    }

    /// <summary>One key ring for every instance, as the web app shares its keys through the database.</summary>
    private static readonly IDataProtectionProvider KeyRing = new EphemeralDataProtectionProvider();

    private static void Configure(IServiceCollection s, WebhookOptions o)
    {
        s.AddSingleton(o);
        s.AddSingleton(KeyRing);
    }

    private static async Task<(Workspace Ws, TestReceiver Receiver, WebhookResult Hook)> ArrangeAsync(string provider, IReadOnlyList<string>? events = null,
        IReadOnlyList<string>? entities = null, Action<WebhookOptions>? tweak = null)
    {
        var options = Options(tweak);
        var ws = await Workspace.CreateAsync(provider, configure: s => Configure(s, options));
        await ws.InstallAsync("b2b_sales_funnel");
        var receiver = await TestReceiver.StartAsync();
        var hook = await ws.Get<WebhookService>().CreateAsync(ws.Owner, new WebhookInput(receiver.BaseUrl + "/hook", events ?? WebhookEventTypes.All, entities));
        Assert.True(hook.Succeeded, hook.Errors.ToString());
        return (ws, receiver, hook);
    }

    private static async Task<List<WebhookDelivery>> DeliveriesAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.WebhookDeliveries.AsNoTracking().OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).ToListAsync();
    }

    /// <summary>Runs every pending delivery of this workspace once (directly, so other test classes' jobs are left alone).</summary>
    private static async Task DeliverPendingAsync(Workspace ws)
    {
        foreach (var d in (await DeliveriesAsync(ws)).Where(d => d.Status == WebhookDeliveryStatus.Pending))
            await ws.Get<WebhookDeliverer>().DeliverAsync(ws.Tenant.Id, d.Id);
    }

    private static async Task<Record> CompanyAsync(Workspace ws, string name)
    {
        var created = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", name)));
        Assert.True(created.Succeeded, created.Errors.ToString());
        return created.Record!;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_write_stages_its_events_in_the_same_transaction_and_a_rollback_leaves_none(string provider)
    {
        var (ws, receiver, hook) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = receiver;

        // Rolled back: neither the record nor its outbox rows nor the job exist afterwards.
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var metadata = await ws.Get<MetadataStore>().GetAsync(db);
            var writer = new RecordWriter(db, metadata, ws.Owner, ws.Get<IStringLocalizer<CoreStrings>>(), TimeProvider.System);
            await using var tx = await db.Database.BeginTransactionAsync();
            var result = await writer.CreateAsync("company", RecordInput.Of(("name", "Rolled back Ltd")));
            Assert.True(result.Succeeded, result.Errors.ToString());
            Assert.Single(db.ChangeTracker.Entries<WebhookDelivery>());
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }
        Assert.Empty(await DeliveriesAsync(ws));

        // Committed: one delivery with the payload, and its job on the queue.
        var company = await CompanyAsync(ws, "Acme 上海");
        var delivery = Assert.Single(await DeliveriesAsync(ws));
        Assert.Equal(WebhookEventTypes.RecordCreated, delivery.EventType);
        Assert.Equal(company.Id, delivery.RecordId);
        await using (var global = ws.Database.Factory.CreateGlobal())
            Assert.True(await global.QueuedJobs.AnyAsync(j => j.Kind == WebhookOutbox.JobKind && j.Payload == delivery.Id.ToString() && j.TenantId == ws.Tenant.Id));

        await DeliverPendingAsync(ws);
        var got = Assert.Single(receiver.Requests);
        var body = JsonNode.Parse(got.Body)!.AsObject();
        Assert.Equal(delivery.EventId.ToString(), (string?)body["id"]);
        Assert.Equal("record.created", (string?)body["type"]);
        Assert.Equal(ws.Tenant.Identifier, (string?)body["tenant"]);
        Assert.Equal("company", (string?)body["entity"]);
        Assert.Equal(company.Id.ToString(), (string?)body["recordId"]);
        Assert.Equal("Acme 上海", (string?)body["values"]!["name"]);
        Assert.NotNull(body["occurredAt"]);
        Assert.True(WebhookSignature.Verify(hook.Secret!, got.Headers[WebhookSignature.Header], got.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Equal(WebhookDeliveryStatus.Succeeded, Assert.Single(await DeliveriesAsync(ws)).Status);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Updates_stage_changes_activities_and_deletes_each_make_their_event(string provider)
    {
        var (ws, receiver, _) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = receiver;
        var company = await CompanyAsync(ws, "Stage Co");
        var deal = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "Deal"), ("company", company.Id.ToString()), ("amount", 1000), ("expected_close", "2026-12-31")));
        Assert.True(deal.Succeeded, deal.Errors.ToString());
        var moved = await ws.Records.UpdateAsync(ws.Owner, deal.Record!.Id, RecordInput.Of(("stage", "qualify")) with { ExpectedVersion = deal.Record.Version });
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        var logged = await ws.Get<ActivityService>().LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Call, "Budget call"));
        Assert.True(logged.Succeeded, logged.Errors.ToString());
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [deal.Record.Id]));

        var types = (await DeliveriesAsync(ws)).Select(d => d.EventType).ToList();
        Assert.Equal(6, types.Count);
        Assert.Equal(["record.created", "record.created"], types.Take(2));
        // The move stages "updated" and "stage changed" in one write at the same instant: their order is not defined.
        Assert.Equal(["record.stage_changed", "record.updated"], types.Skip(2).Take(2).Order(StringComparer.Ordinal));
        Assert.Equal(["activity.logged", "record.deleted"], types.Skip(4));
        var deliveries = await DeliveriesAsync(ws);
        var stage = JsonNode.Parse(deliveries.Single(d => d.EventType == "record.stage_changed").Payload)!;
        Assert.Equal("qualify", (string?)stage["to"]);
        Assert.Equal("b2b", (string?)stage["pipeline"]);
        var activity = JsonNode.Parse(deliveries.Single(d => d.EventType == "activity.logged").Payload)!;
        Assert.Equal("Budget call", (string?)activity["activity"]!["subject"]);
        Assert.Equal("company", (string?)activity["entity"]);
        var deleted = JsonNode.Parse(deliveries.Single(d => d.EventType == "record.deleted").Payload)!;
        Assert.Equal("Deal", (string?)deleted["values"]!["name"]);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_webhook_hears_only_its_events_and_entity_types(string provider)
    {
        var (ws, receiver, _) = await ArrangeAsync(provider, events: [WebhookEventTypes.RecordUpdated], entities: ["opportunity"]);
        await using var _ = ws;
        await using var __ = receiver;
        var company = await CompanyAsync(ws, "Quiet Co");
        var edited = await ws.Records.UpdateAsync(ws.Owner, company.Id, RecordInput.Of(("city", "Hangzhou")));
        Assert.True(edited.Succeeded, edited.Errors.ToString());
        Assert.Empty(await DeliveriesAsync(ws));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Two_instances_racing_deliver_each_event_once(string provider)
    {
        var (ws, receiver, _) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = receiver;
        var options = ws.Get<WebhookOptions>();
        await using var other = CoreServices.Create(ws.Database, configure: s => Configure(s, options));
        for (var i = 0; i < 6; i++) await CompanyAsync(ws, $"Race {i}");

        var runners = new[] { ws.Get<JobRunner>(), other.GetRequiredService<JobRunner>() };
        for (var round = 0; round < 20; round++)
        {
            var ran = await Task.WhenAll(runners.Select(r => Task.Run(() => r.RunQueuedAsync(DateTime.UtcNow))));
            if (ran.Sum() == 0) break;
        }
        var ids = receiver.Requests.Select(r => (string?)JsonNode.Parse(r.Body)!["id"]).ToList();
        Assert.Equal(6, ids.Count);
        Assert.Equal(6, ids.Distinct().Count());
        Assert.All(await DeliveriesAsync(ws), d => Assert.Equal((WebhookDeliveryStatus.Succeeded, 1), (d.Status, d.Attempts)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Failures_are_retried_with_back_off_and_logged_per_attempt(string provider)
    {
        var (ws, receiver, hook) = await ArrangeAsync(provider, tweak: o => { o.Retries = 2; o.Rounds = 3; o.RoundDelay = TimeSpan.FromMinutes(1); });
        await using var _ = ws;
        await using var __ = receiver;
        // Two server errors, then success: one round of three attempts.
        receiver.Answer = (n, _) => (n <= 2 ? 503 : 204, null);
        await CompanyAsync(ws, "Flaky");
        await DeliverPendingAsync(ws);
        var delivery = Assert.Single(await DeliveriesAsync(ws));
        Assert.Equal((WebhookDeliveryStatus.Succeeded, 3, 1), (delivery.Status, delivery.Attempts, delivery.Rounds));
        var log = await ws.Get<WebhookService>().AttemptsAsync(ws.Owner, delivery.Id);
        Assert.Equal([(1, 503), (2, 503), (3, 204)], log.Select(a => (a.AttemptNo, a.StatusCode ?? 0)).ToArray());
        Assert.All(log, a => Assert.True(a.DurationMs >= 0));

        // A 400 is not retried within the round; the failed round is queued again later (back-off with jitter).
        receiver.Answer = (_, _) => (400, null);
        await CompanyAsync(ws, "Rejected");
        var before = DateTime.UtcNow;
        await DeliverPendingAsync(ws);
        var failed = (await DeliveriesAsync(ws)).Last();
        Assert.Equal((WebhookDeliveryStatus.Pending, 1, 1, 400), (failed.Status, failed.Attempts, failed.Rounds, failed.LastStatusCode ?? 0));
        await using (var global = ws.Database.Factory.CreateGlobal())
        {
            var again = await global.QueuedJobs.Where(j => j.Payload == failed.Id.ToString()).OrderByDescending(j => j.RunAfter).FirstAsync();
            Assert.InRange(again.RunAfter, before.AddSeconds(47), DateTime.UtcNow.AddSeconds(73));
        }
        var current = await ws.Get<WebhookService>().GetAsync(ws.Owner, hook.Webhook!.Id);
        Assert.Equal(1, current!.ConsecutiveFailures);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Fifteen_failed_deliveries_in_a_row_switch_the_webhook_off_and_tell_the_admins(string provider)
    {
        var (ws, receiver, hook) = await ArrangeAsync(provider, events: [WebhookEventTypes.RecordCreated]);
        await using var _ = ws;
        await using var __ = receiver;
        receiver.Answer = (_, _) => (500, null);
        for (var i = 0; i < 14; i++) await CompanyAsync(ws, $"Down {i}");
        await DeliverPendingAsync(ws);
        var service = ws.Get<WebhookService>();
        Assert.True((await service.GetAsync(ws.Owner, hook.Webhook!.Id))!.IsEnabled);

        await CompanyAsync(ws, "Down 15");
        await DeliverPendingAsync(ws);
        var off = (await service.GetAsync(ws.Owner, hook.Webhook.Id))!;
        Assert.False(off.IsEnabled);
        Assert.Equal(15, off.ConsecutiveFailures);
        Assert.NotNull(off.DisabledReason);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            Assert.True(await db.Notifications.AnyAsync(n => n.UserId == ws.Owner.UserId && n.Kind == WebhookDeliverer.DisabledNotificationKind));

        // Switched off: new writes stage nothing; switched on again, the count starts over and redelivery works.
        await CompanyAsync(ws, "While off");
        Assert.Equal(15, (await DeliveriesAsync(ws)).Count);
        Assert.True(await service.SetEnabledAsync(ws.Owner, hook.Webhook.Id, true));
        receiver.Answer = (_, _) => (200, null);
        var first = (await DeliveriesAsync(ws)).First();
        var again = await service.RedeliverAsync(ws.Owner, first.Id);
        Assert.NotNull(again);
        Assert.Equal(first.EventId, again!.EventId);
        await DeliverPendingAsync(ws);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, (await DeliveriesAsync(ws)).Single(d => d.Id == again.Id).Status);
        Assert.Equal(0, (await service.GetAsync(ws.Owner, hook.Webhook.Id))!.ConsecutiveFailures);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Only_current_admins_manage_webhooks_and_every_change_is_audited(string provider)
    {
        var (ws, receiver, hook) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = receiver;
        var member = await ws.MemberAsync(Crm.Core.Tenancy.MemberRole.Member);
        var service = ws.Get<WebhookService>();
        await Assert.ThrowsAsync<Crm.Core.Security.ForbiddenException>(() => service.ListAsync(member));
        await Assert.ThrowsAsync<Crm.Core.Security.ForbiddenException>(() => service.CreateAsync(member, new WebhookInput(receiver.BaseUrl, WebhookEventTypes.All)));

        var bad = await service.CreateAsync(ws.Owner, new WebhookInput("ftp://example.com", [], ["nope"]));
        Assert.False(bad.Succeeded);
        Assert.NotEmpty(bad.Errors.For("url"));
        Assert.NotEmpty(bad.Errors.For("events"));
        Assert.NotEmpty(bad.Errors.For("entityTypes"));

        var rotated = await service.RotateSecretAsync(ws.Owner, hook.Webhook!.Id);
        Assert.NotNull(rotated);
        Assert.NotEqual(hook.Secret, rotated);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var stored = await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == hook.Webhook.Id);
        Assert.DoesNotContain(rotated!, stored.ProtectedSecret);
        var actions = await db.AuditEntries.Where(a => a.TargetId == hook.Webhook.Id.ToString()).Select(a => a.Action).ToListAsync();
        Assert.Contains(Crm.Core.Audit.AuditActions.WebhookCreated, actions);
        Assert.Contains(Crm.Core.Audit.AuditActions.WebhookSecretRotated, actions);
    }
}
