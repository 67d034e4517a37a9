using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;

namespace Crm.Web.Components.Reports;

/// <summary>
/// Bar, line, pie and donut charts as one piece of SVG markup each, in place of MudChart: a MudChart is five or six
/// components (chart, two cascading values, the chart kind, legend, filters) in every open tab, and a dashboard has
/// half a dozen. Geometry is in percentages of the drawing so text keeps its size at any width; values are
/// HTML-encoded; every bar, point and slice has a title (the browser's tooltip) with its label and value.
/// </summary>
public static class ChartMarkup
{
    /// <summary>One series: its name, colour and a value per label.</summary>
    public sealed record Series(string Name, string Color, IReadOnlyList<double> Values);

    /// <summary>
    /// Bars (grouped when several series) or lines over the labels, with a value axis of ticks every
    /// <paramref name="step"/>; labels turn by <paramref name="rotation"/> degrees when there are many.
    /// </summary>
    public static MarkupString Axis(bool line, IReadOnlyList<string> labels, IReadOnlyList<Series> series, double step, int rotation,
        Func<double, string> tick, Func<int, int, string> value)
    {
        var top = series.SelectMany(s => s.Values).DefaultIfEmpty(0).Max();
        step = step <= 0 ? 1 : step;
        var max = Math.Max(step, Math.Ceiling(top / step) * step);
        var n = Math.Max(1, labels.Count);
        string Y(double v) => Pct(100 - Math.Clamp(v, 0, max) / max * 100);

        var html = new StringBuilder(2048);
        html.Append("<div class=\"crm-xchart\"><svg class=\"crm-xchart-y\" aria-hidden=\"true\">");
        for (var v = 0.0; v <= max + step / 2; v += step)
            html.Append("<text x=\"100%\" dx=\"-6\" y=\"").Append(Y(v)).Append("\" dy=\"4\" text-anchor=\"end\">").Append(Encode(tick(v))).Append("</text>");
        html.Append("</svg><svg class=\"crm-xchart-plot\" role=\"img\">");
        for (var v = 0.0; v <= max + step / 2; v += step)
            html.Append("<line class=\"crm-xchart-grid\" x1=\"0\" x2=\"100%\" y1=\"").Append(Y(v)).Append("\" y2=\"").Append(Y(v)).Append("\"/>");
        if (line)
        {
            for (var s = 0; s < series.Count; s++)
            {
                for (var i = 0; i + 1 < labels.Count; i++)
                    html.Append("<line class=\"crm-xchart-line\"").Paint("stroke", series[s].Color).Append(" x1=\"").Append(Pct((i + .5) * 100 / n)).Append("\" y1=\"").Append(Y(At(series[s], i)))
                        .Append("\" x2=\"").Append(Pct((i + 1.5) * 100 / n)).Append("\" y2=\"").Append(Y(At(series[s], i + 1))).Append("\"/>");
                for (var i = 0; i < labels.Count; i++)
                    html.Append("<circle class=\"crm-xchart-point\"").Paint("fill", series[s].Color).Append(" r=\"4\" cx=\"").Append(Pct((i + .5) * 100 / n)).Append("\" cy=\"").Append(Y(At(series[s], i)))
                        .Append("\"><title>").Append(Encode($"{series[s].Name} · {labels[i]}: {value(s, i)}")).Append("</title></circle>");
            }
        }
        else
        {
            // Each label's slot holds its bars side by side, with a fifth of the slot left free around them.
            var width = 80.0 / n / Math.Max(1, series.Count);
            for (var i = 0; i < labels.Count; i++)
                for (var s = 0; s < series.Count; s++)
                {
                    var v = At(series[s], i);
                    html.Append("<rect class=\"crm-xchart-bar\"").Paint("fill", series[s].Color).Append(" x=\"").Append(Pct(i * 100.0 / n + 10.0 / n + s * width))
                        .Append("\" width=\"").Append(Pct(width)).Append("\" y=\"").Append(Y(v)).Append("\" height=\"").Append(Pct(Math.Clamp(v, 0, max) / max * 100))
                        .Append("\"><title>").Append(Encode(series.Count > 1 ? $"{series[s].Name} · {labels[i]}: {value(s, i)}" : $"{labels[i]}: {value(s, i)}")).Append("</title></rect>");
                }
        }
        html.Append("</svg><div></div><div class=\"crm-xchart-x").Append(rotation != 0 ? " crm-xchart-x-turned" : "").Append("\">");
        foreach (var label in labels)
            html.Append("<span title=\"").Append(Encode(label)).Append("\"><span>").Append(Encode(label)).Append("</span></span>");
        html.Append("</div></div>");
        return new MarkupString(html.ToString());
    }

    /// <summary>A pie (or a donut with a hole of half its radius): one slice per value, clockwise from the top.</summary>
    public static MarkupString Pie(bool donut, IReadOnlyList<string> labels, IReadOnlyList<double> values, IReadOnlyList<string> colors, Func<int, string> value)
    {
        var total = values.Where(v => v > 0).Sum();
        var html = new StringBuilder(1024);
        html.Append("<svg class=\"crm-pie-svg\" viewBox=\"-1 -1 2 2\" role=\"img\">");
        // A slice is a stretch of a circle's stroke: the stroke as wide as the ring, its dash as long as the share
        // (pathLength 100 makes the dash a percentage), turned so the first slice starts at twelve o'clock.
        var (radius, ring) = donut ? ("0.75", "0.5") : ("0.5", "1");
        var start = 0.0;
        for (var i = 0; i < values.Count && total > 0; i++)
        {
            if (values[i] <= 0) continue;
            var share = values[i] / total * 100;
            html.Append("<circle r=\"").Append(radius).Append("\" fill=\"none\"").Paint("stroke", colors[i % colors.Count]).Append(" stroke-width=\"").Append(ring)
                .Append("\" pathLength=\"100\" stroke-dasharray=\"").Append(Num(share)).Append(' ').Append(Num(100 - share))
                .Append("\" stroke-dashoffset=\"").Append(Num(-start)).Append("\" transform=\"rotate(-90)\"><title>").Append(Encode($"{labels[i]}: {value(i)}")).Append("</title></circle>");
            start += share;
        }
        html.Append("</svg>");
        return new MarkupString(html.ToString());
    }

    /// <summary>
    /// A colour as an SVG paint: a theme colour (<c>var(--crm-chart-N)</c>, set for light or dark by the theme provider)
    /// in a style, since presentation attributes take no <c>var()</c>; any other colour (metadata's hex) as the attribute.
    /// </summary>
    private static StringBuilder Paint(this StringBuilder html, string property, string color)
        => IsThemeColor(color)
            ? html.Append(" style=\"").Append(property).Append(':').Append(color).Append('"')
            : html.Append(' ').Append(property).Append("=\"").Append(Encode(color)).Append('"');

    private static bool IsThemeColor(string color)
        => color.StartsWith("var(--crm-chart-", StringComparison.Ordinal) && color.EndsWith(')') && color.Length > 17 && color[16..^1].All(char.IsAsciiDigit);

    private static double At(Series series, int i) => i < series.Values.Count ? series.Values[i] : 0;

    private static string Pct(double value) => Num(value) + "%";

    private static string Num(double value) => Math.Round(value, 3).ToString(CultureInfo.InvariantCulture);

    private static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");
}
