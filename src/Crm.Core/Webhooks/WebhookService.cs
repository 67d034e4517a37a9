using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Webhooks;

/// <summary>What an admin sets on a webhook.</summary>
public sealed record WebhookInput(string Url, IReadOnlyList<string> Events, IReadOnlyList<string>? EntityTypes = null, string? Description = null);

/// <summary>The outcome of a save: the webhook, and the secret when one was just made (shown once), or the errors by field.</summary>
public sealed record WebhookResult(Webhook? Webhook, string? Secret, ValidationErrors Errors)
{
    public bool Succeeded => Errors.IsEmpty && Webhook is not null;
}

/// <summary>
/// Webhook subscriptions for a workspace's admins (checked on every call with the actor's current role): create with a
/// secret shown once, edit, switch on and off, rotate the secret, delete, read the delivery log, redeliver. URLs pass
/// the SSRF guard when saved (and again at every delivery). Every change is in the audit log.
/// </summary>
public sealed class WebhookService(
    ICrmDbContextFactory factory,
    MetadataStore metadataStore,
    WebhookAddressGuard guard,
    IDataProtectionProvider protection,
    AuditTrail audit,
    IStringLocalizer<CoreStrings> t,
    TimeProvider clock)
{
    public const string SecretPurpose = "Crm.Webhooks.Secret.v1";
    public const int MaxPerWorkspace = 50;

    public async Task<IReadOnlyList<Webhook>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        return await db.Webhooks.AsNoTracking().OrderBy(w => w.CreatedAt).ToListAsync(ct);
    }

    public async Task<Webhook?> GetAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        return await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, ct);
    }

    public async Task<WebhookResult> CreateAsync(Actor actor, WebhookInput input, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        var errors = new ValidationErrors();
        var url = await CheckAsync(db, actor, input, errors, ct);
        if (await db.Webhooks.CountAsync(ct) >= MaxPerWorkspace) errors.Add("url", t["Webhook.TooMany", MaxPerWorkspace]);
        if (!errors.IsEmpty) return new(null, null, errors);
        var secret = WebhookSignature.NewSecret();
        var now = Now;
        var hook = new Webhook
        {
            Url = url!, Description = Clean(input.Description), Events = input.Events.Distinct().ToList(), EntityTypes = (input.EntityTypes ?? []).Distinct().ToList(),
            ProtectedSecret = WebhookDeliverer.Protector(protection).Protect(secret), CreatedBy = actor.UserId, CreatedAt = now, UpdatedAt = now,
        };
        db.Webhooks.Add(hook);
        audit.Stage(db, actor, Event(AuditActions.WebhookCreated, hook));
        await db.SaveChangesAsync(ct);
        return new(hook, secret, errors);
    }

    public async Task<WebhookResult> UpdateAsync(Actor actor, Guid id, WebhookInput input, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        var hook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct);
        var errors = new ValidationErrors();
        if (hook is null) { errors.Add("id", t["Webhook.NotFound"]); return new(null, null, errors); }
        var url = await CheckAsync(db, actor, input, errors, ct);
        if (!errors.IsEmpty) return new(null, null, errors);
        (hook.Url, hook.Description, hook.Events, hook.EntityTypes, hook.UpdatedAt) = (url!, Clean(input.Description), input.Events.Distinct().ToList(), (input.EntityTypes ?? []).Distinct().ToList(), Now);
        audit.Stage(db, actor, Event(AuditActions.WebhookEdited, hook));
        await db.SaveChangesAsync(ct);
        return new(hook, null, errors);
    }

    /// <summary>Switches a webhook on or off; switching on clears the failure count and the reason it was switched off.</summary>
    public async Task<bool> SetEnabledAsync(Actor actor, Guid id, bool enabled, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        var hook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct);
        if (hook is null) return false;
        hook.IsEnabled = enabled;
        hook.DisabledReason = null;
        if (enabled) hook.ConsecutiveFailures = 0;
        hook.UpdatedAt = Now;
        audit.Stage(db, actor, Event(enabled ? AuditActions.WebhookEnabled : AuditActions.WebhookDisabled, hook));
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>A new secret (returned once); deliveries from now on are signed with it.</summary>
    public async Task<string?> RotateSecretAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        var hook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct);
        if (hook is null) return null;
        var secret = WebhookSignature.NewSecret();
        hook.ProtectedSecret = WebhookDeliverer.Protector(protection).Protect(secret);
        hook.UpdatedAt = Now;
        audit.Stage(db, actor, Event(AuditActions.WebhookSecretRotated, hook));
        await db.SaveChangesAsync(ct);
        return secret;
    }

    /// <summary>
    /// The names of the workspace's rules (enabled or not, archived ones left out) with a "call webhook" action that
    /// names webhook <paramref name="id"/>, by sort order: the settings page warns with them before a delete. Deleting
    /// does not touch them: their call then fails in the run history (see docs/decisions.md, auto-bench).
    /// </summary>
    public async Task<IReadOnlyList<string>> RulesCallingAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        var rules = await db.AutomationRules.AsNoTracking().Where(r => !r.IsArchived)
            .OrderBy(r => r.SortOrder).ThenBy(r => r.CreatedAt).ToListAsync(ct);
        return rules.Where(r => r.Actions.Any(a => a.Kind == Automation.ActionKinds.CallWebhook && a.Webhook == id))
            .Select(r => r.Name.Get()).ToList();
    }

    public async Task<bool> DeleteAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        var hook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct);
        if (hook is null) return false;
        db.Webhooks.Remove(hook);
        audit.Stage(db, actor, Event(AuditActions.WebhookDeleted, hook));
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>The delivery log of a webhook, newest first.</summary>
    public async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(Actor actor, Guid webhookId, int take = 50, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        return await db.WebhookDeliveries.AsNoTracking().Where(d => d.WebhookId == webhookId)
            .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).Take(Math.Clamp(take, 1, 500)).ToListAsync(ct);
    }

    /// <summary>The HTTP attempts of one delivery, in order.</summary>
    public async Task<IReadOnlyList<WebhookAttempt>> AttemptsAsync(Actor actor, Guid deliveryId, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        return await db.WebhookAttempts.AsNoTracking().Where(a => a.DeliveryId == deliveryId).OrderBy(a => a.AttemptNo).ToListAsync(ct);
    }

    /// <summary>Sends a delivery's event again, as a new delivery with the same event id and payload (receivers de-duplicate by event id).</summary>
    public async Task<WebhookDelivery?> RedeliverAsync(Actor actor, Guid deliveryId, CancellationToken ct = default)
    {
        await using var db = await AdminContextAsync(actor, ct);
        var old = await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == deliveryId, ct);
        if (old is null) return null;
        var hook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == old.WebhookId, ct);
        if (hook is null) return null;
        if (!hook.IsEnabled) throw new ForbiddenException(t["Webhook.RedeliverDisabled"]);
        var delivery = WebhookOutbox.Add(db, hook, old.EventId, old.EventType, old.RecordId, old.Payload, Now);
        audit.Stage(db, actor, Event(AuditActions.WebhookRedelivered, hook, new JsonObject { ["delivery"] = old.Id, ["event"] = old.EventId }));
        await db.SaveChangesAsync(ct);
        return delivery;
    }

    private async Task<string?> CheckAsync(CrmDbContext db, Actor actor, WebhookInput input, ValidationErrors errors, CancellationToken ct)
    {
        string? url = null;
        try { url = (await guard.CheckUrlAsync(input.Url ?? "", ct)).ToString(); }
        catch (WebhookAddressException e) { errors.Add("url", t["Webhook.UrlRefused", e.Message]); }
        if (input.Events is null || input.Events.Count == 0) errors.Add("events", t["Webhook.EventsRequired"]);
        else foreach (var unknown in input.Events.Where(e => !WebhookEventTypes.All.Contains(e)))
                errors.Add("events", t["Webhook.UnknownEvent", unknown]);
        if (input.EntityTypes is { Count: > 0 } keys)
        {
            var metadata = await metadataStore.GetAsync(db, ct);
            foreach (var key in keys.Where(k => metadata.Entity(k) is null)) errors.Add("entityTypes", t["Webhook.UnknownEntity", key]);
        }
        if (input.Description is { Length: > 200 }) errors.Add("description", t["Webhook.DescriptionTooLong", 200]);
        return url;
    }

    private async Task<CrmDbContext> AdminContextAsync(Actor actor, CancellationToken ct)
    {
        // Keys act as their maker but may not manage webhooks (a leaked key must not redirect the workspace's data).
        if (actor.ApiKeyId is not null) throw new ForbiddenException(t["Webhook.NotWithApiKey"]);
        var db = factory.CreateForTenant(actor.TenantId);
        try
        {
            await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    private static AuditEvent Event(string action, Webhook hook, JsonObject? details = null)
    {
        details ??= [];
        details["url"] = hook.Url;
        details["events"] = new JsonArray(hook.Events.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray());
        return new AuditEvent(action, AuditActions.Targets.Webhook, hook.Id.ToString(), hook.Url, details);
    }

    private static string? Clean(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
