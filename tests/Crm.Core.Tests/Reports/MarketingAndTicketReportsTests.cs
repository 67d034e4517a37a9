using System.Text.Json.Nodes;
using Crm.Core.Reports;
using Crm.Testing;

namespace Crm.Core.Tests.Reports;

/// <summary>Campaign ROI, lead source conversion, tickets by status and ticket resolution, worked out by hand.</summary>
public class MarketingAndTicketReportsTests
{
    private static readonly JsonObject RoiOptions = new()
    {
        ["costField"] = "cost", ["revenueField"] = "revenue", ["leadEntity"] = "lead", ["leadCampaignField"] = "campaign", ["convertedGroup"] = "converted",
    };

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Campaign_roi_is_revenue_minus_cost_over_cost_with_linked_leads(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider, "marketing_campaigns");
        await data.CampaignsAsync();
        var roi = await data.RunAsync("campaign", new ReportSpec { Type = "campaignRoi", Chart = "bar", Options = RoiOptions });

        string k1 = data.Ids["K1"].ToString(), k2 = data.Ids["K2"].ToString(), k3 = data.Ids["K3"].ToString();
        Assert.Equal([k1, k2, k3], roi.Rows.Select(r => r.Key)); // by revenue
        Assert.Equal(400m, roi.Value(k1, "roi"));
        Assert.Equal(3, roi.Value(k1, "leads"));
        Assert.Equal(2, roi.Value(k1, "converted"));
        Assert.Equal(66.7m, roi.Value(k1, "conversion"));
        Assert.Equal(-50m, roi.Value(k2, "roi"));
        Assert.Equal(0m, roi.Value(k2, "conversion"));
        Assert.Null(roi.Value(k3, "roi"));                      // no cost, no ROI
        Assert.Equal(116.7m, roi.Kpi!.Value);                   // (65k − 30k) / 30k
        Assert.Equal(30000m, roi.Kpi.Details[0].Value);
        Assert.Equal(65000m, roi.Kpi.Details[1].Value);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Lead_source_conversion_counts_leads_reaching_the_converted_group(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider, "marketing_campaigns");
        await data.CampaignsAsync();
        var result = await data.RunAsync("lead", new ReportSpec { Type = "leadSourceConversion", Options = new JsonObject { ["sourceField"] = "source", ["convertedGroup"] = "converted" } });
        Assert.Equal(3, result.Value("website", "leads"));
        Assert.Equal(1, result.Value("website", "converted"));
        Assert.Equal(33.3m, result.Value("website", "conversion"));
        Assert.Equal(100m, result.Value("referral", "conversion"));
        Assert.Equal(0, result.Value("exhibition", "leads"));
        Assert.Equal(50m, result.Kpi!.Value);
    }

    private static async Task<ReportData> TicketsAsync(string provider)
    {
        var data = await ReportData.CreateAsync(provider, "support_tickets");
        await data.TicketsAsync();
        return data;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Ticket_resolution_times_and_rate_per_problem_type(string provider)
    {
        await using var data = await TicketsAsync(provider);
        var result = await data.RunAsync("ticket", new ReportSpec
        {
            Type = "ticketResolution", Chart = "table",
            Options = new JsonObject { ["problemTypeField"] = "problem_type", ["firstResponseField"] = "first_response_at", ["resolvedField"] = "resolved_at", ["resolvedGroup"] = "resolved" },
        });
        Assert.Equal(2, result.Value("billing", "tickets"));
        Assert.Equal(3m, result.Value("billing", "firstResponse"));   // 2 h and 4 h
        Assert.Equal(24m, result.Value("billing", "resolution"));     // only T1
        Assert.Equal(50m, result.Value("billing", "resolutionRate"));
        Assert.Equal(3, result.Value("data_issue", "tickets"));
        Assert.Equal(2m, result.Value("data_issue", "firstResponse")); // 1 h and 3 h
        Assert.Equal(48m, result.Value("data_issue", "resolution"));
        Assert.Equal(1, result.Value("data_issue", "resolved"));       // T3 closed after resolution; T5 cancelled
        Assert.Equal(33.3m, result.Value("data_issue", "resolutionRate"));
        Assert.Equal(0, result.Value("product_defect", "tickets"));
        Assert.Equal(40m, result.Kpi!.Value);
        Assert.Equal(2.5m, result.Kpi.Details[0].Value);
        Assert.Equal(36m, result.Kpi.Details[1].Value);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Tickets_by_status_is_the_live_queue(string provider)
    {
        await using var data = await TicketsAsync(provider);
        var result = await data.RunAsync("ticket", new ReportSpec { Type = "ticketsByStatus", Chart = "donut" });
        Assert.Equal(["new", "assigned", "processing", "waiting_customer", "escalated", "solved", "workaround", "closed", "cancelled"], result.Rows.Select(r => r.Key));
        Assert.Equal([1m, 0m, 1m, 0m, 0m, 1m, 0m, 1m, 1m], result.Rows.Select(r => r.Cells[0].Number!.Value));
        Assert.Equal(5m, result.Kpi!.Value);

        var late = await data.RunAsync("ticket", new ReportSpec { Type = "ticketsByStatus" }, new ReportFilters { From = new DateOnly(2025, 12, 3) });
        Assert.Equal(3m, late.Kpi!.Value); // T3, T4, T5
    }
}
