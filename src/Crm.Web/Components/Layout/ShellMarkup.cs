using System.Collections.Concurrent;
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
}
