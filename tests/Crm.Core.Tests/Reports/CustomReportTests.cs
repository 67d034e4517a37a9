using System.Text.Json.Nodes;
using Crm.Core.Reports;
using Crm.Core.Views;
using Crm.Testing;

namespace Crm.Core.Tests.Reports;

/// <summary>Builder reports (group by + measure) on <see cref="ReportData.SalesAsync"/>: bound columns, JSON values and date buckets.</summary>
public class CustomReportTests
{
    private static ReportSpec Group(string field, string aggregate = "count", string? measureField = null, string? bucket = null, string? pipeline = null)
        => new() { Type = "custom", Chart = "bar", Pipeline = pipeline, GroupBy = new GroupBySpec(field, bucket), Measure = new MeasureSpec(aggregate, measureField) };

    private static async Task<ReportData> SalesAsync(string provider)
    {
        var data = await ReportData.CreateAsync(provider, "b2b_sales_funnel");
        await data.SalesAsync();
        return data;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Amount_by_stage_sums_the_amount_column_in_stage_order(string provider)
    {
        await using var data = await SalesAsync(provider);
        var result = await data.RunAsync("opportunity", Group("stage", "sum", "amount", pipeline: "b2b"));
        Assert.Equal(["identify", "first_contact", "qualify", "proposal", "negotiation", "won", "after_sales", "lost"], result.Rows.Select(r => r.Key));
        Assert.Equal([30000m, 0m, 40000m, 100000m, 0m, 200000m, 120000m, 190000m], result.Rows.Select(r => r.Cells[0].Number!.Value));
        Assert.Equal(ReportFormat.Money, result.Columns[0].Format);
        Assert.Equal(680000m, result.Kpi!.Value);

        // Without a pipeline the stages of both pipelines are grouped by key: the same numbers here.
        var any = await data.RunAsync("opportunity", Group("$stage", "sum", "amount"));
        Assert.Equal(200000m, any.Value("won", "sum"));
        Assert.Equal(190000m, any.Value("lost", "sum"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Grouping_by_owner_select_and_status_field_reads_columns_and_json(string provider)
    {
        await using var data = await SalesAsync(provider);
        var byOwner = await data.RunAsync("opportunity", Group("owner"));
        Assert.Equal(5, byOwner.Value(data.Owner.UserId.ToString(), "count"));
        Assert.Equal(3, byOwner.Value(data.Other.UserId.ToString(), "count"));
        Assert.Equal(data.Owner.UserId.ToString(), byOwner.Rows[0].Key);   // most first

        var bySource = await data.RunAsync("opportunity", Group("source", "avg", "amount"));
        Assert.Equal(60000m, bySource.Value("website", "avg"));            // 100k, 50k, 30k
        Assert.Equal(113333.33m, bySource.Value("referral", "avg"));        // 200k, 80k, 60k
        Assert.Equal(120000m, bySource.Value("exhibition", "avg"));
        Assert.Null(bySource.Value("email", "avg"));                       // no deals: no average
        Assert.Equal("website", bySource.Rows[0].Key);                     // option order

        var lostReasons = await data.RunAsync("opportunity", Group("lost_reason"));
        Assert.Equal(2, lostReasons.Value("price_too_high", "count"));
        Assert.Equal(1, lostReasons.Value("chose_competitor", "count"));
        Assert.Equal(5, lostReasons.Value("", "count"));                   // not lost

        var biggest = await data.RunAsync("opportunity", Group("source", "max", "weighted_amount"));
        Assert.Equal(200000m, biggest.Value("referral", "max"));            // O2 won: 100 %
        Assert.Equal(40000m, biggest.Value("website", "max"));              // O1 proposal: 40 % of 100k
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Dates_group_by_day_week_and_month_with_empty_periods_filled(string provider)
    {
        await using var data = await SalesAsync(provider);
        var byDay = await data.RunAsync("opportunity", Group("$createdAt", bucket: "day"));
        Assert.Equal(["2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05", "2025-12-06", "2025-12-07"], byDay.Rows.Select(r => r.Key));
        Assert.Equal([2m, 1m, 1m, 1m, 1m, 1m, 1m], byDay.Rows.Select(r => r.Cells[0].Number!.Value));

        var byWeek = await data.RunAsync("opportunity", Group("$createdAt", bucket: "week"));
        Assert.Equal(8, byWeek.Value("2025-12-01", "count"));              // all in the week of Monday 1 December
        Assert.Single(byWeek.Rows);

        var byCloseMonth = await data.RunAsync("opportunity", Group("expected_close", "sum", "amount", bucket: "month"));
        Assert.Equal(["2026-01", "2026-02", "2026-03", "2026-04"], byCloseMonth.Rows.Select(r => r.Key));
        Assert.Equal([80000m, 390000m, 170000m, 40000m], byCloseMonth.Rows.Select(r => r.Cells[0].Number!.Value));

        var march = await data.RunAsync("opportunity", Group("expected_close", "sum", "amount", bucket: "month"), new ReportFilters { From = new DateOnly(2026, 3, 1), To = new DateOnly(2026, 3, 31) });
        Assert.Equal(["2026-03"], march.Rows.Select(r => r.Key));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_single_number_and_the_report_filters(string provider)
    {
        await using var data = await SalesAsync(provider);
        var total = await data.RunAsync("opportunity", new ReportSpec { Type = "custom", Chart = "kpi", Measure = new MeasureSpec("sum", "weighted_amount") });
        Assert.Equal(369500m, total.Kpi!.Value);   // 40k + 200k + 1.5k + 120k + 8k

        var open = await data.RunAsync("opportunity", new ReportSpec
        {
            Type = "custom", Chart = "kpi", Measure = new MeasureSpec(),
            Filters = [new FilterSpec("stage", "nin", new JsonArray("won", "after_sales", "lost"))],
        });
        Assert.Equal(3m, open.Kpi!.Value);

        var smallest = await data.RunAsync("opportunity", new ReportSpec { Type = "custom", Chart = "kpi", Measure = new MeasureSpec("min", "amount") }, new ReportFilters { OwnerId = data.Other.UserId });
        Assert.Equal(50000m, smallest.Kpi!.Value);

        var average = await data.RunAsync("opportunity", Group("owner", "avg", "amount"), new ReportFilters { Fields = [new FilterSpec("source", "in", new JsonArray("website", "exhibition"))] });
        Assert.Equal(65000m, average.Value(data.Owner.UserId.ToString(), "avg"));  // O1, O5
        Assert.Equal(85000m, average.Value(data.Other.UserId.ToString(), "avg"));  // O3, O6
        Assert.Equal(75000m, average.Kpi!.Value);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_json_date_field_groups_and_filters_by_itself(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider, "marketing_campaigns");
        await data.CampaignsAsync();
        var result = await data.RunAsync("campaign", Group("start_date", "sum", "cost", bucket: "month"));
        Assert.Equal(["2025-11", "2025-12"], result.Rows.Select(r => r.Key));
        Assert.Equal(10000m, result.Value("2025-11", "sum"));
        Assert.Equal(20000m, result.Value("2025-12", "sum"));

        var december = await data.RunAsync("campaign", Group("start_date", bucket: "week"), new ReportFilters { From = new DateOnly(2025, 12, 1), To = new DateOnly(2025, 12, 31) });
        Assert.Equal(1, december.Value("2025-12-01", "count"));   // K2 on Friday 5 December
        Assert.Equal(1, december.Value("2025-12-15", "count"));   // K3 on Saturday 20 December
        Assert.Equal(0, december.Value("2025-12-08", "count"));
        Assert.Equal(2m, december.Kpi!.Value);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_field_that_is_gone_gives_a_problem_not_an_error(string provider)
    {
        await using var data = await SalesAsync(provider);
        var result = await data.RunAsync("opportunity", Group("source", "sum", "no_such_field"));
        Assert.NotNull(result.Problem);
        Assert.Empty(result.Rows);
        var notGroupable = await data.RunAsync("opportunity", Group("description"));
        Assert.NotNull(notGroupable.Problem);
    }
}
