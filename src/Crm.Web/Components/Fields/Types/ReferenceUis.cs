using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Web.Components.Lists;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace Crm.Web.Components.Fields.Types;

/// <summary>A person: their name, with a person icon on the record page; the default may be "me".</summary>
public sealed class MemberUi : FieldTypeUi
{
    public override string Name => FieldTypes.Member;
    public override Type Editor => typeof(ReferenceFieldEditor);
    public override FilterKind Filter(FieldDefinition field) => FilterKind.Member;
    public override DefaultInput DefaultInput => DefaultInput.Dynamic;

    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        b.OpenElement(230, "span");
        b.AddAttribute(231, "class", "crm-value-member");
        b.OpenComponent<MudIcon>(232);
        b.AddComponentParameter(233, nameof(MudIcon.Icon), Icons.Material.Outlined.Person);
        b.AddComponentParameter(234, nameof(MudIcon.Size), Size.Small);
        b.CloseComponent();
        b.AddContent(235, view.Text);
        b.CloseElement();
    }
}

/// <summary>A linked record: a link to it, by its title.</summary>
public sealed class LookupUi : FieldTypeUi
{
    public override string Name => FieldTypes.Lookup;
    public override Type Editor => typeof(ReferenceFieldEditor);
    public override FilterKind Filter(FieldDefinition field) => FilterKind.Lookup;
    public override DefaultInput DefaultInput => DefaultInput.None;

    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        if (Guid.TryParse(cell.String, out var id)) Link(b, cell.Href($"r/{cell.Field.Settings.Target}/{id}"), "crm-record-link", cell.Text);
    }

    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        if (!Guid.TryParse(view.String, out var id) || view.Href is null) { base.RenderValue(b, view); return; }
        b.OpenElement(240, "a");
        b.AddAttribute(241, "class", "crm-value-link");
        b.AddAttribute(242, "href", view.Href($"r/{view.Field.Settings.Target}/{id}"));
        b.AddAttribute(243, "data-lookup", id.ToString());
        b.AddContent(244, view.Text);
        b.CloseElement();
    }

    /// <summary>Linked fields: fill on pick, the filter on the records offered, fields of the picked record shown.</summary>
    public override RenderFragment? Settings(SettingsView view) => b =>
    {
        b.OpenComponent<LookupSettings>(0);
        b.AddComponentParameter(1, nameof(LookupSettings.View), view);
        b.CloseComponent();
    };
}

/// <summary>One or several departments: picked from the tree, shown by name, filtered by ticking departments.</summary>
public sealed class DepartmentUi : FieldTypeUi
{
    public override string Name => FieldTypes.Department;
    public override Type Editor => typeof(DepartmentFieldEditor);
    public override FilterKind Filter(FieldDefinition field) => FilterKind.Department;
    public override DefaultInput DefaultInput => DefaultInput.None;

    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        b.OpenElement(250, "span");
        b.AddAttribute(251, "class", "crm-value-member");
        b.AddAttribute(252, "data-departments", "");
        b.OpenComponent<MudIcon>(253);
        b.AddComponentParameter(254, nameof(MudIcon.Icon), Icons.Material.Outlined.AccountTree);
        b.AddComponentParameter(255, nameof(MudIcon.Size), Size.Small);
        b.CloseComponent();
        b.AddContent(256, view.Text);
        b.CloseElement();
    }

    /// <summary>"Several departments" — a checkbox; changing it on a saved field is a change of how values are
    /// stored, so it is offered on new fields only.</summary>
    public override RenderFragment? Settings(SettingsView view) => b =>
    {
        b.OpenComponent<DepartmentSettings>(0);
        b.AddComponentParameter(1, nameof(DepartmentSettings.View), view);
        b.CloseComponent();
    };
}
