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
