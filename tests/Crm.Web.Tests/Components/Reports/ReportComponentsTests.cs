using System.Globalization;
using Bunit;
using Crm.Core.Reports;
using Crm.Web.Components.Reports;
using MudBlazor;

namespace Crm.Web.Tests.Components.Reports;

/// <summary>The report renderers on their own: the SVG funnel, KPI tiles, tables, pie legends and CSV.</summary>
public class ReportComponentsTests
{
    private static ReportResult Funnel(bool tie = false) => new()
    {
        Type = "funnel", Chart = "funnel", Dimension = "Stage",
        Columns = [new("reached", "Reached", ReportFormat.Integer), new("conversion", "Conversion", ReportFormat.Percent), new("fromFirst", "Of first", ReportFormat.Percent), new("lost", "Lost here", ReportFormat.Integer)],
        Rows =
        [
            new("identify", "Identify", [100m, null, 100m, 5m]),
            new("qualify", "Qualify", [60m, 60m, 60m, 30m]),
            new("proposal", "Proposal", [20m, 33.3m, 20m, 4m]),
            new("won", "Won", [10m, 50m, 10m, null]),
        ],
        Highlight = tie ? null : 1,
        HighlightNote = tie ? null : "Lowest conversion: Qualify → Proposal, 33.3% moved on.",
    };

    [Fact]
    public async Task The_funnel_narrows_step_by_step_and_marks_the_bottleneck()
    {
        await using var context = new ComponentTestContext();
        var cut = context.Bunit.Render<FunnelChart>(p => p.Add(x => x.Result, Funnel()));

        var steps = cut.FindAll("g.crm-funnel-step");
        Assert.Equal(["identify", "qualify", "proposal", "won"], steps.Select(s => s.GetAttribute("data-stage")));
        var bottleneck = Assert.Single(cut.FindAll("g.crm-funnel-bottleneck"));
        Assert.Equal("qualify", bottleneck.GetAttribute("data-stage"));
        Assert.Equal("#e03131", bottleneck.QuerySelector("polygon")!.GetAttribute("fill"));

        // Each trapezoid's top is as wide as the deals that reached it: 100 → 60 → 20 → 10.
        var widths = cut.FindAll("polygon").Select(p =>
        {
            var points = p.GetAttribute("points")!.Split(' ').Select(xy => double.Parse(xy.Split(',')[0], CultureInfo.InvariantCulture)).ToList();
            return points[1] - points[0];
        }).ToList();
        Assert.Equal(widths.OrderByDescending(w => w), widths);
        Assert.Equal(0.6, widths[1] / widths[0], 2);
        Assert.Contains("Lowest conversion: Qualify → Proposal, 33.3%", cut.Find("[data-testid=funnel-bottleneck]").TextContent);
        Assert.Contains("30 lost", bottleneck.TextContent);
    }

    [Fact]
    public async Task A_funnel_whose_stages_tie_marks_no_stage_and_names_none()
    {
        await using var context = new ComponentTestContext();
        var tie = Funnel(tie: true);
        var cut = context.Bunit.Render<FunnelChart>(p => p.Add(x => x.Result, tie));

        Assert.Equal(4, cut.FindAll("g.crm-funnel-step").Count);
        Assert.Empty(cut.FindAll("g.crm-funnel-bottleneck"));
        Assert.Empty(cut.FindAll("[data-testid=funnel-bottleneck]"));
        Assert.DoesNotContain("#e03131", cut.Markup);
    }

    [Theory]
    [InlineData("en", 1500000, "1.5M")]
    [InlineData("en", 2500000, "2.5M")]
    [InlineData("zh-CN", 1500000, "150万")]
    [InlineData("zh-CN", 250000000, "2.5亿")]
    public async Task Axis_numbers_are_short_and_whole_in_the_users_language(string culture, double value, string expected)
    {
        await using var context = new ComponentTestContext(culture);
        Assert.Equal(expected, ReportView.Axis(value, ReportFormat.Money));
        Assert.Equal("40%", ReportView.Axis(40, ReportFormat.Percent));
    }

