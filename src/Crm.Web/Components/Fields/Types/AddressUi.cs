using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Web.Components.Lists;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace Crm.Web.Components.Fields.Types;

/// <summary>An address: cascading province/city/district pickers and a street line; names in cells and on the
/// record page; a list column filters by province or city (<see cref="FilterKind.Region"/>); no default value.</summary>
public sealed class AddressUi : FieldTypeUi
{
    public override string Name => FieldTypes.Address;
    public override Type Editor => typeof(AddressFieldEditor);
    public override FilterKind Filter(FieldDefinition field) => FilterKind.Region;
    public override DefaultInput DefaultInput => DefaultInput.None;
    public override bool IsWide => true;

    /// <summary>The address text, whole in a tooltip: a list cell is cut at the grid's column width.</summary>
    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        var text = cell.Text;
        if (string.IsNullOrEmpty(text)) return;
        b.OpenElement(250, "span");
        b.AddAttribute(251, "class", "crm-cell-address");
        b.AddAttribute(252, "title", text);
        b.AddContent(253, text);
        b.CloseElement();
    }

    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        b.OpenElement(260, "span");
        b.AddAttribute(261, "class", "crm-value-address");
        b.AddAttribute(262, "data-address", view.Field.Key);
        b.OpenComponent<MudIcon>(263);
        b.AddComponentParameter(264, nameof(MudIcon.Icon), Icons.Material.Outlined.Place);
        b.AddComponentParameter(265, nameof(MudIcon.Size), Size.Small);
        b.CloseComponent();
        b.AddContent(266, " " + view.Text);
        b.CloseElement();
    }
}
