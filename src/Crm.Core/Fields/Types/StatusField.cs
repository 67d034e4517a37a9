using Crm.Core.Metadata;

namespace Crm.Core.Fields.Types;

/// <summary>A status from one of the tenant's status lists (e.g. customer lifecycle); changes are recorded as transitions.</summary>
public sealed class StatusField : ChoiceFieldBase
{
    public override string Name => FieldTypes.Status;
    public override IReadOnlyList<string> Bindings => [FieldBindings.Status, FieldBindings.LostReason];
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.Select, FieldTypes.Text, FieldTypes.LongText];
    public override ReportGrouping Grouping => ReportGrouping.Value;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default", "StatusList"];

    public override IReadOnlyList<(string Key, LocalizedText Label, string? Color, bool Archived)> Options(FieldContext ctx)
        => ctx.Metadata.StatusList(ctx.Settings.StatusList)?.AllOptions.Select(o => (o.Key, o.Label, (string?)o.Color, o.IsArchived)).ToList() ?? [];

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        base.ValidateSettings(ctx, errors, path, t);
        if (ctx.Metadata.StatusList(ctx.Settings.StatusList) is null) errors.Add(path + "/statusList", t("Settings.StatusListMissing"));
    }
}

/// <summary>
/// A stage of one of the entity type's pipelines. The value is the stage key; the record's pipeline (a typed
/// column) says which pipeline the key belongs to. Changes are recorded as transitions.
/// </summary>
public sealed class StageField : ChoiceFieldBase
{
    public override string Name => FieldTypes.Stage;
    public override IReadOnlyList<string> Bindings => [FieldBindings.Stage];
    public override IReadOnlyList<string> SettingNames => ["Required", "Default"];

    public override IReadOnlyList<(string Key, LocalizedText Label, string? Color, bool Archived)> Options(FieldContext ctx)
        => ctx.Entity.AllPipelines.SelectMany(p => p.AllStages)
            .GroupBy(s => s.Key).Select(g => g.First())
            .Select(s => (s.Key, s.Label, (string?)s.Color, s.IsArchived)).ToList();

    /// <summary>The label from the record's own pipeline when known (two pipelines may share a stage key).</summary>
    public override string Display(System.Text.Json.Nodes.JsonNode? value, FieldContext ctx, DisplayContext dc)
        => dc.PipelineId is { } pid && value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var key)
           && ctx.Entity.Pipeline(pid)?.Stage(key) is { } stage
            ? stage.Label.Get(dc.Culture)
            : base.Display(value, ctx, dc);

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        base.ValidateSettings(ctx, errors, path, t);
        if (ctx.Entity.Pipelines.Count == 0) errors.Add(path + "/type", t("Settings.PipelineMissing"));
    }
}
