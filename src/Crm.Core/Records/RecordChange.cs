using Crm.Core.Tenancy;

namespace Crm.Core.Records;

public enum RecordChangeKind
{
    Created = 0,
    Updated = 1,
}

/// <summary>One save of a record, for its timeline: who changed which fields from what to what.</summary>
[Crm.Core.Data.TenantThroughParent("(TenantId, RecordId) → records, which cascades; one key check per timeline entry fewer on every write and import.")]
public sealed class RecordChange : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RecordId { get; set; }
    public RecordChangeKind Kind { get; set; }
    public DateTime At { get; set; } = DateTime.UtcNow;
    public Guid? ByUserId { get; set; }
    /// <summary>JSON array of {field, old, new}.</summary>
    public string Changes { get; set; } = "[]";
    /// <summary>Why the system made this change, shown on the timeline ("returned to pool: 30 days without follow-up").</summary>
    public string? Reason { get; set; }
}

public sealed record FieldChange(string Field, System.Text.Json.Nodes.JsonNode? Old, System.Text.Json.Nodes.JsonNode? New);
