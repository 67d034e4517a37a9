using Crm.Core.Tenancy;

namespace Crm.Core.Records;

public enum TransitionKind
{
    Stage = 0,
    Status = 1,
}

/// <summary>
/// An appended row per stage or status change: the funnel, win rate, time in stage and sales cycle are
/// computed from these in SQL. Durations are stored in seconds so every provider aggregates them the same way.
/// </summary>
[Crm.Core.Data.TenantThroughParent("(TenantId, RecordId) → records, which cascades; one key check per stage/status move fewer on every write and import.")]
public sealed class RecordTransition : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RecordId { get; set; }
    public Guid EntityTypeId { get; set; }
    public TransitionKind Kind { get; set; }
    public Guid? PipelineId { get; set; }
    /// <summary>Stage or status option left (null when the record was created in <see cref="ToId"/>).</summary>
    public Guid? FromId { get; set; }
    public Guid ToId { get; set; }
    public DateTime At { get; set; } = DateTime.UtcNow;
    public Guid? ByUserId { get; set; }
    /// <summary>The record's amount at the time of the change.</summary>
    public decimal? Amount { get; set; }
    /// <summary>Seconds spent in <see cref="FromId"/> before this change.</summary>
    public long? SecondsInFrom { get; set; }
    /// <summary>Seconds from the record's creation to this change (sales cycle when <see cref="ToId"/> is won).</summary>
    public long SecondsSinceCreated { get; set; }
}
