using System.Text.Json.Nodes;
using Crm.Core.Lists;
using Crm.Core.Records;
using Crm.Core.Views;
using Crm.Testing;

namespace Crm.Core.Tests.Lists;

/// <summary>"$today" in a list filter is the workspace's date, not the server's or UTC's (issue 10, item 11).</summary>
public class TodayInWorkspaceZoneTests
{
    // 20:00 UTC on 15 January is already 04:00 on 16 January in Shanghai.
    private static readonly DateTimeOffset LateEveningUtc = new(2026, 1, 15, 20, 0, 0, TimeSpan.Zero);

    private static async Task<List<string>> DueTodayAsync(Workspace ws)
    {
        var page = await ws.Get<RecordListService>().QueryAsync(ws.Owner, "opportunity",
            new RecordQuery { Filters = [new FilterSpec("expected_close", "eq", JsonValue.Create("$today"))], Take = 50 });
        return page.Items.Select(i => i.Title).Order().ToList();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Today_in_a_list_filter_is_the_date_in_the_workspace_zone(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider, new ManualClock(LateEveningUtc));
        await ws.InstallAsync("b2b_sales_funnel");
        var company = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "Zone Ltd" }));
        Assert.True(company.Succeeded, company.Errors.ToString());
        foreach (var (name, day) in new[] { ("UTC day", "2026-01-15"), ("Shanghai day", "2026-01-16") })
        {
            var created = await ws.Records.CreateAsync(ws.Owner, "opportunity", new RecordInput(new JsonObject { ["name"] = name, ["expected_close"] = day, ["amount"] = 1000, ["company"] = company.Record!.Id.ToString() }));
            Assert.True(created.Succeeded, created.Errors.ToString());
        }

        ws.Tenant.TimeZone = "Asia/Shanghai";
        Assert.Equal(["Shanghai day"], await DueTodayAsync(ws));

        ws.Tenant.TimeZone = "UTC";
        Assert.Equal(["UTC day"], await DueTodayAsync(ws));
    }

    [Fact]
    public void An_offset_beyond_the_calendar_stops_at_its_last_day_instead_of_throwing()
    {
        var shanghai = Crm.Core.Tenancy.WorkspaceTimeZone.Resolve("Asia/Shanghai");
        Assert.Equal(new DateOnly(2026, 1, 16), RecordFilters.Today("", LateEveningUtc.UtcDateTime, shanghai));
        Assert.Equal(new DateOnly(2026, 2, 15), RecordFilters.Today("+30", LateEveningUtc.UtcDateTime, shanghai));
        Assert.Equal(DateOnly.MaxValue, RecordFilters.Today("+99999999", LateEveningUtc.UtcDateTime, shanghai));
        Assert.Equal(DateOnly.MinValue, RecordFilters.Today("-1e300", LateEveningUtc.UtcDateTime, shanghai));
        Assert.Equal(new DateOnly(2026, 1, 16), RecordFilters.Today("+NaN", LateEveningUtc.UtcDateTime, shanghai));
    }
}
