using Crm.Core.Fields;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Crm.Web.Components.Fields.Types;

/// <summary>Single-line text.</summary>
public class TextUi : FieldTypeUi
{
    public override string Name => FieldTypes.Text;
    public override Type Editor => typeof(TextFieldEditor);
}

/// <summary>Multi-line text: a whole row of the form, its line breaks kept on the record page.</summary>
public sealed class LongTextUi : FieldTypeUi
{
    public override string Name => FieldTypes.LongText;
    public override Type Editor => typeof(LongTextFieldEditor);
    public override bool IsWide => true;

    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        b.OpenElement(210, "div");
        b.AddAttribute(211, "class", "crm-value-longtext");
        b.AddContent(212, view.Text);
        b.CloseElement();
    }
}

/// <summary>An e-mail address: a mailto link.</summary>
public sealed class EmailUi : TextUi
{
    public override string Name => FieldTypes.Email;
    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        if (cell.String is { } mail) Link(b, "mailto:" + mail, "crm-plain-link", mail);
    }
    public override void RenderValue(RenderTreeBuilder b, ValueView view) => Link(b, "mailto:" + view.String, "crm-value-link", view.Text);
}

/// <summary>A phone number: a tel link.</summary>
public sealed class PhoneUi : TextUi
{
    public override string Name => FieldTypes.Phone;
    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        if (cell.String is { } phone) Link(b, "tel:" + phone, "crm-plain-link", phone);
    }
    public override void RenderValue(RenderTreeBuilder b, ValueView view) => Link(b, "tel:" + view.String, "crm-value-link", view.Text);
}

/// <summary>A web address, opened in a new tab.</summary>
public sealed class UrlUi : TextUi
{
    public override string Name => FieldTypes.Url;
    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        if (cell.String is { } url) Link(b, url, "crm-plain-link", url, external: true);
    }
    public override void RenderValue(RenderTreeBuilder b, ValueView view) => Link(b, view.String ?? "", "crm-value-link", view.Text, external: true);
}

/// <summary>A number the server assigns: read-only in forms, no default.</summary>
public sealed class AutoNumberUi : TextUi
{
    public override string Name => FieldTypes.AutoNumber;

    /// <summary>The serial pattern and its reset period.</summary>
    public override RenderFragment? Settings(SettingsView view) => b =>
    {
        b.OpenComponent<AutoNumberSettings>(0);
        b.AddComponentParameter(1, nameof(AutoNumberSettings.View), view);
        b.CloseComponent();
    };
}
