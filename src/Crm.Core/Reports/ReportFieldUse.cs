using Crm.Core.Metadata;
using Crm.Core.Permissions;

namespace Crm.Core.Reports;

/// <summary>
/// Which fields a report reads — its group-by, measure, filters (its own and the viewer's), the owner filter, the
/// date it buckets or narrows, and for the built-in reports the bound fields (stage, amount, close date, status,
/// title, owner) and the fields their options name. A report that reads a field hidden from the viewer would show
/// it as groups, sums or a filter, so <see cref="ReportEngine"/> refuses it for that viewer instead.
/// </summary>
public static class ReportFieldUse
{
    /// <summary>(entity type, field key or record attribute such as <c>$owner</c>) for every field the report reads.</summary>
    public static IEnumerable<(EntityMeta Entity, string Field)> Of(TenantMetadata metadata, EntityMeta entity, ReportSpec spec, ReportFilters filters)
    {
        foreach (var f in spec.Filters) yield return (entity, f.Field);
        foreach (var f in filters.Fields) yield return (entity, f.Field);
        if (filters.OwnerId is not null && spec.Type is not ("activitiesByOwner" or "activitiesByChannel" or "interactionFrequency"))
            yield return (entity, "$owner");
        if (spec.Pipeline is not null) yield return (entity, "$stage");
        if (spec.Type == ReportTypes.Custom)
        {
            if (spec.GroupBy is { } group) yield return (entity, group.Field);
            if (spec.Measure is { Aggregate: not "count", Field: { } measure }) yield return (entity, measure);
            yield break;
        }

        string? Option(string name) => spec.Options?[name] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
        switch (spec.Type)
        {
            case "funnel" or "salesCycle" or "timeInStage":
                yield return (entity, "$stage");
                break;
            case "pipelineValue" or "winRate":
                yield return (entity, "$stage");
                yield return (entity, "$amount");
                break;
            case "forecast":
                yield return (entity, "$stage");
                yield return (entity, "$amount");
                yield return (entity, "$closeDate");
                break;
            case "statusDistribution" or "statusTrend" or "ticketsByStatus":
                yield return (entity, "$status");
                break;
            case "churnWarning":
                yield return (entity, "$status");
                yield return (entity, "$title");
                yield return (entity, "$owner");
                break;
            case "leadSourceConversion":
                yield return (entity, "$status");
                if (Option("sourceField") is { } source) yield return (entity, source);
                break;
            case "poolActivity": // pool size = records of the pool without an owner
                yield return (entity, "$owner");
                break;
            case "ticketResolution":
                yield return (entity, "$status");
                foreach (var name in new[] { "problemTypeField", "firstResponseField", "resolvedField" })
                    if (Option(name) is { } key) yield return (entity, key);
                break;
            case "campaignRoi":
                yield return (entity, "$title");
                foreach (var name in new[] { "costField", "revenueField" })
                    if (Option(name) is { } key) yield return (entity, key);
                if (metadata.Entity(Option("leadEntity") ?? "") is { } leads)
                {
                    if (Option("leadCampaignField") is { } link) yield return (leads, link);
                    if (Option("convertedGroup") is not null) yield return (leads, "$status");
                }
                break;
        }
    }

    /// <summary>The first field the report reads that <paramref name="rights"/> hide from the viewer, or null.</summary>
    public static HiddenFieldRef? FirstHidden(TenantMetadata metadata, EntityMeta entity, ReportSpec spec, ReportFilters filters, IReadOnlyDictionary<Guid, EntityAccess> rights)
    {
        var views = new Dictionary<Guid, EntityFieldView>();
        foreach (var (on, field) in Of(metadata, entity, spec, filters))
        {
            if (!rights.TryGetValue(on.Entity.Id, out var access) || access.Fields.Count == 0) continue;
            if (!views.TryGetValue(on.Entity.Id, out var view)) views[on.Entity.Id] = view = on.For(access);
            if (view.CanUse(field)) continue;
            return HiddenFieldRef.Of(on, field);
        }
        return null;
    }
}
