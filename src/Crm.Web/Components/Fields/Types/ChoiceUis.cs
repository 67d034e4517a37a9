using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Web.Components.Lists;
using Microsoft.AspNetCore.Components.Rendering;

namespace Crm.Web.Components.Fields.Types;

/// <summary>Select, status and stage: a coloured dot or tag with the option's label; filters tick options.</summary>
public sealed class ChoiceUi(string name) : FieldTypeUi
{
    public override string Name => name;
    public override Type Editor => typeof(ChoiceFieldEditor);
    public override FilterKind Filter(FieldDefinition field) => FilterKind.Choice;
    public override DefaultInput DefaultInput => DefaultInput.Choice;

    public override IReadOnlyList<(string Key, LocalizedText Label)> DefaultChoices(FieldDraft field, EntityDraft draft, TenantMetadata metadata) => Name switch
    {
        // A new stage field's default is a stage of the default pipeline; a status field's an option of its list.
        FieldTypes.Stage => metadata.Entity(draft.Key)?.DefaultPipeline?.Stages.Select(s => (s.Key, s.Label)).ToList() ?? [],
        FieldTypes.Status => metadata.StatusList(field.Settings.StatusList)?.Options.Select(o => (o.Key, o.Label)).ToList() ?? [],
        _ => (field.Settings.Options ?? []).Where(o => !o.IsArchived).Select(o => (o.Key, o.Label)).ToList(),
    };

    /// <summary>The option a key names; a stage by the record's own pipeline (stage keys are unique per pipeline only).</summary>
    private (string Key, LocalizedText Label, string? Color)? Option(EntityMeta entity, FieldDefinition field, string? key, Guid? pipelineId)
    {
        if (key is null) return null;
        if (Name == FieldTypes.Stage && pipelineId is { } pid && entity.Pipeline(pid)?.Stage(key) is { } stage) return (stage.Key, stage.Label, stage.Color);
        return Type is ChoiceFieldBase choice && choice.Options(new FieldContext(field, entity)).FirstOrDefault(o => o.Key == key) is { Key: not null } o
            ? (o.Key, o.Label, o.Color) : null;
    }

    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        if (Option(cell.Entity, cell.Field, cell.String, cell.PipelineId) is not { } option) return;
        b.OpenElement(20, "span");
        b.AddAttribute(21, "class", "crm-option");
        b.OpenElement(22, "span");
        b.AddAttribute(23, "class", "crm-dot");
        b.AddAttribute(24, "style", "background:" + (option.Color ?? "#adb5bd"));
        b.CloseElement();
        b.AddContent(25, option.Label.Get());
        b.CloseElement();
    }

    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        var option = Name == FieldTypes.Stage && view.Pipeline?.Stage(view.String ?? "") is { } stage
            ? (stage.Key, stage.Label, stage.Color)
            : Option(view.Entity, view.Field, view.String, null);
        Tag(b, option?.Color, option?.Label.Get() ?? view.Text);
    }
}

/// <summary>Several options: their labels in lists, one tag each on the record page.</summary>
public sealed class MultiSelectUi : FieldTypeUi
{
    public override string Name => FieldTypes.MultiSelect;
    public override Type Editor => typeof(MultiSelectFieldEditor);
    public override FilterKind Filter(FieldDefinition field) => FilterKind.Choice;
    public override DefaultInput DefaultInput => DefaultInput.Choices;

    public override IReadOnlyList<(string Key, LocalizedText Label)> DefaultChoices(FieldDraft field, EntityDraft draft, TenantMetadata metadata)
        => (field.Settings.Options ?? []).Where(o => !o.IsArchived).Select(o => (o.Key, o.Label)).ToList();

    public override void RenderCell(RenderTreeBuilder b, CellView cell) => Span(b, null, cell.Text);

    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        if (view.Value is not JsonArray keys) { base.RenderValue(b, view); return; }
        b.OpenElement(220, "span");
        b.AddAttribute(221, "class", "d-inline-flex flex-wrap gap-1");
        foreach (var key in keys.Select(k => k?.GetValue<string>() ?? ""))
        {
            var option = view.Field.Settings.Options?.FirstOrDefault(o => o.Key == key);
            Tag(b, option?.Color, option?.Label.Get() ?? key);
        }
        b.CloseElement();
    }
}
