using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.RenderTree;

// Reading a builder's frames is what Blazor's own HtmlRenderer does; the frame types are public and stable in .NET 10.
#pragma warning disable BL0006

namespace Crm.Web.Components.Lists;

/// <summary>
/// Writes a render fragment of plain elements, text and markup (no components, no event handlers) as HTML. A list
/// row's cells are written once per load into one string (the field types' own <c>RenderCell</c>s, unchanged), so
/// an open tab keeps one markup frame per row instead of a dozen frames per cell in two render-tree buffers
/// (docs/decisions.md, "Memory per circuit, list and board (circ18)").
/// </summary>
public static class FragmentHtml
{
    private static readonly HashSet<string> VoidElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    };

    public static void Write(StringBuilder html, RenderFragment fragment)
    {
        var builder = new RenderTreeBuilder();
        try
        {
            fragment(builder);
            var frames = builder.GetFrames();
            for (var i = 0; i < frames.Count;) i = Write(html, frames.Array, i);
        }
        finally
        {
            builder.Dispose();
        }
    }

    public static string Render(RenderFragment fragment)
    {
        var html = new StringBuilder();
        Write(html, fragment);
        return html.ToString();
    }

    private static int Write(StringBuilder html, RenderTreeFrame[] frames, int i)
    {
        var frame = frames[i];
        switch (frame.FrameType)
        {
            case RenderTreeFrameType.Element:
            {
                var end = i + frame.ElementSubtreeLength;
                var name = frame.ElementName;
                html.Append('<').Append(name);
                var j = i + 1;
                for (; j < end && frames[j].FrameType == RenderTreeFrameType.Attribute; j++)
                {
                    var attribute = frames[j];
                    switch (attribute.AttributeValue)
                    {
                        case string s:
                            html.Append(' ').Append(attribute.AttributeName).Append("=\"").Append(WebUtility.HtmlEncode(s)).Append('"');
                            break;
                        case true:
                            html.Append(' ').Append(attribute.AttributeName);
                            break;
                        case IFormattable f:
                            html.Append(' ').Append(attribute.AttributeName).Append("=\"").Append(WebUtility.HtmlEncode(f.ToString(null, CultureInfo.InvariantCulture))).Append('"');
                            break;
                        // false, null, event handlers: not written (as Blazor's own HTML renderer does).
                    }
                }
                html.Append('>');
                if (VoidElements.Contains(name)) return end;
                while (j < end) j = Write(html, frames, j);
                html.Append("</").Append(name).Append('>');
                return end;
            }
            case RenderTreeFrameType.Text:
                html.Append(WebUtility.HtmlEncode(frame.TextContent));
                return i + 1;
            case RenderTreeFrameType.Markup:
                html.Append(frame.MarkupContent);
                return i + 1;
            case RenderTreeFrameType.Region:
            {
                var end = i + frame.RegionSubtreeLength;
                var j = i + 1;
                while (j < end) j = Write(html, frames, j);
                return end;
            }
            case RenderTreeFrameType.Component:
                throw new InvalidOperationException($"A list cell renders a component ({frame.ComponentType.Name}); cells are plain markup.");
            default:
                return i + 1;
        }
    }
}
