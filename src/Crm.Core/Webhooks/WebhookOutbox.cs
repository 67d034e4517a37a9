using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Jobs;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Webhooks;

/// <summary>
/// Stages webhook events on the context of the change that caused them, so they commit or roll back with it:
/// per matching webhook one <see cref="WebhookDelivery"/> (the payload, tenant-owned, row-level security) and one
/// <see cref="QueuedJob"/> of kind <see cref="JobKind"/> carrying its id. The job runner claims the job on one
/// instance (<c>FOR UPDATE SKIP LOCKED</c>) and <see cref="WebhookDeliverer"/> sends it after the commit.
/// </summary>
public sealed class WebhookOutbox
{
    public const string JobKind = "webhook.deliver";

    private IReadOnlyList<Webhook>? hooks;

    public WebhookOutbox() { }

    /// <summary>An outbox that stages against <paramref name="known"/> (enabled webhooks already read for this unit of work) when not null.</summary>
    public WebhookOutbox(IReadOnlyList<Webhook>? known) => hooks = known;

    /// <summary>The enabled webhooks read so far (null until the first event is staged).</summary>
    public IReadOnlyList<Webhook>? Known => hooks;

    /// <summary>The workspace's enabled webhooks, read once per unit of work (a writer's transaction).</summary>
    private async Task<IReadOnlyList<Webhook>> HooksAsync(CrmDbContext db, CancellationToken ct)
        => hooks ??= await db.Webhooks.AsNoTracking().Where(w => w.IsEnabled).ToListAsync(ct);

    /// <summary>
    /// Adds a delivery for every enabled webhook of the workspace that wants <paramref name="eventType"/> for
    /// <paramref name="entityKey"/>; returns how many. <paramref name="data"/> is merged into the standard envelope.
    /// </summary>
    public async Task<int> StageAsync(CrmDbContext db, string tenantSlug, string eventType, string? entityKey, Guid? recordId, DateTime at,
        JsonObject data, CancellationToken ct, Guid? onlyWebhookId = null)
    {
        var targets = (await HooksAsync(db, ct)).Where(w => onlyWebhookId is { } only ? w.Id == only : w.Wants(eventType, entityKey)).ToList();
        if (targets.Count == 0) return 0;
        var eventId = Guid.CreateVersion7();
        var payload = Envelope(eventId, eventType, at, tenantSlug, entityKey, recordId, data).ToJsonString();
        foreach (var hook in targets) Add(db, hook, eventId, eventType, recordId, payload, at);
        return targets.Count;
    }

    /// <summary>Whether any enabled webhook of the workspace wants <paramref name="eventType"/> for <paramref name="entityKey"/> (read once per unit of work).</summary>
    public async Task<bool> WantsAsync(CrmDbContext db, string eventType, string? entityKey, CancellationToken ct)
        => (await HooksAsync(db, ct)).Any(w => w.Wants(eventType, entityKey));

    internal static WebhookDelivery Add(CrmDbContext db, Webhook hook, Guid eventId, string eventType, Guid? recordId, string payload, DateTime at)
    {
        var delivery = new WebhookDelivery
        {
            TenantId = hook.TenantId, WebhookId = hook.Id, EventId = eventId, EventType = eventType, RecordId = recordId,
            Payload = payload, CreatedAt = at, Status = WebhookDeliveryStatus.Pending,
        };
        db.WebhookDeliveries.Add(delivery);
        db.QueuedJobs.Add(new QueuedJob { Kind = JobKind, TenantId = hook.TenantId, Payload = delivery.Id.ToString(), CreatedAt = at, RunAfter = at });
        return delivery;
    }

    public static JsonObject Envelope(Guid eventId, string eventType, DateTime at, string tenantSlug, string? entityKey, Guid? recordId, JsonObject data)
    {
        var o = new JsonObject
        {
            ["id"] = eventId,
            ["type"] = eventType,
            ["occurredAt"] = DateTime.SpecifyKind(at, DateTimeKind.Utc),
            ["tenant"] = tenantSlug,
            ["entity"] = entityKey,
            ["recordId"] = recordId,
        };
        foreach (var (k, v) in data) o[k] = v?.DeepClone();
        return o;
    }

