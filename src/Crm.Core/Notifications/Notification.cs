using Crm.Core.Tenancy;

namespace Crm.Core.Notifications;

/// <summary>One message in a person's notification centre (the bell): what happened, about which record, read or not.</summary>
public sealed class Notification : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    /// <summary>Stable key of the kind ("task.due", "pool.return-soon" …); e-mail preferences are by kind.</summary>
    public string Kind { get; set; } = "";
    public string Title { get; set; } = "";
    public string? Body { get; set; }
    public Guid? RecordId { get; set; }
    public Guid? EntityTypeId { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? ReadAt { get; set; }
}
