using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Web.Components.Lists;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Crm.Web.Components.Fields.Types;

/// <summary>
/// Attachment (附件) and image (图片) fields: uploaded in forms (<see cref="FileFieldEditor"/>, drag and drop or a
/// button), shown on the record page as links (images as thumbnails), counted in a list cell ("2 files"), filtered by
/// "has files". Links go to the download endpoint, which checks the viewer's rights again.
/// </summary>
public sealed class FileUi(string name) : FieldTypeUi
{
    public override string Name => name;
    public override Type Editor => typeof(FileFieldEditor);
    public override DefaultInput DefaultInput => DefaultInput.None;
    public override bool IsWide => true;
    public override FilterKind Filter(Crm.Core.Metadata.FieldDefinition field) => FilterKind.Files;

    public override RenderFragment? Settings(SettingsView view) => b =>
    {
        b.OpenComponent<FileSettings>(0);
        b.AddComponentParameter(1, nameof(FileSettings.View), view);
        b.CloseComponent();
    };

    public static string FileHref(Func<string, string> href, Guid id, bool thumbnail = false) => href($"api/files/{id}" + (thumbnail ? "/thumbnail" : ""));

    /// <summary>The files of a value: id, name, size, content type.</summary>
    public static IReadOnlyList<(Guid Id, string Name, long Size, string Type)> Files(JsonNode? value)
        => value is JsonArray a
            ? a.OfType<JsonObject>().Select(o => (
                Id: o["id"] is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) ? g : Guid.Empty,
                Name: o["name"] is JsonValue n && n.TryGetValue<string>(out var ns) ? ns : "",
                Size: JsonNumbers.AsDecimal(o["size"]) is { } d ? (long)d : 0L,
                Type: o["type"] is JsonValue tv && tv.TryGetValue<string>(out var ts) ? ts : "")).Where(f => f.Id != Guid.Empty).ToList()
            : [];

    public override void RenderCell(RenderTreeBuilder b, CellView cell)
    {
        var files = Files(cell.Value);
        if (files.Count == 0) return;
        b.OpenElement(130, "span");
        b.AddAttribute(131, "class", "crm-file-count");
        b.AddAttribute(132, "title", cell.Text);
        b.AddContent(133, string.Format(cell.Display.Culture, cell.Display.T("File.Count"), files.Count));
        b.CloseElement();
    }

    public override void RenderValue(RenderTreeBuilder b, ValueView view)
    {
        var files = Files(view.Value);
        var culture = view.Display.Culture;
        b.OpenElement(300, "div");
        b.AddAttribute(301, "class", "crm-file-list");
        b.AddAttribute(302, "data-testid", "files-" + view.Field.Key);
        foreach (var f in files)
        {
            b.OpenElement(310, "div");
            b.AddAttribute(311, "class", "crm-file");
            b.AddAttribute(312, "data-file", f.Id.ToString());
            if (view.Href is null) b.AddContent(313, f.Name);
            else
            {
                b.OpenElement(320, "a");
                b.AddAttribute(321, "href", FileHref(view.Href, f.Id));
                b.AddAttribute(322, "target", "_blank");
                b.AddAttribute(323, "rel", "noopener");
                if (f.Type.StartsWith("image/", StringComparison.Ordinal))
                {
                    b.OpenElement(330, "img");
                    b.AddAttribute(331, "src", FileHref(view.Href, f.Id, thumbnail: true));
                    b.AddAttribute(332, "alt", f.Name);
                    b.AddAttribute(333, "class", "crm-file-thumb");
                    b.AddAttribute(334, "loading", "lazy");
                    b.CloseElement();
                }
                b.AddContent(340, f.Name);
                b.CloseElement();
            }
            b.OpenElement(350, "span");
            b.AddAttribute(351, "class", "crm-file-size");
            b.AddContent(352, FileFieldBase.SizeText(f.Size, culture));
            b.CloseElement();
            b.CloseElement();
        }
        b.CloseElement();
    }
}