    [Fact]
    public async Task A_chart_of_two_series_has_its_own_legend_inside_the_chart_box()
    {
        await using var context = new ComponentTestContext();
        context.Bunit.Render<MudPopoverProvider>();
        var forecast = new ReportResult
        {
            Type = "forecast", Chart = "bar", Dimension = "Month",
            Columns = [new("amount", "Amount", ReportFormat.Money), new("weighted", "Weighted", ReportFormat.Money)],
            Rows = [new("2026-12", "2026-12", [2_400_000m, 1_350_000m]), new("2027-01", "2027-01", [3_800_000m, 1_100_000m])],
            Series = [0, 1],
        };

        var cut = context.Bunit.Render<ReportView>(p => p.Add(x => x.Result, forecast).Add(x => x.Height, "300px"));

        var chart = cut.Find("[data-testid=report-chart]");
        var legend = chart.QuerySelector("[data-testid=series-legend]")!;
        Assert.Equal(["Amount", "Weighted"], legend.QuerySelectorAll("li").Select(li => li.TextContent.Trim()));
        Assert.Empty(cut.FindAll(".mud-chart-legend"));
        Assert.Contains("calc(300px - 26px)", cut.Markup);
    }

    [Fact]
    public async Task Bars_lines_slices_and_legends_paint_with_the_themes_chart_colours_and_metadata_colours_stay()
    {
        // The theme provider sets --crm-chart-N for light or dark (CrmThemeProviderTests): a fixed hex here would keep
        // the light palette in dark mode.
        await using var context = new ComponentTestContext();
        context.Bunit.Render<MudPopoverProvider>();
        var result = new ReportResult
        {
            Type = "forecast", Chart = "bar", Dimension = "Month",
            Columns = [new("amount", "Amount", ReportFormat.Money), new("weighted", "Weighted", ReportFormat.Money)],
            Rows = [new("2026-12", "2026-12", [2_400_000m, 1_350_000m]), new("2027-01", "2027-01", [3_800_000m, 1_100_000m]) { Color = "#2f9e44" }],
            Series = [0, 1],
        };

        var bar = context.Bunit.Render<ReportView>(p => p.Add(x => x.Result, result).Add(x => x.Chart, "bar"));
        var bars = bar.FindAll("rect.crm-xchart-bar");
        Assert.Equal(4, bars.Count);
        Assert.All(bars, b => Assert.Null(b.GetAttribute("fill")));
        Assert.Equal(["fill:var(--crm-chart-1)", "fill:var(--crm-chart-2)", "fill:var(--crm-chart-1)", "fill:var(--crm-chart-2)"], bars.Select(b => b.GetAttribute("style")));
        Assert.Equal(["background:var(--crm-chart-1)", "background:var(--crm-chart-2)"], bar.FindAll("[data-testid=series-legend] .crm-dot").Select(d => d.GetAttribute("style")));

        var line = context.Bunit.Render<ReportView>(p => p.Add(x => x.Result, result).Add(x => x.Chart, "line"));
        Assert.All(line.FindAll("line.crm-xchart-line"), l => Assert.StartsWith("stroke:var(--crm-chart-", l.GetAttribute("style")));
        Assert.All(line.FindAll("circle.crm-xchart-point"), c => Assert.StartsWith("fill:var(--crm-chart-", c.GetAttribute("style")));

        // A slice without a colour of its own takes the theme's; one with a metadata colour keeps it.
        var pie = context.Bunit.Render<ReportView>(p => p.Add(x => x.Result, result).Add(x => x.Chart, "pie"));
        var slices = pie.FindAll(".crm-pie-svg circle");
        Assert.Equal(("stroke:var(--crm-chart-1)", null), (slices[0].GetAttribute("style"), slices[0].GetAttribute("stroke")));
        Assert.Equal((null, "#2f9e44"), (slices[1].GetAttribute("style"), slices[1].GetAttribute("stroke")));
        Assert.DoesNotContain("#3b5bdb", bar.Markup + line.Markup + pie.Markup);
    }

