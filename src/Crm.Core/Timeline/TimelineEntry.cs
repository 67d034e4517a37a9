using Crm.Core.Activities;

namespace Crm.Core.Timeline;

public enum TimelineEntryKind
{
    /// <summary>A call, e-mail, meeting, message, note or task.</summary>
    Activity,
    /// <summary>The record was created (with its first values).</summary>
    Created,
    /// <summary>Fields were changed in one save.</summary>
    Changed,
    /// <summary>The record moved to another pipeline stage.</summary>
    Stage,
    /// <summary>The record's status changed.</summary>
    Status,
}

/// <summary>One field of a save, as the user reads it: label, old and new value already displayed (names resolved).</summary>
public sealed record TimelineFieldChange(string FieldKey, string Label, string Old, string New);

/// <summary>One line of a record's timeline, newest first; what it carries depends on <see cref="Kind"/>.</summary>
public sealed record TimelineEntry(TimelineEntryKind Kind, Guid Id, DateTime At, Guid? ByUserId, string? ByName)
{
    public Activity? Activity { get; init; }
    /// <summary>Tasks: the assignee's name.</summary>
    public string? AssigneeName { get; init; }
    /// <summary>Created and Changed: the fields with their values.</summary>
    public IReadOnlyList<TimelineFieldChange> Changes { get; init; } = [];
    /// <summary>Changed: why the system made the change (a pool return, a rule), when it says.</summary>
    public string? Reason { get; init; }
    /// <summary>Stage and Status: the field's label, the labels left and entered, and the time spent in the one left.</summary>
    public string? FieldLabel { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public string? ToColor { get; init; }
    public long? SecondsInFrom { get; init; }
}

/// <summary>Where the next page starts: how many rows of each source the pages so far have used.</summary>
public sealed record TimelineCursor(int Activities, int Changes, int Transitions)
{
    public static readonly TimelineCursor Start = new(0, 0, 0);
}

public sealed record TimelinePage(IReadOnlyList<TimelineEntry> Entries, TimelineCursor? Next)
{
    public bool HasMore => Next is not null;
}

/// <summary>Which sources a timeline shows.</summary>
public enum TimelineFilter
{
    All,
    Activities,
    Changes,
}
