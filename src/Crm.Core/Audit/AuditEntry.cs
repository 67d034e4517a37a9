using Crm.Core.Tenancy;

namespace Crm.Core.Audit;

/// <summary>
/// One line of a workspace's audit log: who did what, to what, when and from where. Append-only (no code updates
/// or deletes it; on PostgreSQL a trigger refuses UPDATE and DELETE). It keeps its own copy of every name it shows
/// (<see cref="ActorName"/>, <see cref="TargetLabel"/>) and has no foreign keys to records or users, so it still
/// reads the same after what it mentions is deleted.
/// </summary>
public sealed class AuditEntry : ITenantOwned
{
    public const int MaxActionLength = 64;
    public const int MaxTargetTypeLength = 64;
    public const int MaxTargetIdLength = 64;
    public const int MaxLabelLength = 300;
    public const int MaxActorNameLength = 256;
    public const int MaxDetailsLength = 4000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public DateTime At { get; set; }
    /// <summary>The member who acted (for an API key: the key's maker); null when nobody is known (a failed sign-in of an unknown e-mail never lands here).</summary>
    public Guid? ActorUserId { get; set; }
    /// <summary>The actor's name as it was then (display name, or the e-mail tried at a failed sign-in).</summary>
    public string ActorName { get; set; } = "";
    /// <summary>Set when an API key acted.</summary>
    public Guid? ApiKeyId { get; set; }
    /// <summary>What happened, as a stable key (<see cref="AuditActions"/>): shown as a localized sentence.</summary>
    public string Action { get; set; } = "";
    public string? TargetType { get; set; }
    public string? TargetId { get; set; }
    public string? TargetLabel { get; set; }
    /// <summary>A small JSON object with what else matters (old and new role, counts, file kind …).</summary>
    public string? Details { get; set; }
    public string? IpAddress { get; set; }
    public string? UserAgent { get; set; }
}
