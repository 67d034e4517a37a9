using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Tenancy;
using Crm.Core.Views;

namespace Crm.Core.Reports;

/// <summary>A saved report: a built-in report type with its options, or a custom group-by + measure.</summary>
public sealed class ReportDefinition : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Key { get; set; } = "";
    public LocalizedText Name { get; set; } = LocalizedText.Same("");
    public LocalizedText? Description { get; set; }
    public Guid EntityTypeId { get; set; }
    public ReportSpec Spec { get; set; } = new();
    public Guid? OwnerUserId { get; set; }
    public string? Origin { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

public sealed record ReportSpec
{
    /// <summary>custom, or a built-in type (funnel, pipelineValue, winRate …).</summary>
    public string Type { get; init; } = "custom";
    public string? Pipeline { get; init; }
    public GroupBySpec? GroupBy { get; init; }
    public MeasureSpec? Measure { get; init; }
    public List<FilterSpec> Filters { get; init; } = [];
    /// <summary>bar, line, pie, donut, funnel, table, kpi.</summary>
    public string Chart { get; init; } = "bar";
    public JsonObject? Options { get; init; }

    public bool Equals(ReportSpec? other) => other is not null && Json.Serialize(this) == Json.Serialize(other);
    public override int GetHashCode() => Json.Serialize(this).GetHashCode();
}

public sealed record GroupBySpec(string Field, string? Bucket = null);

public sealed record MeasureSpec(string Aggregate = "count", string? Field = null);
