using Crm.Core.Tenancy;

namespace Crm.Core.Notifications;

/// <summary>
/// One thing a time-based sweep did (a return to the pool, a reminder), keyed by what it was about and which
/// occurrence: the unique key (kind, subject, occurrence), inserted in the same transaction as the work, is what
/// makes two racing workers do it once.
/// </summary>
public sealed class SweepOccurrence : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Kind { get; set; } = "";
    /// <summary>The record or task it was about.</summary>
    public Guid SubjectId { get; set; }
    /// <summary>Which occurrence (e.g. the due time or the date the clock started), so a new cycle may act again.</summary>
    public string Occurrence { get; set; } = "";
    public DateTime At { get; set; }
}
