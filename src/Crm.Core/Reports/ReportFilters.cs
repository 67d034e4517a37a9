using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Views;

namespace Crm.Core.Reports;

/// <summary>
/// What the person looking at a report narrows it to: a date range (whole days, UTC, both ends included), an
/// owner, and conditions on any field (usually "select field is one of …"). Applied on top of the report's own
/// filters. Which date the range applies to depends on the report (see <see cref="ReportTypes"/>).
/// </summary>
public sealed record ReportFilters
{
    public static readonly ReportFilters None = new();

    public DateOnly? From { get; init; }
    public DateOnly? To { get; init; }
    public Guid? OwnerId { get; init; }
    public IReadOnlyList<FilterSpec> Fields { get; init; } = [];

    public bool HasRange => From is not null || To is not null;
    public bool IsEmpty => !HasRange && OwnerId is null && Fields.Count == 0;

    // The range's days are the workspace's local days: the instants they span come from the report context
    // (ReportContext.FromUtc, ToExclusiveUtc, InstantRangeOn), which knows the time zone.

    /// <summary>The range as record filters on a date (a close date, a date field): local days compare as they are.</summary>
    public IEnumerable<FilterSpec> RangeOn(string field)
    {
        static JsonNode Day(DateOnly d) => JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (From is { } from) yield return new FilterSpec(field, "gte", Day(from));
        if (To is { } to) yield return new FilterSpec(field, "lt", Day(to.AddDays(1)));
    }
}
