using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Crm.Web.Components.Fields.Types;

/// <summary>
/// A subform (子表单): edited as a table in forms (<see cref="SubformFieldEditor"/>, each cell with its column type's
/// own editor), a read-only table on the record page, the row count in a list cell ("3 rows", no table in a list),
/// its columns edited in the designer (<see cref="SubformSettings"/>). It takes a whole form row.
/// </summary>
public sealed class SubformUi : FieldTypeUi
{
    public override string Name => FieldTypes.Subform;
    public override Type Editor => typeof(SubformFieldEditor);
    public override DefaultInput DefaultInput => DefaultInput.None;
    public override bool IsWide => true;

    /// <summary>"3 行" / "3 rows", from the core strings the list displays with.</summary>
    public static string CountText(JsonNode? value, DisplayContext dc)
        => SubformField.CountText(value, dc);

    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        if (cell.Value is not JsonArray { Count: > 0 }) return;
        b.OpenElement(130, "span");
        b.AddAttribute(131, "class", "crm-subform-count");
        b.AddAttribute(132, "title", cell.Text);
        b.AddContent(133, CountText(cell.Value, cell.Display));
        b.CloseElement();
    }

    /// <summary>The rows as a read-only table: one column per subform column, totals of numeric columns below.</summary>
    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        var dc = view.Display;
        var columns = view.Field.Settings.Columns ?? [];
        var rows = (view.Value as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        b.OpenElement(300, "div");
        b.AddAttribute(301, "class", "crm-subform-view");
        b.OpenElement(302, "table");
        b.AddAttribute(303, "class", "crm-subform-table");
        b.AddAttribute(304, "data-testid", "subform-view-" + view.Field.Key);
        b.OpenElement(305, "thead");
        b.OpenElement(306, "tr");
        b.OpenElement(307, "th");
        b.AddContent(308, "#");
        b.CloseElement();
        foreach (var column in columns)
        {
            b.OpenElement(310, "th");
            b.AddAttribute(311, "class", SubformField.IsNumericColumn(column) ? "crm-num" : null);
            b.AddContent(312, column.Label.Get());
            b.CloseElement();
        }
        b.CloseElement();
        b.CloseElement();
        b.OpenElement(320, "tbody");
        for (var i = 0; i < rows.Count; i++)
        {
            b.OpenElement(321, "tr");
            b.AddAttribute(322, "data-row", i);
            b.OpenElement(323, "td");
            b.AddAttribute(324, "class", "crm-subform-index");
            b.AddContent(325, i + 1);
            b.CloseElement();
            foreach (var column in columns)
            {
                b.OpenElement(330, "td");
                b.AddAttribute(331, "data-label", column.Label.Get());
                b.AddAttribute(332, "data-column", column.Key);
                b.AddAttribute(333, "class", SubformField.IsNumericColumn(column) ? "crm-num" : null);
                b.AddContent(334, CellText(rows[i][column.Key], column, view, dc));
                b.CloseElement();
            }
            b.CloseElement();
        }
        b.CloseElement();
        if (columns.Any(SubformField.HasTotal) && rows.Count > 1)
        {
            b.OpenElement(340, "tfoot");
            b.OpenElement(341, "tr");
            b.OpenElement(342, "td");
            b.AddContent(343, "Σ");
            b.CloseElement();
            foreach (var column in columns)
            {
                b.OpenElement(344, "td");
                b.AddAttribute(345, "class", "crm-num");
                b.AddAttribute(346, "data-total", column.Key);
                b.AddAttribute(347, "data-kind", SubformField.TotalOf(column));
                b.AddContent(348, SubformField.TotalText(view.Value, column, new FieldContext(column.AsField(), view.Entity), dc));
                b.CloseElement();
            }
            b.CloseElement();
            b.CloseElement();
        }
        b.CloseElement();
        b.CloseElement();
    }

    private static string CellText(JsonNode? value, Crm.Core.Metadata.SubformColumn column, ValueView view, DisplayContext dc)
        => value is null || FieldTypeRegistry.Find(column.Type) is not { } type ? "" : type.Display(value, new FieldContext(column.AsField(), view.Entity), dc);

    public override RenderFragment? Settings(SettingsView view) => b =>
    {
        b.OpenComponent<SubformSettings>(0);
        b.AddAttribute(1, nameof(SubformSettings.View), view);
        b.CloseComponent();
    };
}
