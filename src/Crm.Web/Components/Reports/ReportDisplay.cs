using System.Globalization;
using Crm.Core.Reports;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Components.Reports;

/// <summary>How report values read on screen: numbers in the UI culture, money with its symbol, units for days and hours.</summary>
public static class ReportDisplay
{
    public static string Cell(ReportCell cell, ReportColumn column)
        => column.Format == ReportFormat.Text ? cell.Text ?? "" : ReportResult.FormatNumber(cell.Number, column.Format, CultureInfo.CurrentCulture, column.Currency);

    /// <summary>A KPI figure with its unit ("15 天", "15 days", "¥1,200").</summary>
    public static string Value(decimal? value, ReportFormat format, string? currency, IStringLocalizer t)
    {
        var number = ReportResult.FormatNumber(value, format, CultureInfo.CurrentCulture, currency);
        return value is null ? number : format switch
        {
            ReportFormat.Days => t["Unit.Days", number],
            ReportFormat.Hours => t["Unit.Hours", number],
            _ => number,
        };
    }

    /// <summary>The chart a widget or page draws: the widget kind wins over the report's own chart.</summary>
    public static string ChartFor(string? kind, string chart) => kind switch
    {
        "kpi" or "table" or "funnel" => kind,
        "chart" when chart is "kpi" or "table" or "funnel" => "bar",
        _ => chart,
    };

    public static string ChartIcon(string chart) => chart switch
    {
        "line" => MudBlazor.Icons.Material.Outlined.ShowChart,
        "pie" => MudBlazor.Icons.Material.Outlined.PieChart,
        "donut" => MudBlazor.Icons.Material.Outlined.DonutLarge,
        "funnel" => MudBlazor.Icons.Material.Outlined.FilterAlt,
        "table" => MudBlazor.Icons.Material.Outlined.TableChart,
        "kpi" => MudBlazor.Icons.Material.Outlined.Speed,
        _ => MudBlazor.Icons.Material.Outlined.BarChart,
    };
}
