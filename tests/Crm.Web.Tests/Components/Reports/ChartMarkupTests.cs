using Crm.Web.Components.Reports;

namespace Crm.Web.Tests.Components.Reports;

/// <summary>
/// Charts are drawn as one piece of SVG markup: labels, series names and colours come from tenants' data (option
/// labels, record titles, report settings), so everything taken from them must arrive encoded, never as markup.
/// </summary>
public class ChartMarkupTests
{
    private const string Hostile = "<img src=x onerror=alert(1)>\"'&";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bar_and_line_charts_encode_labels_series_names_and_colours(bool line)
    {
        var html = ChartMarkup.Axis(line, [Hostile, "华东"], [new ChartMarkup.Series(Hostile, "red\" onmouseover=\"x", [3, 7])],
            step: 5, rotation: 0, tick: v => v.ToString(), value: (s, i) => Hostile).Value;

        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("\" onmouseover=\"", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;", html);
        Assert.Contains("华东", html);
        // One bar or point per value, each with its label and value as the tooltip.
        Assert.Equal(2, CountOf(html, line ? "<circle" : "<rect"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pie_slices_encode_labels_and_colours_and_skip_empty_values(bool donut)
    {
        var html = ChartMarkup.Pie(donut, [Hostile, "b", "c"], [2, 0, 6], ["#123456\"><script>", "#abcdef"], i => Hostile).Value;

        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<img", html);
        Assert.Equal(2, CountOf(html, "<circle")); // the zero slice is not drawn
        Assert.Contains("stroke-dasharray=\"25 75\"", html); // 2 of 8
        Assert.Contains("stroke-dasharray=\"75 25\"", html);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
