using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace Crm.Web.Components.Lists;

/// <summary>
/// One cell of a record list: the value as the field type displays it (names from the page's one lookup), with
/// colour for options, a tick for yes, and links for the record's title, linked records, e-mail, phone and web.
/// A render fragment, not a component: a page of 50 rows and 7 columns would otherwise hold 350 components, each
/// with its own render tree, in every open tab.
/// </summary>
public static class RecordCell
{
    public static RenderFragment Render(EntityMeta entity, ListColumn column, RecordListItem item, DisplayContext dc, Func<string, string> href) => b =>
    {
        var value = column.Field is null ? null : item.Values[column.Key];
        var text = value is JsonValue sv && sv.TryGetValue<string>(out var s) ? s : null;
        string Display() => column.Type is { } type ? type.Display(value, new FieldContext(column.Field!, entity), dc with { PipelineId = item.PipelineId }) : "";

        switch (column.Field?.Type)
        {
            case null:
                var at = column.Key == "$createdAt" ? item.CreatedAt : item.UpdatedAt;
                Span(b, "crm-cell-muted", dc.ToLocal(at).ToString(dc.Culture.Name.StartsWith("zh") ? "yyyy-MM-dd HH:mm" : "g", dc.Culture));
                break;
            case var _ when column.IsTitle:
                b.OpenElement(10, "a");
                b.AddAttribute(11, "href", href($"r/{entity.Key}/{item.Id}"));
                b.AddAttribute(12, "class", "crm-record-link");
                b.AddAttribute(13, "data-testid", "record-link");
                b.AddContent(14, string.IsNullOrEmpty(item.Title) ? Display() : item.Title);
                b.CloseElement();
                break;
            case "select" or "status" or "stage":
                if (Option(entity, column, item, text) is { } option)
                {
                    b.OpenElement(20, "span");
                    b.AddAttribute(21, "class", "crm-option");
                    b.OpenElement(22, "span");
                    b.AddAttribute(23, "class", "crm-dot");
                    b.AddAttribute(24, "style", "background:" + (option.Color ?? "#adb5bd"));
                    b.CloseElement();
                    b.AddContent(25, option.Label.Get());
                    b.CloseElement();
                }
                break;
            case "multiselect":
                Span(b, null, Display());
                break;
            case "bool":
                if (value is JsonValue bv && bv.TryGetValue<bool>(out var yes))
                {
                    // MudIcon's markup, without a component per cell.
                    b.OpenElement(40, "svg");
                    b.AddAttribute(41, "class", "mud-icon-root mud-svg-icon mud-icon-size-small " + (yes ? "mud-success-text" : "mud-icon-default"));
                    b.AddAttribute(42, "viewBox", "0 0 24 24");
                    b.AddAttribute(43, "focusable", "false");
                    b.AddAttribute(44, "aria-hidden", "true");
                    b.OpenElement(45, "title");
                    b.AddContent(46, Display());
                    b.CloseElement();
                    b.AddMarkupContent(47, yes ? Icons.Material.Outlined.CheckCircle : Icons.Material.Outlined.RemoveCircleOutline);
                    b.CloseElement();
                }
                break;
            case "lookup" when value is JsonValue v && v.TryGetValue<string>(out var id) && Guid.TryParse(id, out var gid):
                Link(b, href($"r/{column.Field.Settings.Target}/{gid}"), "crm-record-link", Display());
                break;
            case "email" when text is { } mail:
                Link(b, "mailto:" + mail, "crm-plain-link", mail);
                break;
            case "phone" when text is { } phone:
                Link(b, "tel:" + phone, "crm-plain-link", phone);
                break;
            case "url" when text is { } url:
                b.OpenElement(80, "a");
                b.AddAttribute(81, "href", url);
                b.AddAttribute(82, "target", "_blank");
                b.AddAttribute(83, "rel", "noopener noreferrer");
                b.AddAttribute(84, "class", "crm-plain-link");
                b.AddContent(85, url);
                b.CloseElement();
                break;
            default:
                b.AddContent(90, Display());
                break;
        }
    };

    // A cell renders one branch only, so the helpers' own sequence numbers never meet another branch's in one diff.
    private static void Span(RenderTreeBuilder b, string? css, string text)
    {
        b.OpenElement(100, "span");
        if (css is not null) b.AddAttribute(101, "class", css);
        b.AddContent(102, text);
        b.CloseElement();
    }

    private static void Link(RenderTreeBuilder b, string href, string css, string text)
    {
        b.OpenElement(110, "a");
        b.AddAttribute(111, "href", href);
        b.AddAttribute(112, "class", css);
        b.AddContent(113, text);
        b.CloseElement();
    }

    private static (string Key, LocalizedText Label, string? Color)? Option(EntityMeta entity, ListColumn column, RecordListItem item, string? key)
    {
        if (key is null) return null;
        // Stage keys are unique per pipeline only: label a stage by the record's own pipeline.
        if (column.Field?.Type == "stage" && item.PipelineId is { } pid && entity.Pipeline(pid)?.Stage(key) is { } stage)
            return (stage.Key, stage.Label, stage.Color);
        return ListColumns.Options(entity, column).FirstOrDefault(o => o.Key == key) is { Key: not null } o ? o : null;
    }
}
