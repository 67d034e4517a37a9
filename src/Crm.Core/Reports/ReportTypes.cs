using Crm.Core.Metadata;

namespace Crm.Core.Reports;

/// <summary>Which date a report's date range narrows.</summary>
public enum DateAxis
{
    /// <summary>When the record was created (the cohort of deals, leads, tickets …).</summary>
    Created,
    /// <summary>The expected close date (forecast).</summary>
    CloseDate,
    /// <summary>When a stage or status change happened (sales cycle, time in stage, status trend).</summary>
    Change,
    /// <summary>When the activity happened.</summary>
    Activity,
}

/// <summary>What an entity type must have for a built-in report to make sense.</summary>
public enum ReportNeeds
{
    Nothing,
    Stages,
    Status,
    /// <summary>An owner field (pools hold records without an owner).</summary>
    Owner,
}

public sealed record ReportTypeInfo(string Type, ReportNeeds Needs, DateAxis Axis, string DefaultChart, IReadOnlyList<string> OptionNames);

/// <summary>The built-in reports (besides <c>custom</c>: group by + measure) and what each needs.</summary>
public static class ReportTypes
{
    public const string Custom = "custom";

    public static readonly IReadOnlyList<string> Charts = ["bar", "line", "pie", "donut", "funnel", "table", "kpi"];
    public static readonly IReadOnlyList<string> Aggregates = ["count", "sum", "avg", "min", "max"];
    public static readonly IReadOnlyList<string> Buckets = ["day", "week", "month"];
    /// <summary>How an address groups: by its province or its city.</summary>
    public static readonly IReadOnlyList<string> RegionBuckets = ["province", "city"];

    public static readonly IReadOnlyList<ReportTypeInfo> BuiltIn =
    [
        new("funnel", ReportNeeds.Stages, DateAxis.Created, "funnel", []),
        new("pipelineValue", ReportNeeds.Stages, DateAxis.Created, "bar", []),
        new("winRate", ReportNeeds.Stages, DateAxis.Created, "kpi", []),
        new("salesCycle", ReportNeeds.Stages, DateAxis.Change, "kpi", []),
        new("timeInStage", ReportNeeds.Stages, DateAxis.Change, "bar", []),
        new("forecast", ReportNeeds.Stages, DateAxis.CloseDate, "bar", []),
        new("statusDistribution", ReportNeeds.Status, DateAxis.Created, "donut", []),
        new("statusTrend", ReportNeeds.Status, DateAxis.Change, "line", ["bucket"]),
        new("churnWarning", ReportNeeds.Status, DateAxis.Created, "table", ["inactiveDays", "atRiskGroups"]),
        new("activitiesByOwner", ReportNeeds.Nothing, DateAxis.Activity, "bar", []),
        new("activitiesByChannel", ReportNeeds.Nothing, DateAxis.Activity, "pie", []),
        new("interactionFrequency", ReportNeeds.Nothing, DateAxis.Activity, "table", []),
        new("campaignRoi", ReportNeeds.Nothing, DateAxis.Created, "bar", ["costField", "revenueField", "leadEntity", "leadCampaignField", "convertedGroup"]),
        new("leadSourceConversion", ReportNeeds.Status, DateAxis.Created, "bar", ["sourceField", "convertedGroup"]),
        new("ticketsByStatus", ReportNeeds.Status, DateAxis.Created, "donut", []),
        new("ticketResolution", ReportNeeds.Status, DateAxis.Created, "table", ["problemTypeField", "firstResponseField", "resolvedField", "resolvedGroup"]),
        new("poolActivity", ReportNeeds.Owner, DateAxis.Change, "table", []),
    ];

    /// <summary>
    /// Where a report of <paramref name="type"/> goes in the report list: the built-in analyses in the order of
    /// <see cref="BuiltIn"/> (the funnel first, as the sales process reads), custom charts after them.
    /// </summary>
    public static int ListRank(string? type)
    {
        for (var i = 0; i < BuiltIn.Count; i++) if (BuiltIn[i].Type == type) return i;
        return BuiltIn.Count;
    }

    public static ReportTypeInfo? Find(string? type) => BuiltIn.FirstOrDefault(t => t.Type == type);

    public static bool IsKnown(string? type) => type == Custom || Find(type) is not null;

    /// <summary>True when <paramref name="entity"/> has what the report type needs (stages, a status field).</summary>
    public static bool Fits(string type, EntityMeta entity) => Find(type)?.Needs switch
    {
        null => type == Custom,
        ReportNeeds.Stages => entity.StageField is not null && entity.Pipelines.Count > 0,
        ReportNeeds.Status => entity.StatusField is not null,
        ReportNeeds.Owner => entity.OwnerField is not null,
        _ => true,
    };

    /// <summary>The date the range applies to for a report of <paramref name="type"/>.</summary>
    public static DateAxis AxisOf(string type) => Find(type)?.Axis ?? DateAxis.Created;
}
