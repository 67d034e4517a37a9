using Crm.Core.Tenancy;

namespace Crm.Core.Activities;

/// <summary>Calls, e-mails, meetings and messages are interactions; notes are remarks; tasks are follow-ups.</summary>
public enum ActivityKind
{
    Call = 0,
    Email = 1,
    Meeting = 2,
    Message = 3,
    Note = 4,
    Task = 5,
}

/// <summary>Something that happened with, or must be done for, a record (seeds/003: every interaction is kept).</summary>
public sealed class Activity : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RecordId { get; set; }
    public Guid EntityTypeId { get; set; }
    public ActivityKind Kind { get; set; }
    public string Subject { get; set; } = "";
    public string? Content { get; set; }
    /// <summary>When it happened (interactions) or was logged.</summary>
    public DateTime OccurredAt { get; set; } = DateTime.UtcNow;
    public Guid? OwnerId { get; set; }
    /// <summary>Tasks: due date and who must do it.</summary>
    public DateTime? DueAt { get; set; }
    public Guid? AssigneeId { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public Guid? CreatedBy { get; set; }

    public static bool IsInteraction(ActivityKind kind) => kind is ActivityKind.Call or ActivityKind.Email or ActivityKind.Meeting or ActivityKind.Message;
}
