using Crm.Core.Fields;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace Crm.Web.Components.Fields.Types;

/// <summary>Number, money, percent and formula: one numeric input (with the currency or % sign), range filters.</summary>
public sealed class NumberUi(string name) : FieldTypeUi
{
    public override string Name => name;
    public override Type Editor => typeof(NumberFieldEditor);
    public override DefaultInput DefaultInput => Type.IsComputed ? DefaultInput.None : DefaultInput.Number;
}

/// <summary>A formula: read-only in forms (the number editor shows its display text whatever the result type);
/// its designer settings add the result type, the live check and the function help (<see cref="FormulaSettings"/>).</summary>
public sealed class FormulaUi : FieldTypeUi
{
    public override string Name => FieldTypes.Formula;
    public override Type Editor => typeof(NumberFieldEditor);
    public override DefaultInput DefaultInput => DefaultInput.None;

    public override RenderFragment? Settings(SettingsView view) => b =>
    {
        b.OpenComponent<FormulaSettings>(0);
        b.AddComponentParameter(1, nameof(FormulaSettings.View), view);
        b.CloseComponent();
    };
}

/// <summary>A calendar date: date ranges; the default may be "today".</summary>
public sealed class DateUi : FieldTypeUi
{
    public override string Name => FieldTypes.Date;
    public override Type Editor => typeof(DateFieldEditor);
    public override DefaultInput DefaultInput => DefaultInput.Dynamic;
}

/// <summary>A moment: date ranges in the viewer's zone; the default may be "now".</summary>
public sealed class DateTimeUi : FieldTypeUi
{
    public override string Name => FieldTypes.DateTime;
    public override Type Editor => typeof(DateTimeFieldEditor);
    public override DefaultInput DefaultInput => DefaultInput.Dynamic;
}

/// <summary>Yes or no: a tick in lists (MudIcon's markup, without a component per cell).</summary>
public sealed class BoolUi : FieldTypeUi
{
    public override string Name => FieldTypes.Bool;
    public override Type Editor => typeof(BoolFieldEditor);
    public override DefaultInput DefaultInput => DefaultInput.YesNo;

    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        if (cell.Value is not System.Text.Json.Nodes.JsonValue v || !v.TryGetValue<bool>(out var yes)) return;
        b.OpenElement(40, "svg");
        b.AddAttribute(41, "class", "mud-icon-root mud-svg-icon mud-icon-size-small " + (yes ? "mud-success-text" : "mud-icon-default"));
        b.AddAttribute(42, "viewBox", "0 0 24 24");
        b.AddAttribute(43, "focusable", "false");
        b.AddAttribute(44, "aria-hidden", "true");
        b.OpenElement(45, "title");
        b.AddContent(46, cell.Text);
        b.CloseElement();
        b.AddMarkupContent(47, yes ? Icons.Material.Outlined.CheckCircle : Icons.Material.Outlined.RemoveCircleOutline);
        b.CloseElement();
    }
}
