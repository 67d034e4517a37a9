using System.Text.Json.Nodes;
using Crm.Core.Reports;
using Crm.Testing;

namespace Crm.Core.Tests.Reports;

/// <summary>Status distribution, status trend, churn warning and the activity reports, worked out by hand.</summary>
public class StatusAndActivityReportsTests
{
    private static async Task<ReportData> LifecycleAsync(string provider)
    {
        var data = await ReportData.CreateAsync(provider, "customer_lifecycle");
        await data.LifecycleAsync();
        return data;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Status_distribution_counts_customers_per_lifecycle_group(string provider)
    {
        await using var data = await LifecycleAsync(provider);
        var result = await data.RunAsync("company", new ReportSpec { Type = "statusDistribution", Chart = "donut" });
        Assert.Equal(["prospect", "intent", "won", "retained", "at_risk", "lost"], result.Rows.Select(r => r.Key));
        Assert.Equal([1m, 0m, 1m, 1m, 1m, 1m], result.Rows.Select(r => r.Cells[0].Number!.Value));
        Assert.Equal(20m, result.Value("won", "share"));
        Assert.Equal(5m, result.Kpi!.Value);

        var early = await data.RunAsync("company", new ReportSpec { Type = "statusDistribution" }, new ReportFilters { To = new DateOnly(2025, 12, 1) });
        Assert.Equal(2m, early.Kpi!.Value); // C1 and C2 were created on day 0
        Assert.Equal(1, early.Value("won", "count"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Status_trend_shows_how_many_sit_in_each_group_at_the_end_of_each_period(string provider)
    {
        await using var data = await LifecycleAsync(provider);
        var monthly = await data.RunAsync("company", new ReportSpec { Type = "statusTrend", Chart = "line", Options = new JsonObject { ["bucket"] = "month" } });
        Assert.Equal(["2025-12", "2026-01"], monthly.Rows.Select(r => r.Key));
        // End of December: C2 prospect, C1 won (via intent), C4 retained, C3 at risk (via won), C5 lost.
        Assert.Equal([1m, 0m, 1m, 1m, 1m, 1m], monthly.Rows[0].Cells.Select(c => c.Number!.Value));
        Assert.Equal(monthly.Rows[0].Cells, monthly.Rows[1].Cells);

        var weekly = await data.RunAsync("company", new ReportSpec { Type = "statusTrend", Chart = "line" }, new ReportFilters { From = new DateOnly(2025, 12, 1), To = new DateOnly(2026, 1, 14) });
        Assert.Equal("2025-12-01", weekly.Rows[0].Key);
        Assert.Equal("2026-01-12", weekly.Rows[^1].Key);
        Assert.Equal([2m, 0m, 1m, 1m, 0m, 0m], weekly.Row("2025-12-01")!.Cells.Select(c => c.Number!.Value));
        Assert.Equal([1m, 1m, 1m, 1m, 0m, 1m], weekly.Row("2025-12-08")!.Cells.Select(c => c.Number!.Value));
        Assert.Equal([1m, 0m, 2m, 1m, 0m, 1m], weekly.Row("2025-12-15")!.Cells.Select(c => c.Number!.Value));
        Assert.Equal([1m, 0m, 1m, 1m, 1m, 1m], weekly.Row("2025-12-29")!.Cells.Select(c => c.Number!.Value));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Churn_warning_lists_at_risk_customers_first_then_the_longest_silent(string provider)
    {
        await using var data = await LifecycleAsync(provider);
        var options = new JsonObject { ["inactiveDays"] = 30, ["atRiskGroups"] = new JsonArray("at_risk") };
        var list = await data.RunAsync("company", new ReportSpec { Type = "churnWarning", Chart = "table", Options = options });
        // C3 at risk (called 5 days ago); C2 never contacted (45 days); C5 churned, never contacted (35 days).
        Assert.Equal([data.Ids["C3"], data.Ids["C2"], data.Ids["C5"]], list.Rows.Select(r => r.RecordId!.Value));
        Assert.Equal(5, list.Value(data.Ids["C3"].ToString(), "silentDays"));
        Assert.Equal(45, list.Value(data.Ids["C2"].ToString(), "silentDays"));
        Assert.Equal(3m, list.Kpi!.Value);
        Assert.Equal(1m, list.Kpi.Details[0].Value);

        var withoutLost = await data.RunAsync("company", new ReportSpec
        {
            Type = "churnWarning", Options = new JsonObject { ["inactiveDays"] = 40, ["atRiskGroups"] = new JsonArray("at_risk"), ["excludeGroups"] = new JsonArray("lost") },
        });
        Assert.Equal([data.Ids["C3"], data.Ids["C2"]], withoutLost.Rows.Select(r => r.RecordId!.Value));
    }

    private static async Task<ReportData> SalesWithActivitiesAsync(string provider)
    {
        var data = await ReportData.CreateAsync(provider, "b2b_sales_funnel");
        await data.SalesAsync();
        await data.SalesActivitiesAsync();
        return data;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Activities_are_counted_per_owner_and_per_channel(string provider)
    {
        await using var data = await SalesWithActivitiesAsync(provider);
        var byOwner = await data.RunAsync("opportunity", new ReportSpec { Type = "activitiesByOwner" });
        var a = data.Owner.UserId.ToString();
        var b = data.Other.UserId.ToString();
        Assert.Equal([a, b], byOwner.Rows.Select(r => r.Key));
        Assert.Equal(5, byOwner.Value(a, "total"));
        Assert.Equal(1, byOwner.Value(a, "note"));
        Assert.Equal(3, byOwner.Value(b, "total"));
        Assert.Equal(2, byOwner.Value(b, "call"));
        Assert.Equal(1, byOwner.Value(b, "message"));

        var byChannel = await data.RunAsync("opportunity", new ReportSpec { Type = "activitiesByChannel", Chart = "pie" });
        Assert.Equal(["call", "email", "meeting", "message"], byChannel.Rows.Select(r => r.Key));
        Assert.Equal([3m, 1m, 1m, 1m], byChannel.Rows.Select(r => r.Cells[0].Number!.Value));
        Assert.Equal(50m, byChannel.Value("call", "share"));

        var bOnly = await data.RunAsync("opportunity", new ReportSpec { Type = "activitiesByChannel" }, new ReportFilters { OwnerId = data.Other.UserId });
        Assert.Equal([2m, 0m, 0m, 1m], bOnly.Rows.Select(r => r.Cells[0].Number!.Value));

        // Days 3–5: A's e-mail and meeting, B's call and message.
        var days = await data.RunAsync("opportunity", new ReportSpec { Type = "activitiesByOwner" }, new ReportFilters { From = new DateOnly(2025, 12, 4), To = new DateOnly(2025, 12, 6) });
        Assert.Equal(2, days.Value(a, "total"));
        Assert.Equal(2, days.Value(b, "total"));

        // Field filters narrow the records the activities belong to: website deals are O1, O3, O5.
        var website = await data.RunAsync("opportunity", new ReportSpec { Type = "activitiesByOwner" }, new ReportFilters { Fields = [new("source", "eq", JsonValue.Create("website"))] });
        Assert.Equal(3, website.Value(a, "total"));
        Assert.Equal(2, website.Value(b, "total"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Interaction_frequency_ranks_records_by_interactions(string provider)
    {
        await using var data = await SalesWithActivitiesAsync(provider);
        var result = await data.RunAsync("opportunity", new ReportSpec { Type = "interactionFrequency", Chart = "table" });
        Assert.Equal([data.Ids["O3"], data.Ids["O1"], data.Ids["O2"], data.Ids["O4"]], result.Rows.Select(r => r.RecordId!.Value));
        var o1 = data.Ids["O1"].ToString();
        Assert.Equal(2, result.Value(o1, "count"));
        Assert.Equal(1.3m, result.Value(o1, "perMonth"));                        // 2 in the 45 days since created
        Assert.Equal(1.4m, result.Value(data.Ids["O3"].ToString(), "perMonth")); // 2 in 44 days
        Assert.Equal("2025-12-04", result.Row(o1)!.Cells[result.Column("last")].Text);
        Assert.Equal(4m, result.Kpi!.Value);
    }
}
