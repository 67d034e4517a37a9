using Crm.Core.Data;
using Crm.Core.Jobs;
using Crm.Core.Notifications;
using Crm.Core.Resources;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Polly;
using Polly.Retry;

namespace Crm.Core.Webhooks;

/// <summary>
/// Sends one outbox row (<see cref="WebhookDelivery"/>), run by the job runner for jobs of kind
/// <see cref="WebhookOutbox.JobKind"/> after the change committed. A round is one call plus up to
/// <see cref="WebhookOptions.Retries"/> quick retries (Polly: exponential back-off with jitter); every HTTP attempt is
/// logged (<see cref="WebhookAttempt"/>). A failed round is queued again with a longer back-off until
/// <see cref="WebhookOptions.Rounds"/>; each failed round counts towards the webhook's consecutive failures, and at
/// <see cref="WebhookOptions.DisableAfterFailures"/> the webhook is switched off and the workspace's admins told.
/// </summary>
public sealed class WebhookDeliverer(
    ICrmDbContextFactory factory,
    WebhookHttp http,
    WebhookOptions options,
    IDataProtectionProvider protection,
    INotificationService notifications,
    IStringLocalizer<CoreStrings> t,
    TimeProvider clock)
{
    public const string DisabledNotificationKind = "webhook.disabled";

    public Task RunAsync(QueuedJob job, CancellationToken ct)
        => job.TenantId is { } tenant && Guid.TryParse(job.Payload, out var id) ? DeliverAsync(tenant, id, ct) : Task.CompletedTask;

    /// <summary>Runs one round of <paramref name="deliveryId"/>; returns its status afterwards (pending: queued again).</summary>
    public async Task<WebhookDeliveryStatus?> DeliverAsync(Guid tenantId, Guid deliveryId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(tenantId);
        var delivery = await db.WebhookDeliveries.FirstOrDefaultAsync(d => d.Id == deliveryId, ct);
        if (delivery is null || delivery.Status != WebhookDeliveryStatus.Pending) return delivery?.Status;
        var hook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == delivery.WebhookId, ct);
        if (hook is null || !hook.IsEnabled)
        {
            delivery.Status = WebhookDeliveryStatus.Failed;
            delivery.LastError = "The webhook is disabled.";
            delivery.CompletedAt = Now;
            await db.SaveChangesAsync(ct);
            return delivery.Status;
        }
        var secret = Protector(protection).Unprotect(hook.ProtectedSecret);

        WebhookResponse last = new(null, "Not sent.", 0);
        var builder = new ResiliencePipelineBuilder<WebhookResponse> { TimeProvider = clock };
        if (options.Retries > 0)
            builder.AddRetry(new RetryStrategyOptions<WebhookResponse>
            {
                MaxRetryAttempts = options.Retries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                // Server errors, timeouts, refused connections, 408 and 429 are worth another try; other 4xx are not.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } r && !r.Succeeded && Transient(r)),
            });
        await builder.Build().ExecuteAsync(async token =>
        {
            delivery.Attempts++;
            var now = clock.GetUtcNow();
            var headers = new Dictionary<string, string>
            {
                [WebhookSignature.Header] = WebhookSignature.Sign(secret, now.ToUnixTimeSeconds(), delivery.Payload),
                ["X-Crm-Event"] = delivery.EventType,
                ["X-Crm-Event-Id"] = delivery.EventId.ToString(),
                ["X-Crm-Delivery"] = delivery.Id.ToString(),
            };
            last = await http.PostAsync(hook.Url, delivery.Payload, headers, token);
            db.WebhookAttempts.Add(new WebhookAttempt
            {
                WebhookId = hook.Id, DeliveryId = delivery.Id, AttemptNo = delivery.Attempts, At = now.UtcDateTime,
                StatusCode = last.StatusCode, DurationMs = last.DurationMs, Error = Truncate(last.Error), Succeeded = last.Succeeded,
            });
            delivery.LastStatusCode = last.StatusCode;
            delivery.LastError = Truncate(last.Error);
            await db.SaveChangesAsync(CancellationToken.None);
            return last;
        }, ct);

        delivery.Rounds++;
        var hooks = db.Webhooks.Where(w => w.Id == hook.Id);
        if (last.Succeeded)
        {
            delivery.Status = WebhookDeliveryStatus.Succeeded;
            delivery.CompletedAt = Now;
            await db.SaveChangesAsync(CancellationToken.None);
            await hooks.ExecuteUpdateAsync(s => s.SetProperty(w => w.ConsecutiveFailures, 0), CancellationToken.None);
            return delivery.Status;
        }

        await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
        // Counted in the database (two deliveries of one webhook may fail at the same moment); the one UPDATE
        // that switches the webhook off tells the admins.
        await hooks.ExecuteUpdateAsync(s => s.SetProperty(w => w.ConsecutiveFailures, w => w.ConsecutiveFailures + 1), CancellationToken.None);
        var limit = options.DisableAfterFailures;
        var reason = t["Webhook.DisabledReason", limit].Value;
        var disabled = await hooks.Where(w => w.IsEnabled && w.ConsecutiveFailures >= limit)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.IsEnabled, false).SetProperty(w => w.DisabledReason, reason), CancellationToken.None) == 1;
        if (disabled || delivery.Rounds >= options.Rounds)
        {
            delivery.Status = WebhookDeliveryStatus.Failed;
            delivery.CompletedAt = Now;
        }
        else
        {
            // Exponential back-off between rounds, ±20 % jitter so that many failed deliveries do not return in step.
            var backoff = options.RoundDelay * Math.Pow(4, delivery.Rounds - 1) * (0.8 + 0.4 * Random.Shared.NextDouble());
            db.QueuedJobs.Add(new QueuedJob { Kind = WebhookOutbox.JobKind, TenantId = tenantId, Payload = delivery.Id.ToString(), CreatedAt = Now, RunAfter = Now + backoff });
        }
        await db.SaveChangesAsync(CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);

        if (disabled)
        {
            var admins = await db.Memberships.Where(m => m.TenantId == tenantId && m.Role >= MemberRole.Admin).Select(m => m.UserId).ToListAsync(CancellationToken.None);
            await notifications.NotifyAsync(tenantId, new NotificationRequest(admins, DisabledNotificationKind,
                t["Webhook.DisabledTitle"], t["Webhook.DisabledBody", hook.Url, limit]), CancellationToken.None);
        }
        return delivery.Status;
    }

    private static bool Transient(WebhookResponse r) => r.StatusCode is null or >= 500 or 408 or 429;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    internal static IDataProtector Protector(IDataProtectionProvider provider) => provider.CreateProtector(WebhookService.SecretPurpose);

    private static string? Truncate(string? s) => s is { Length: > 2000 } ? s[..2000] : s;
}
