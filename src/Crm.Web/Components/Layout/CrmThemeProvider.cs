using System.Runtime.CompilerServices;
using Crm.Web.Components.Lists;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace Crm.Web.Components.Layout;

/// <summary>
/// MudThemeProvider whose markup is made once per theme and light/dark for the whole process. MudBlazor's provider
/// builds the theme's CSS variables (~12,000 characters, ~24 KB) as a new string on every render, so every open tab
/// kept its own copy; the markup is the same for every tab, so here each tab's render tree refers to one shared string
/// (docs/decisions.md, "Memory per circuit, margin (circ18d)"). The string is what MudThemeProvider itself renders
/// (its scrollbar and chart styles and the theme's variables, read from its render tree once), so the look does not change,
/// followed by the variables of the reports' chart colours for light or dark (<see cref="CrmTheme.ChartColors"/>).
/// <para>
/// Light or dark is the app's choice (<see cref="ThemeState"/>, kept in a cookie), so the system's preference is not
/// observed (<see cref="MudThemeProvider.ObserveSystemDarkModeChange"/> is off): no .NET reference and media listener per
/// tab, and an operating system switching to dark no longer flips the palette behind the toggle's back.
/// </para>
/// <para>A theme is taken to be immutable once rendered (the app's <see cref="CrmTheme.Theme"/> is).</para>
/// </summary>
public sealed class CrmThemeProvider : MudThemeProvider
{
    // Per theme instance and scrollbar choice: [light, dark]. Weak, so a theme that is dropped takes its strings with it.
    private static readonly ConditionalWeakTable<MudTheme, MarkupString?[]> Markup = [];

    // MudBlazor's analyzers (MUD0010/MUD0011) steer component code to the parameter states; this subclass only sets the
    // default of one parameter and reads another that nothing but the parent sets (the system is not observed).
#pragma warning disable MUD0010, MUD0011
    public CrmThemeProvider() => ObserveSystemDarkModeChange = false;

    /// <summary>MudThemeProvider's markup for the current theme and mode; made once per theme, mode and scrollbar choice.</summary>
    public MarkupString Html
    {
        get
        {
            var modes = Markup.GetValue(Theme ?? CrmTheme.Theme, _ => new MarkupString?[4]);
            var index = (IsDarkMode ? 1 : 0) + (DefaultScrollbar ? 2 : 0);
            // MudThemeProvider's render reads its dark-mode state, which is this parameter (the system is not observed).
            // Then the charts' colour variables for the mode (CrmTheme.ChartColors), so charts follow light and dark.
            return modes[index] ??= new MarkupString(FragmentHtml.Render(base.BuildRenderTree) + CrmTheme.ChartStyle(IsDarkMode));
        }
    }

#pragma warning restore MUD0010, MUD0011

    protected override void BuildRenderTree(RenderTreeBuilder builder) => builder.AddContent(0, Html);
}
