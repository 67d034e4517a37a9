using MudBlazor;

namespace Crm.Web.Components.Layout;

/// <summary>The product's palette: a calm indigo primary, readable in light and dark.</summary>
public static class CrmTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3b5bdb",
            Secondary = "#0ca678",
            Tertiary = "#f08c00",
            AppbarBackground = "#ffffff",
            AppbarText = "#1f2937",
            Background = "#f6f7fb",
            DrawerBackground = "#ffffff",
            DrawerText = "#374151",
            Surface = "#ffffff",
            LinesDefault = "#e5e7eb",
            TableLines = "#eef0f4",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#748ffc",
            Secondary = "#38d9a9",
            Tertiary = "#ffa94d",
            AppbarBackground = "#1e2130",
            Background = "#151722",
            DrawerBackground = "#1a1d2b",
            Surface = "#1e2130",
        },
        LayoutProperties = new LayoutProperties
        {
            DefaultBorderRadius = "8px",
            DrawerWidthLeft = "240px",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["-apple-system", "BlinkMacSystemFont", "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Helvetica Neue", "Arial", "sans-serif"],
            },
            // One button style everywhere: as written ("Save", "New deal"), never ALL CAPS (Chinese has no case,
            // so upper-casing only made the English UI look inconsistent).
            Button = new ButtonTypography { TextTransform = "none" },
        },
    };

    /// <summary>
    /// The charts' category colours in light mode (bars, lines, slices without a colour of their own): the palette the
    /// reports always drew with.
    /// </summary>
    public static readonly IReadOnlyList<string> ChartLight = ["#3b5bdb", "#12b886", "#fab005", "#f03e3e", "#7950f2", "#15aabf", "#fd7e14", "#82c91e", "#e64980", "#868e96"];

    /// <summary>
    /// The same hues for dark mode, lighter (the dark palette's primary and secondary first): the light ones are too
    /// dark on the dark surface (#3b5bdb on #1e2130 is 2.8:1, #748ffc 5.4:1).
    /// </summary>
    public static readonly IReadOnlyList<string> ChartDark = ["#748ffc", "#38d9a9", "#ffd43b", "#ff8787", "#9775fa", "#3bc9db", "#ffa94d", "#a9e34b", "#f783ac", "#adb5bd"];

    /// <summary>What charts paint with: <c>var(--crm-chart-1)</c>…, set for light or dark by <see cref="CrmThemeProvider"/>.</summary>
    public static readonly IReadOnlyList<string> ChartColors = ChartLight.Select((_, i) => $"var(--crm-chart-{i + 1})").ToArray();

    /// <summary>The chart colour variables for light or dark, as a style element (one string per mode for the process).</summary>
    public static string ChartStyle(bool dark) => dark ? DarkChartStyle : LightChartStyle;

    private static readonly string LightChartStyle = Style(ChartLight);
    private static readonly string DarkChartStyle = Style(ChartDark);

    private static string Style(IReadOnlyList<string> colors)
        => "<style>:root{" + string.Concat(colors.Select((c, i) => $"--crm-chart-{i + 1}:{c};")) + "}</style>";

    /// <summary>
    /// Toasts at the bottom centre: the top right, MudBlazor's default, is where the page's own buttons are
    /// (保存, 新建客户), and the bottom left is the menu. Nothing the app draws sits at the bottom centre.
    /// </summary>
    public static void ConfigureSnackbar(SnackbarConfiguration snackbar)
    {
        snackbar.PositionClass = Defaults.Classes.Position.BottomCenter;
        snackbar.PreventDuplicates = true;
        snackbar.NewestOnTop = false;
        snackbar.VisibleStateDuration = 3000;
    }
}
