using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;

namespace Crm.Web.Components.Layout;

/// <summary>
/// The shell's links and icons as plain markup with MudBlazor's classes (so they look the same). Every open tab
/// renders the shell, and a MudNavLink is three components (link, NavLink, icon), a MudIconButton two, each about
/// 6 KB per circuit; an element costs a few render-tree frames. Icon markup is made once per icon and class for the
/// whole process (the strings are shared by every circuit).
/// </summary>
public static class ShellMarkup
{
    private static readonly ConcurrentDictionary<(string Icon, string Class), MarkupString> Svgs = new();

    /// <summary>An SVG icon as MudIcon draws it (<paramref name="classes"/> after MudBlazor's own).</summary>
    public static MarkupString Icon(string icon, string classes = "mud-icon-size-medium")
        => Svgs.GetOrAdd((icon, classes), k => new MarkupString(
            $"<svg class=\"mud-icon-root mud-svg-icon {k.Class}\" focusable=\"false\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" role=\"img\">{k.Icon}</svg>"));

    /// <summary>A nav link's icon (MudNavLink's classes).</summary>
    public static MarkupString NavIcon(string icon) => Icon(icon, "mud-icon-default mud-icon-size-medium mud-nav-link-icon mud-nav-link-icon-default");

    /// <summary>The link's classes, "active" when the current address matches as Blazor's NavLink would.</summary>
    public static string LinkClass(NavigationManager nav, string href, NavLinkMatch match = NavLinkMatch.Prefix)
        => IsActive(nav, href, match) ? "mud-nav-link mud-ripple active" : "mud-nav-link mud-ripple";

    /// <summary>
    /// NavLink's rule: the address without its query and fragment equals the link (<see cref="NavLinkMatch.All"/>),
    /// or starts with it followed by a path separator (<see cref="NavLinkMatch.Prefix"/>); case-insensitive.
    /// </summary>
    public static bool IsActive(NavigationManager nav, string href, NavLinkMatch match)
    {
        var target = nav.ToAbsoluteUri(href).AbsoluteUri.TrimEnd('/');
        var current = nav.Uri;
        var cut = current.IndexOfAny(['?', '#']);
        if (cut >= 0) current = current[..cut];
        current = current.TrimEnd('/');
        if (string.Equals(current, target, StringComparison.OrdinalIgnoreCase)) return true;
        return match == NavLinkMatch.Prefix && current.Length > target.Length && current[target.Length] == '/'
            && current.StartsWith(target, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A nav link: where it goes, its icon's SVG content, its text, its test id, and how "active" matches.</summary>
    public readonly record struct NavItem(string Href, string Icon, string Text, string? TestId, NavLinkMatch Match = NavLinkMatch.Prefix);

    // Nav markup by content: every tab of a workspace in one language on the same section renders the same links, so
    // they share one string. Bounded: past the limit it starts again (the strings are remade on the next render).
    private const int MaxSharedMarkup = 2000;
    private static readonly ConcurrentDictionary<string, MarkupString> SharedMarkup = new(StringComparer.Ordinal);

    /// <summary>
    /// Links as MudNavLink draws them (a div per link around the anchor with its icon and text), "active" by
    /// <see cref="IsActive"/>, as one markup string shared by every tab that shows the same links in the same state.
    /// A menu of ~20 links was ~200 render-tree frames in two buffers per tab; now it is a frame per group of links.
    /// Blazor intercepts a click on these anchors as on any other and navigates inside the circuit.
    /// </summary>
    public static MarkupString NavLinks(NavigationManager nav, IEnumerable<NavItem> links)
    {
        var html = new StringBuilder();
        foreach (var link in links)
        {
            html.Append("<div class=\"mud-nav-item mud-ripple\"><a href=\"").Append(WebUtility.HtmlEncode(link.Href))
                .Append("\" class=\"").Append(LinkClass(nav, link.Href, link.Match)).Append('"');
            if (link.TestId is not null) html.Append(" data-testid=\"").Append(WebUtility.HtmlEncode(link.TestId)).Append('"');
            html.Append('>').Append(NavIcon(link.Icon).Value)
                .Append("<div class=\"mud-nav-link-text\">").Append(WebUtility.HtmlEncode(link.Text)).Append("</div></a></div>");
        }
        return Shared(html.ToString());
    }

    /// <summary>One instance per distinct markup for the process (the caller's copy is dropped).</summary>
    public static MarkupString Shared(string html)
    {
        if (SharedMarkup.TryGetValue(html, out var shared)) return shared;
        if (SharedMarkup.Count >= MaxSharedMarkup) SharedMarkup.Clear();
        return SharedMarkup.GetOrAdd(html, h => new MarkupString(h));
    }
}
