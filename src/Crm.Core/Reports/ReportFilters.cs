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

    /// <summary>The days a range may name. Outside them the day arithmetic (the day after the end, a zone's offset)
    /// would leave the calendar; the API refuses such a day and anything else that builds filters is held inside.</summary>
    public static readonly DateOnly EarliestDay = new(1900, 1, 1);
    public static readonly DateOnly LatestDay = new(2999, 12, 31);

    public DateOnly? From { get; init => field = Clamp(value); }
    public DateOnly? To { get; init => field = Clamp(value); }

    public static bool InRange(DateOnly day) => day >= EarliestDay && day <= LatestDay;
    private static DateOnly? Clamp(DateOnly? day) => day is { } d ? (d < EarliestDay ? EarliestDay : d > LatestDay ? LatestDay : d) : null;
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