    [Theory]
    [InlineData("en", "$1,250,000.5", "15 days")]
    [InlineData("zh-CN", "$1,250,000.5", "15 天")]
    public async Task A_kpi_shows_money_and_days_in_the_users_language(string culture, string money, string days)
    {
        await using var context = new ComponentTestContext(culture);
        var kpi = new ReportKpi("Open pipeline", 1250000.5m, ReportFormat.Money, "USD", [new("Cycle", 15m, ReportFormat.Days)]);
        var cut = context.Bunit.Render<KpiTile>(p => p.Add(x => x.Kpi, kpi));
        Assert.Equal(money, cut.Find("[data-testid=kpi-value]").TextContent.Trim());
        Assert.Contains(days, cut.Find(".crm-kpi-details").TextContent);
    }

    [Fact]
    public async Task The_view_draws_what_the_report_asks_for()
    {
        await using var context = new ComponentTestContext();
        var funnel = Funnel();
        context.Bunit.Render<MudPopoverProvider>();

        var table = context.Bunit.Render<ReportView>(p => p.Add(x => x.Result, funnel).Add(x => x.Chart, "table"));
        Assert.Equal(4, table.FindAll("tbody tr").Count);
        Assert.Contains("crm-row-highlight", table.Find("tr[data-row=qualify]").ClassName);
        Assert.Equal("33.3 %", table.Find("tr[data-row=proposal]").Children[2].TextContent.Trim());
        Assert.Equal("–", table.Find("tr[data-row=identify]").Children[2].TextContent.Trim());

        var bar = context.Bunit.Render<ReportView>(p => p.Add(x => x.Result, funnel).Add(x => x.Chart, "bar"));
        Assert.Equal("bar", bar.Find("[data-testid=report-chart]").GetAttribute("data-chart"));
        Assert.NotEmpty(bar.FindAll("svg"));

        var pie = context.Bunit.Render<ReportView>(p => p.Add(x => x.Result, funnel).Add(x => x.Chart, "donut").Add(x => x.Compact, true));
        var legend = pie.FindAll("[data-testid=chart-legend] li");
        Assert.Equal(4, legend.Count);
        Assert.Contains("Qualify", legend[1].TextContent);
        Assert.Contains("60", legend[1].TextContent);

        var problem = context.Bunit.Render<ReportView>(p => p.Add(x => x.Result, new ReportResult { Type = "custom", Chart = "bar", Dimension = "", Columns = [], Rows = [], Problem = "The field is gone." }));
        Assert.Equal("The field is gone.", problem.Find("[data-testid=report-problem]").TextContent.Trim());
    }

    [Fact]
    public void Csv_has_a_header_plain_numbers_and_no_formulas()
    {
        var result = new ReportResult
        {
            Type = "custom", Chart = "table", Dimension = "客户",
            Columns = [new("amount", "金额", ReportFormat.Money, "CNY"), new("note", "Note", ReportFormat.Text), new("roi", "ROI", ReportFormat.Percent)],
            Rows =
            [
                new("a", "=HYPERLINK(\"x\")", [1234567.5m, ReportCell.Of("has, comma"), -50m]),
                new("b", "北京 \"京华\"", [null, ReportCell.Of(null), 12.3m]),
            ],
        };
        var csv = ReportCsv.Write(result);
        Assert.StartsWith("\uFEFF", csv);
        var lines = csv.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("客户,金额,Note,ROI", lines[0]);
        Assert.Equal("\"'=HYPERLINK(\"\"x\"\")\",1234567.5,\"has, comma\",-50", lines[1]);
        Assert.Equal("\"北京 \"\"京华\"\"\",,,12.3", lines[2]);
        Assert.Equal("销售漏斗_2026.csv", ReportCsv.FileName("销售漏斗/2026"));
    }
}
