using Crm.Core.Accounts;

namespace Crm.Core.Activities;

/// <summary>
/// What the composer (or an integration) sends to log an interaction or a note, or to add a follow-up task.
/// Times are UTC; a missing <see cref="OccurredAt"/> means "now".
/// </summary>
public sealed record ActivityInput(ActivityKind Kind, string? Subject)
{
    public string? Content { get; init; }
    /// <summary>Interactions and notes: when it happened. Ignored for tasks (a task is dated by its due time).</summary>
    public DateTime? OccurredAt { get; init; }
    /// <summary>Tasks: when it must be done (required).</summary>
    public DateTime? DueAt { get; init; }
    /// <summary>Tasks: who must do it; the author when omitted.</summary>
    public Guid? AssigneeId { get; init; }
}

/// <summary>The keys activity errors are filed under (the composer shows each beside its input).</summary>
public static class ActivityFields
{
    public const string Kind = "kind";
    public const string Subject = "subject";
    public const string Content = "content";
    public const string OccurredAt = "occurredAt";
    public const string DueAt = "dueAt";
    public const string Assignee = "assignee";
    /// <summary>Errors about the activity as a whole (not found, not yours, not a task).</summary>
    public const string General = "_activity";

    public const int SubjectMaxLength = 300;
    public const int ContentMaxLength = 10_000;
}

/// <summary>The saved activity, or field-keyed errors (nothing was changed), or "not found".</summary>
public sealed record ActivityResult(Activity? Activity, ValidationErrors Errors, bool NotFound = false)
{
    public bool Succeeded => Activity is not null && Errors.IsEmpty && !NotFound;
}

/// <summary>The record's contact history at a glance (seeds/003: interaction frequency per customer).</summary>
public sealed record InteractionSummary(DateTime? LastAt, ActivityKind? LastKind, int LastWindowCount, int OpenTasks, int OverdueTasks)
{
    public static readonly InteractionSummary None = new(null, null, 0, 0, 0);
}

/// <summary>A task on the "My tasks" page with the record it belongs to.</summary>
public sealed record TaskItem(Activity Task, string RecordTitle, Guid EntityTypeId, bool IsOverdue);
