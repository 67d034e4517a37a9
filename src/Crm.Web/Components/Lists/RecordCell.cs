using Crm.Core.Fields;
using Crm.Core.Lists;
using Crm.Web.Components.Fields.Types;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Crm.Web.Components.Lists;

/// <summary>
/// One cell of a record list: the record's title as its link, its dates, and every other value as its field
/// type's UI renders it (<see cref="FieldTypeUi.RenderCell"/>: colour for options, a tick for yes, links for linked
/// records, e-mail, phone and web). A render fragment, not a component: a page of 50 rows and 7 columns would
/// otherwise hold 350 components, each with its own render tree, in every open tab.
/// </summary>
public static class RecordCell
{
    public static RenderFragment Render(Crm.Core.Metadata.EntityMeta entity, ListColumn column, RecordListItem item, DisplayContext dc, Func<string, string> href) => b =>
    {
        if (column.Field is null || column.Type is null)
        {
            var at = column.Key == "$createdAt" ? item.CreatedAt : item.UpdatedAt;
            Span(b, "crm-cell-muted", dc.ToLocal(at).ToString(dc.Culture.Name.StartsWith("zh") ? "yyyy-MM-dd HH:mm" : "g", dc.Culture));
            return;
        }
        var cell = new CellView(entity, column.Field, column.Type, item.Values[column.Key], item.PipelineId, dc, href);
        if (column.IsTitle)
        {
            b.OpenElement(10, "a");
            b.AddAttribute(11, "href", href($"r/{entity.Key}/{item.Id}"));
            b.AddAttribute(12, "class", "crm-record-link");
            b.AddAttribute(13, "data-testid", "record-link");
            b.AddContent(14, string.IsNullOrEmpty(item.Title) ? cell.Text : item.Title);
            b.CloseElement();
            return;
        }
        b.OpenRegion(30);
        FieldTypeUiRegistry.Default.Get(column.Field.Type).RenderCell(b, cell);
        b.CloseRegion();
    };

    private static void Span(RenderTreeBuilder b, string? css, string text)
    {
        b.OpenElement(100, "span");
        if (css is not null) b.AddAttribute(101, "class", css);
        b.AddContent(102, text);
        b.CloseElement();
    }
}