    /// <summary>Stages "activity logged" for a new activity (in the activity's transaction).</summary>
    public async Task<int> StageActivityAsync(CrmDbContext db, string tenantSlug, Activities.Activity activity, CancellationToken ct)
    {
        if (!(await HooksAsync(db, ct)).Any(h => h.Events.Contains(WebhookEventTypes.ActivityLogged))) return 0;
        var entityKey = await db.EntityTypes.Where(e => e.Id == activity.EntityTypeId).Select(e => e.Key).FirstOrDefaultAsync(ct);
        var data = new JsonObject
        {
            ["activity"] = new JsonObject
            {
                ["id"] = activity.Id,
                ["kind"] = activity.Kind.ToString().ToLowerInvariant(),
                ["subject"] = activity.Subject,
                ["content"] = activity.Content,
                ["occurredAt"] = DateTime.SpecifyKind(activity.OccurredAt, DateTimeKind.Utc),
                ["dueAt"] = activity.DueAt is { } due ? DateTime.SpecifyKind(due, DateTimeKind.Utc) : null,
                ["ownerId"] = activity.OwnerId,
                ["assigneeId"] = activity.AssigneeId,
            },
        };
        return await StageAsync(db, tenantSlug, WebhookEventTypes.ActivityLogged, entityKey, activity.RecordId, activity.CreatedAt, data, ct);
    }

    /// <summary>Stages "deleted" events for records about to be deleted (their values read now, before the delete).</summary>
    public async Task<int> StageDeletesAsync(CrmDbContext db, Metadata.TenantMetadata metadata, string tenantSlug, IReadOnlyCollection<Guid> ids, DateTime at, CancellationToken ct)
    {
        if (!(await HooksAsync(db, ct)).Any(h => h.Events.Contains(WebhookEventTypes.RecordDeleted))) return 0;
        var rows = await db.Records.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.EntityTypeId, r.Title, r.Values }).ToListAsync(ct);
        var n = 0;
        foreach (var r in rows)
            n += await StageAsync(db, tenantSlug, WebhookEventTypes.RecordDeleted, metadata.Entity(r.EntityTypeId)?.Key, r.Id, at,
                new JsonObject { ["title"] = r.Title, ["values"] = RecordWriter.ParseValues(r.Values) }, ct);
        return n;
    }
}

/// <summary>
/// The record writer's step that writes webhook events into the outbox, inside the write's transaction: created or
/// updated, and stage changed when a stage transition was staged. Payloads carry every field's value: only admins
/// subscribe webhooks, and admins see every field (see docs/decisions.md, "Webhooks and OpenAPI").
/// </summary>
public sealed class WebhookOutboxStep(WebhookOutbox? outbox = null) : IRecordWriteStep
{
    public WebhookOutbox Outbox { get; } = outbox ?? new();

    public async Task OnWriteAsync(RecordWrite write, CancellationToken ct)
    {
        var record = write.Record;
        var key = write.Entity.Entity.Key;
        var slug = write.Actor.Tenant.Identifier;
        var eventType = write.IsNew ? WebhookEventTypes.RecordCreated : WebhookEventTypes.RecordUpdated;
        // The payload (a copy of every value) is built only when a webhook wants the event.
        if (await Outbox.WantsAsync(write.Db, eventType, key, ct))
        {
            var data = new JsonObject
            {
                ["title"] = record.Title,
                ["version"] = record.Version,
                ["values"] = write.After.DeepClone(),
            };
            if (!write.IsNew) data["changed"] = new JsonArray(write.Changes.Select(c => (JsonNode?)JsonValue.Create(c.Field)).ToArray());
            await Outbox.StageAsync(write.Db, slug, eventType, key, record.Id, write.At, data, ct);
        }

        // A new record entering its first stage is "created"; "stage changed" is a move (the transition this write
        // staged, not a scan of the change tracker).
        if (write.IsNew || write.StageTransition is not { } stage) return;
        if (!await Outbox.WantsAsync(write.Db, WebhookEventTypes.StageChanged, key, ct)) return;
        var stageData = new JsonObject
        {
            ["title"] = record.Title,
            ["pipeline"] = write.Entity.Pipeline(record.PipelineId ?? Guid.Empty)?.Key,
            ["from"] = stage.FromId is { } f ? write.Metadata.Stage(f)?.Stage.Key : null,
            ["to"] = write.Metadata.Stage(stage.ToId)?.Stage.Key,
            ["values"] = write.After.DeepClone(),
        };
        await Outbox.StageAsync(write.Db, slug, WebhookEventTypes.StageChanged, key, record.Id, write.At, stageData, ct);
    }
}
