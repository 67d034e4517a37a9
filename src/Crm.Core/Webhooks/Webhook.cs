using Crm.Core.Tenancy;

namespace Crm.Core.Webhooks;

/// <summary>
/// A subscription of a URL to events of one workspace: which events, for which entity types (none listed = all),
/// the signing secret (protected with ASP.NET Data Protection; shown once when made or rotated) and its health
/// (consecutive failed deliveries; disabled automatically at <see cref="WebhookOptions.DisableAfterFailures"/>).
/// </summary>
public sealed class Webhook : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Url { get; set; } = "";
    public string? Description { get; set; }
    /// <summary>Event type keys (<see cref="WebhookEventTypes"/>).</summary>
    public List<string> Events { get; set; } = [];
    /// <summary>Entity type keys; empty means every entity type.</summary>
    public List<string> EntityTypes { get; set; } = [];
    /// <summary>The secret, protected (<see cref="WebhookService.SecretPurpose"/>); never shown again after creation.</summary>
    public string ProtectedSecret { get; set; } = "";
    public bool IsEnabled { get; set; } = true;
    /// <summary>Why it was switched off automatically; null when an admin did it or it is on.</summary>
    public string? DisabledReason { get; set; }
    public int ConsecutiveFailures { get; set; }
    public Guid CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public bool Wants(string eventType, string? entityKey)
        => IsEnabled && Events.Contains(eventType) && (EntityTypes.Count == 0 || entityKey is null || EntityTypes.Contains(entityKey));
}

public enum WebhookDeliveryStatus
{
    Pending,
    Succeeded,
    Failed,
}

/// <summary>
/// The outbox: one event for one webhook, written in the same transaction as the change that caused it, with the
/// payload as it will be sent. Delivered after commit by the job runner (<see cref="WebhookDeliverer"/>).
/// </summary>
public sealed class WebhookDelivery : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WebhookId { get; set; }
    /// <summary>The event's id (the same for every webhook the event went to); receivers de-duplicate by it.</summary>
    public Guid EventId { get; set; }
    public string EventType { get; set; } = "";
    public Guid? RecordId { get; set; }
    public string Payload { get; set; } = "";
    public WebhookDeliveryStatus Status { get; set; }
    /// <summary>HTTP attempts so far (each one a row of <see cref="WebhookAttempt"/>).</summary>
    public int Attempts { get; set; }
    /// <summary>Rounds of attempts so far: the job runner retries a failed round later (exponential back-off).</summary>
    public int Rounds { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
}

/// <summary>One HTTP attempt of a delivery: the delivery log.</summary>
public sealed class WebhookAttempt : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WebhookId { get; set; }
    public Guid DeliveryId { get; set; }
    public int AttemptNo { get; set; }
    public DateTime At { get; set; }
    public int? StatusCode { get; set; }
    public int DurationMs { get; set; }
    public string? Error { get; set; }
    public bool Succeeded { get; set; }
}

/// <summary>The events a webhook can subscribe to.</summary>
public static class WebhookEventTypes
{
    public const string RecordCreated = "record.created";
    public const string RecordUpdated = "record.updated";
    public const string RecordDeleted = "record.deleted";
    public const string StageChanged = "record.stage_changed";
    public const string ActivityLogged = "activity.logged";
    /// <summary>Sent by the automation action "call webhook" (not subscribable).</summary>
    public const string RuleCalled = "rule.called";
    public const string Ping = "ping";

    public static readonly IReadOnlyList<string> All = [RecordCreated, RecordUpdated, RecordDeleted, StageChanged, ActivityLogged];
}
