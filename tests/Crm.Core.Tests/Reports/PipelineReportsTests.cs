using System.Text.Json.Nodes;
using Crm.Core.Reports;
using Crm.Core.Views;
using Crm.Testing;

namespace Crm.Core.Tests.Reports;

/// <summary>Funnel, pipeline value, win rate, sales cycle, time in stage and forecast on <see cref="ReportData.SalesAsync"/>, worked out by hand.</summary>
public class PipelineReportsTests
{
    private static ReportSpec Spec(string type) => new() { Type = type, Pipeline = "b2b", Chart = "table" };

    private static async Task<ReportData> SalesAsync(string provider)
    {
        var data = await ReportData.CreateAsync(provider, "b2b_sales_funnel");
        await data.SalesAsync();
        return data;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Funnel_counts_deals_that_reached_each_stage_and_highlights_the_lowest_conversion(string provider)
    {
        await using var data = await SalesAsync(provider);
        var funnel = await data.RunAsync("opportunity", Spec("funnel"));

        Assert.Null(funnel.Problem);
        Assert.Equal(["identify", "first_contact", "qualify", "proposal", "negotiation", "won"], funnel.Rows.Select(r => r.Key));
        // Furthest step: O5 1; O3, O7 2; O4, O8 3 (O8 skipped first contact); O1 4; O2, O6 won.
        Assert.Equal([8m, 7m, 5m, 3m, 2m, 2m], funnel.Rows.Select(r => r.Cells[funnel.Column("reached")].Number!.Value));
        Assert.Equal([null, 87.5m, 71.4m, 60m, 66.7m, 100m], funnel.Rows.Select(r => r.Cells[funnel.Column("conversion")].Number));
        Assert.Equal(2, funnel.Value("first_contact", "lost"));
        Assert.Equal(1, funnel.Value("qualify", "lost"));
        Assert.Equal(0, funnel.Value("proposal", "lost"));
        // Moving on: identify 87.5 %, first contact 71.4 %, qualify 60 %, proposal 66.7 %, negotiation 100 %.
        // First contact loses the most deals (2), but qualify keeps the smallest share of its deals.
        Assert.Equal(2, funnel.Highlight);
        Assert.Equal("Lowest conversion: 资格认定 → 提案, 60% moved on.", funnel.HighlightNote);
        Assert.Equal(25m, funnel.Kpi!.Value);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Funnel_follows_the_owner_date_and_select_filters(string provider)
    {
        await using var data = await SalesAsync(provider);
        var other = await data.RunAsync("opportunity", Spec("funnel"), new ReportFilters { OwnerId = data.Other.UserId });
        Assert.Equal([3m, 3m, 2m, 1m, 1m, 1m], other.Rows.Select(r => r.Cells[0].Number!.Value));

        // Created on days 2–4: O4, O5, O6.
        var cohort = await data.RunAsync("opportunity", Spec("funnel"), new ReportFilters { From = new DateOnly(2025, 12, 3), To = new DateOnly(2025, 12, 5) });
        Assert.Equal([3m, 2m, 2m, 1m, 1m, 1m], cohort.Rows.Select(r => r.Cells[0].Number!.Value));

        var referral = await data.RunAsync("opportunity", Spec("funnel"), new ReportFilters { Fields = [new FilterSpec("source", "in", new JsonArray("referral"))] });
        Assert.Equal([3m, 3m, 2m, 1m, 1m, 1m], referral.Rows.Select(r => r.Cells[0].Number!.Value));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_deal_that_skips_a_stage_and_moves_back_counts_up_to_where_it_went_back(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider, "b2b_sales_funnel");
        var company = await data.CreateAsync("acme", "company", 0, new JsonObject { ["name"] = "Acme" });
        JsonObject Deal(string name) => new() { ["name"] = name, ["company"] = company.ToString(), ["amount"] = 1000, ["expected_close"] = "2026-03-01", ["owner"] = data.Owner.UserId.ToString() };
        await data.CreateAsync("back", "opportunity", 0, Deal("back"), "b2b");
        await data.UpdateAsync("back", 1, ("stage", "proposal"));       // skips first contact and qualify
        await data.UpdateAsync("back", 2, ("stage", "qualify"));        // and comes back
        await data.UpdateAsync("back", 3, ("stage", "lost"), ("lost_reason", "no_budget")); // the template's form rule requires a reason
        await data.CreateAsync("plain", "opportunity", 0, Deal("plain"), "b2b");
        await data.UpdateAsync("plain", 1, ("stage", "first_contact"));

        var funnel = await data.RunAsync("opportunity", Spec("funnel"));
        Assert.Equal([2m, 2m, 1m, 0m, 0m, 0m], funnel.Rows.Select(r => r.Cells[0].Number!.Value));
        Assert.Equal(1, funnel.Value("qualify", "lost"));
        Assert.Equal(2, funnel.Highlight);
    }

    private static async Task<ReportData> DealsLostAtAsync(string provider, params string[] lostFrom)
    {
        var data = await ReportData.CreateAsync(provider, "b2b_sales_funnel");
        var company = await data.CreateAsync("acme", "company", 0, new JsonObject { ["name"] = "Acme" });
        var order = new[] { "identify", "first_contact", "qualify", "proposal", "negotiation", "won" };
        for (var i = 0; i < lostFrom.Length; i++)
        {
            var name = $"d{i}";
            await data.CreateAsync(name, "opportunity", 0, new JsonObject { ["name"] = name, ["company"] = company.ToString(), ["amount"] = 1000, ["expected_close"] = "2026-03-01", ["owner"] = data.Owner.UserId.ToString() }, "b2b");
            var day = 1;
            foreach (var stage in order.Skip(1).TakeWhile(s => Array.IndexOf(order, s) <= Array.IndexOf(order, lostFrom[i])))
                await data.UpdateAsync(name, day++, ("stage", stage));
            if (lostFrom[i] != "won") await data.UpdateAsync(name, day, ("stage", "lost"), ("lost_reason", "no_budget"));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task When_every_stage_loses_one_deal_the_funnel_highlights_the_lowest_conversion_not_the_first_stage(string provider)
    {
        await using var data = await DealsLostAtAsync(provider, "identify", "first_contact", "qualify", "proposal");
        var funnel = await data.RunAsync("opportunity", Spec("funnel"));

        Assert.Equal([4m, 3m, 2m, 1m, 0m, 0m], funnel.Rows.Select(r => r.Cells[0].Number!.Value));
        Assert.All(["identify", "first_contact", "qualify", "proposal"], stage => Assert.Equal(1, funnel.Value(stage, "lost")));
        // Moving on: identify 75 %, first contact 66.7 %, qualify 50 %, proposal 0 %.
        Assert.Equal(3, funnel.Highlight);
        Assert.Equal("Lowest conversion: 提案 → 谈判与异议处理, 0% moved on.", funnel.HighlightNote);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task When_the_lowest_conversion_is_shared_the_funnel_highlights_nothing(string provider)
    {
        // Reached 4, 2, 1, 1, 1, 1: identify and first contact both pass on 50 %.
        await using var data = await DealsLostAtAsync(provider, "identify", "identify", "first_contact", "won");
        var funnel = await data.RunAsync("opportunity", Spec("funnel"));

        Assert.Equal([4m, 2m, 1m, 1m, 1m, 1m], funnel.Rows.Select(r => r.Cells[0].Number!.Value));
        Assert.Null(funnel.Highlight);
        Assert.Null(funnel.HighlightNote);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pipeline_value_sums_open_deals_per_stage_with_their_probability(string provider)
    {
        await using var data = await SalesAsync(provider);
        var value = await data.RunAsync("opportunity", Spec("pipelineValue"));

        Assert.Equal(["identify", "first_contact", "qualify", "proposal", "negotiation"], value.Rows.Select(r => r.Key));
        Assert.Equal(1, value.Value("identify", "count"));
        Assert.Equal(30000m, value.Value("identify", "amount"));
        Assert.Equal(1500m, value.Value("identify", "weighted"));   // 5 %
        Assert.Equal(0, value.Value("first_contact", "count"));
        Assert.Equal(8000m, value.Value("qualify", "weighted"));    // 20 % of 40k
        Assert.Equal(40000m, value.Value("proposal", "weighted"));  // 40 % of 100k
        Assert.Equal(170000m, value.Kpi!.Value);
        Assert.Equal(49500m, value.Kpi.Details[0].Value);
        Assert.Equal(3m, value.Kpi.Details[1].Value);

        var mine = await data.RunAsync("opportunity", Spec("pipelineValue"), new ReportFilters { OwnerId = data.Other.UserId });
        Assert.Equal(0m, mine.Kpi!.Value);
        var cohort = await data.RunAsync("opportunity", Spec("pipelineValue"), new ReportFilters { From = new DateOnly(2025, 12, 3), To = new DateOnly(2025, 12, 5) });
        Assert.Equal(30000m, cohort.Kpi!.Value);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Win_rate_is_won_of_closed_deals(string provider)
    {
        await using var data = await SalesAsync(provider);
        var rate = await data.RunAsync("opportunity", Spec("winRate"));
        Assert.Equal(40m, rate.Kpi!.Value);               // O2, O6 won; O3, O4, O7 lost
        Assert.Equal(2, rate.Value("won", "count"));
        Assert.Equal(320000m, rate.Value("won", "amount"));
        Assert.Equal(3, rate.Value("lost", "count"));
        Assert.Equal(190000m, rate.Value("lost", "amount"));

        var referral = await data.RunAsync("opportunity", Spec("winRate"), new ReportFilters { Fields = [new FilterSpec("source", "eq", JsonValue.Create("referral"))] });
        Assert.Equal(33.3m, referral.Kpi!.Value);          // O2 won; O4, O7 lost
        var other = await data.RunAsync("opportunity", Spec("winRate"), new ReportFilters { OwnerId = data.Other.UserId });
        Assert.Equal(33.3m, other.Kpi!.Value);             // O6 won; O3, O4 lost
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sales_cycle_averages_days_from_creation_to_won(string provider)
    {
        await using var data = await SalesAsync(provider);
        var cycle = await data.RunAsync("opportunity", Spec("salesCycle"));
        Assert.Equal(15m, cycle.Kpi!.Value);              // O2 20 days, O6 10 days (after-sales later does not count again)
        Assert.Equal(2m, cycle.Kpi.Details[0].Value);
        Assert.Equal(15m, cycle.Value("2025-12", "days"));
        Assert.Equal(2, cycle.Value("2025-12", "count"));

        // Won on day 14 (2025-12-15) only.
        var range = await data.RunAsync("opportunity", Spec("salesCycle"), new ReportFilters { From = new DateOnly(2025, 12, 10), To = new DateOnly(2025, 12, 16) });
        Assert.Equal(10m, range.Kpi!.Value);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Time_in_stage_averages_the_days_deals_spent_before_leaving(string provider)
    {
        await using var data = await SalesAsync(provider);
        var time = await data.RunAsync("opportunity", Spec("timeInStage"));
        Assert.Equal(1.6m, time.Value("identify", "days"));        // 11 days / 7 exits
        Assert.Equal(7, time.Value("identify", "exits"));
        Assert.Equal(3.3m, time.Value("first_contact", "days"));   // 20 / 6
        Assert.Equal(3.3m, time.Value("qualify", "days"));         // 13 / 4 = 3.25
        Assert.Equal(2.5m, time.Value("proposal", "days"));
        Assert.Equal(7m, time.Value("negotiation", "days"));       // 12 and 2
        Assert.Equal(4, time.Highlight);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Forecast_sums_open_deals_by_expected_close_month(string provider)
    {
        await using var data = await SalesAsync(provider);
        var forecast = await data.RunAsync("opportunity", Spec("forecast"));
        Assert.Equal(["2026-02", "2026-03", "2026-04"], forecast.Rows.Select(r => r.Key));
        Assert.Equal(130000m, forecast.Value("2026-02", "amount"));  // O1 100k proposal, O5 30k identify
        Assert.Equal(41500m, forecast.Value("2026-02", "weighted"));
        Assert.Equal(2, forecast.Value("2026-02", "count"));
        Assert.Equal(0m, forecast.Value("2026-03", "amount"));
        Assert.Equal(8000m, forecast.Value("2026-04", "weighted"));  // O8 40k qualify

        var february = await data.RunAsync("opportunity", Spec("forecast"), new ReportFilters { From = new DateOnly(2026, 2, 1), To = new DateOnly(2026, 2, 28) });
        Assert.Equal(["2026-02"], february.Rows.Select(r => r.Key));
    }
}
