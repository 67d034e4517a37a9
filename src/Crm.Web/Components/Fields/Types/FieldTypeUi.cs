using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Web.Components.Lists;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Crm.Web.Components.Fields.Types;

/// <summary>How the designer's default-value input asks for a default of a type.</summary>
public enum DefaultInput
{
    /// <summary>The type has no default (computed values, links to records).</summary>
    None,
    Text,
    Number,
    YesNo,
    /// <summary>One of <see cref="FieldTypeUi.DefaultChoices"/>.</summary>
    Choice,
    /// <summary>Several of <see cref="FieldTypeUi.DefaultChoices"/>.</summary>
    Choices,
    /// <summary>Only the type's dynamic defaults ("$me", "$today", "$now", see <see cref="FieldType.DynamicDefaults"/>).</summary>
    Dynamic,
}

/// <summary>One list cell to render: the field, its value and how to display it.</summary>
public sealed record CellView(EntityMeta Entity, FieldDefinition Field, FieldType Type, JsonNode? Value, Guid? PipelineId, DisplayContext Display, Func<string, string> Href)
{
    public FieldContext Context => new(Field, Entity);
    public string Text => Type.Display(Value, Context, Display with { PipelineId = PipelineId });
    public string? String => Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>One value on the record page (or a conflict panel): <paramref name="Text"/> is the type's display text.</summary>
public sealed record ValueView(EntityMeta Entity, FieldDefinition Field, FieldType Type, JsonNode? Value, string Text, PipelineMeta? Pipeline, Func<string, string>? Href)
{
    public FieldContext Context => new(Field, Entity);
    public string? String => Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    /// <summary>
    /// How the page displays values (culture, the UI's words, names of referenced records and members), for values made
    /// of parts. Required: a fallback without the UI's localizer showed keys (Value.Yes) instead of words.
    /// </summary>
    public required DisplayContext Display { get; init; }
}

/// <summary>What a type's own designer settings fragment edits.</summary>
public sealed record SettingsView(FieldDraft Field, EntityDraft Draft, TenantMetadata Metadata, bool ReadOnly, Func<FieldSettings, Task> Set, Func<string, string?> Error);

/// <summary>
/// The web half of a field type (the Core half is <see cref="FieldType"/>), as OrchardCore pairs a content field
/// with its display driver: the editor component of forms, the list cell, the record page's read-only value, the
/// list filter, the designer's default-value input and the settings only this type has. One subclass per type (or
/// family) in this folder, registered once in <see cref="FieldTypeUiRegistry"/>.
/// </summary>
/// <remarks>List cells and record values are written into the caller's render tree (no component per value):
/// a list page holds hundreds of cells per open tab (docs/decisions.md, "Memory per circuit").</remarks>
public abstract class FieldTypeUi
{
    /// <summary>The <see cref="FieldType.Name"/> this UI belongs to.</summary>
    public abstract string Name { get; }

    /// <summary>The form editor, a <see cref="FieldEditorBase"/>.</summary>
    public abstract Type Editor { get; }

    public FieldType Type => FieldTypeRegistry.Get(Name);

    /// <summary>The filter editor a list column of this type offers.</summary>
    public virtual FilterKind Filter(FieldDefinition field) => Type.KindOf(field.Settings) switch
    {
        FieldValueKind.Number => FilterKind.Number,
        FieldValueKind.Boolean => FilterKind.Bool,
        FieldValueKind.Date => FilterKind.Date,
        FieldValueKind.DateTime => FilterKind.Instant,
        _ => FilterKind.Text,
    };

    public virtual DefaultInput DefaultInput => Type.IsComputed ? DefaultInput.None : DefaultInput.Text;

    /// <summary>The options a default is chosen from (<see cref="DefaultInput.Choice"/>, <see cref="DefaultInput.Choices"/>).</summary>
    public virtual IReadOnlyList<(string Key, LocalizedText Label)> DefaultChoices(FieldDraft field, EntityDraft draft, TenantMetadata metadata) => [];

    /// <summary>Takes the whole row of a two-column section (long text).</summary>
    public virtual bool IsWide => false;

    /// <summary>A list cell: the display text by default.</summary>
    public virtual void RenderCell(RenderTreeBuilder b, CellView cell) => b.AddContent(90, cell.Text);

    /// <summary>A read-only value on the record page: the display text by default.</summary>
    public virtual void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        b.OpenElement(200, "span");
        b.AddContent(201, view.Text);
        b.CloseElement();
    }

    /// <summary>The designer settings only this type has (the shared ones follow <see cref="FieldType.SettingNames"/>); null for none.</summary>
    public virtual RenderFragment? Settings(SettingsView view) => null;

    // Helpers for subclasses. A cell or value renders one branch only, so these sequence numbers never meet
    // another branch's in one diff.
    protected static void Link(RenderTreeBuilder b, string href, string css, string text, bool external = false)
    {
        b.OpenElement(110, "a");
        b.AddAttribute(111, "href", href);
        b.AddAttribute(112, "class", css);
        if (external)
        {
            b.AddAttribute(113, "target", "_blank");
            b.AddAttribute(114, "rel", "noopener noreferrer");
        }
        b.AddContent(115, text);
        b.CloseElement();
    }

    protected static void Span(RenderTreeBuilder b, string? css, string text)
    {
        b.OpenElement(100, "span");
        if (css is not null) b.AddAttribute(101, "class", css);
        b.AddContent(102, text);
        b.CloseElement();
    }

    /// <summary>A tinted tag in the option's colour (hex from metadata), readable in light and dark themes.</summary>
    public static string TagStyle(string? color) => color is { Length: > 0 } c && c.StartsWith('#') ? $"--crm-tag-color:{c}" : "";

    protected static void Tag(RenderTreeBuilder b, string? color, string text)
    {
        b.OpenElement(120, "span");
        b.AddAttribute(121, "class", "crm-tag");
        b.AddAttribute(122, "style", TagStyle(color));
        b.AddContent(123, text);
        b.CloseElement();
    }
}
