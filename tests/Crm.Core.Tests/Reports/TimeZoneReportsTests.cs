using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Reports;

/// <summary>
/// Reports count days, weeks and months in the workspace's time zone, and read date ranges as its local days: a deal
/// created at 02:00 in Shanghai on 1 December is a December deal there, though it is still 30 November in UTC.
/// </summary>
public class TimeZoneReportsTests
{
    private static ReportSpec Group(string field, string bucket)
        => new() { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec(field, bucket), Measure = new MeasureSpec("count") };

    private static Dictionary<string, decimal> Counts(ReportResult result)
        => result.Rows.Where(r => r.Cells[0].Number is > 0).ToDictionary(r => r.Key, r => r.Cells[0].Number!.Value);

    private static async Task SetZoneAsync(ReportData data, string zone)
    {
        await using var scope = data.Ws.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>()
            .UpdateSettingsAsync(data.Owner, new WorkspaceSettings(data.Ws.Tenant.Name, "zh-CN", zone));
        Assert.True(result.Errors.IsEmpty, result.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Creation_dates_and_date_time_fields_bucket_and_filter_by_the_workspace_zone(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider, "support_tickets");
        var customer = await data.CreateAsync("acme", "company", 0, new JsonObject { ["name"] = "Acme" });
        // Day 0 is 2025-12-01 00:00 UTC. Shanghai is UTC+8 all year.
        (string Name, double Day, string Resolved)[] tickets =
        [
            ("early", -0.25, "2025-11-30T20:00:00Z"), // 30 Nov 18:00 UTC = 1 Dec 02:00 Shanghai; resolved 1 Dec 04:00 there
            ("noon", 0.5, "2025-12-01T10:00:00Z"),    //  1 Dec 12:00 UTC = 1 Dec 20:00 Shanghai
            ("late", 0.75, "2025-12-01T17:00:00Z"),   //  1 Dec 18:00 UTC = 2 Dec 02:00 Shanghai; resolved 2 Dec 01:00 there
        ];
        foreach (var (name, day, resolved) in tickets)
            await data.CreateAsync(name, "ticket", day, new JsonObject
            {
                ["subject"] = name, ["customer"] = customer.ToString(), ["priority"] = "low", ["problem_type"] = "billing",
                ["ticket_status"] = "new", ["description"] = "…", ["resolved_at"] = resolved,
            });

        // UTC (the default of this test workspace): the early ticket is a November one.
        Assert.Equal(new Dictionary<string, decimal> { ["2025-11-30"] = 1, ["2025-12-01"] = 2 }, Counts(await data.RunAsync("ticket", Group("$createdAt", "day"))));
        Assert.Equal(new Dictionary<string, decimal> { ["2025-11"] = 1, ["2025-12"] = 2 }, Counts(await data.RunAsync("ticket", Group("$createdAt", "month"))));

        // The admin sets Asia/Shanghai: the next run already counts Shanghai days (the tenant cache is refreshed).
        await SetZoneAsync(data, "Asia/Shanghai");
        Assert.Equal(new Dictionary<string, decimal> { ["2025-12-01"] = 2, ["2025-12-02"] = 1 }, Counts(await data.RunAsync("ticket", Group("$createdAt", "day"))));
        Assert.Equal(new Dictionary<string, decimal> { ["2025-12"] = 3 }, Counts(await data.RunAsync("ticket", Group("$createdAt", "month"))));
        Assert.Equal(new Dictionary<string, decimal> { ["2025-12-01"] = 2, ["2025-12-02"] = 1 }, Counts(await data.RunAsync("ticket", Group("resolved_at", "day"))));

        // "1 December" means Shanghai's 1 December: the early and the noon ticket, not the late one.
        var firstOfDecember = new ReportFilters { From = new DateOnly(2025, 12, 1), To = new DateOnly(2025, 12, 1) };
        Assert.Equal(new Dictionary<string, decimal> { ["2025-12-01"] = 2 }, Counts(await data.RunAsync("ticket", Group("$createdAt", "day"), firstOfDecember)));
        Assert.Equal(new Dictionary<string, decimal> { ["2025-12-01"] = 2 }, Counts(await data.RunAsync("ticket", Group("resolved_at", "day"), firstOfDecember)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sql_buckets_in_a_zone_match_the_zone_in_memory(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider, "support_tickets");
        var customer = await data.CreateAsync("acme", "company", 0, new JsonObject { ["name"] = "Acme" });
        // Around midnight in Shanghai, on a Sunday/Monday edge and at the turn of the year.
        DateTime[] instants = [new(2025, 11, 30, 15, 59, 0, DateTimeKind.Utc), new(2025, 11, 30, 16, 1, 0, DateTimeKind.Utc), new(2025, 12, 31, 16, 30, 0, DateTimeKind.Utc)];
        foreach (var at in instants)
        {
            var result = await data.Ws.Records.CreateAsync(data.Owner, "ticket", new RecordInput(new JsonObject
            {
                ["subject"] = "t", ["customer"] = customer.ToString(), ["priority"] = "low", ["problem_type"] = "billing", ["ticket_status"] = "new", ["description"] = "…",
                ["first_response_at"] = at.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            }) { AsOf = at });
            Assert.True(result.Succeeded, result.Errors.ToString());
        }
        var zones = provider == Providers.Postgres ? ["Asia/Shanghai", "America/New_York", "Asia/Kolkata"] : new[] { "Asia/Shanghai", "Asia/Kolkata" };
        await using var db = data.Ws.Database.Factory.CreateForTenant(data.Ws.Tenant.Id);
        foreach (var id in zones)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            var arg = DateSql.ZoneArgument(zone, provider == Providers.Postgres, instants[0]);
            var rows = await db.Records.AsNoTracking().Where(r => r.Id != customer)
                .Select(r => new
                {
                    r.CreatedAt,
                    Day = DateSql.Day(r.CreatedAt, EF.Constant(arg)), Week = DateSql.Week(r.CreatedAt, EF.Constant(arg)), Month = DateSql.Month(r.CreatedAt, EF.Constant(arg)),
                    TextDay = DateSql.Day(JsonSql.Text(r.Values, EF.Constant("first_response_at")), EF.Constant(arg)),
                }).ToListAsync();
            Assert.Equal(instants.Length, rows.Count);
            foreach (var row in rows)
            {
                var local = WorkspaceTimeZone.ToLocal(row.CreatedAt, zone);
                Assert.Equal((id, DateSql.Bucket(local, "day")), (id, row.Day));
                Assert.Equal((id, DateSql.Bucket(local, "week")), (id, row.Week));
                Assert.Equal((id, DateSql.Bucket(local, "month")), (id, row.Month));
                Assert.Equal((id, DateSql.Bucket(local, "day")), (id, row.TextDay));
            }
        }
    }

    [Fact]
    public void Local_days_start_at_the_zones_midnight()
    {
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        Assert.Equal(new DateTime(2025, 11, 30, 16, 0, 0, DateTimeKind.Utc), WorkspaceTimeZone.StartOfDayUtc(new DateOnly(2025, 12, 1), shanghai));
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        Assert.Equal(new DateTime(2026, 7, 1, 4, 0, 0, DateTimeKind.Utc), WorkspaceTimeZone.StartOfDayUtc(new DateOnly(2026, 7, 1), newYork));  // EDT
        Assert.Equal(new DateTime(2026, 12, 1, 5, 0, 0, DateTimeKind.Utc), WorkspaceTimeZone.StartOfDayUtc(new DateOnly(2026, 12, 1), newYork)); // EST
        Assert.Equal("(UTC+08:00) Asia/Shanghai", WorkspaceTimeZone.Label(shanghai, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        Assert.Equal("(UTC-05:00) America/New_York", WorkspaceTimeZone.Label(newYork, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        Assert.Equal("+480 minutes", DateSql.ZoneArgument(shanghai, postgres: false, DateTime.UtcNow));
        Assert.Equal("Asia/Shanghai", DateSql.ZoneArgument(shanghai, postgres: true, DateTime.UtcNow));
        Assert.Equal(TimeZoneInfo.Utc, WorkspaceTimeZone.Resolve("Mars/Olympus_Mons"));
        Assert.Equal("Asia/Shanghai", WorkspaceTimeZone.DefaultFor("zh-CN"));
        Assert.Equal("UTC", WorkspaceTimeZone.DefaultFor("en"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Settings_refuse_an_unknown_zone_or_language_and_change_nothing(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider);
        await using var scope = data.Ws.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<WorkspaceService>();
        var refused = await service.UpdateSettingsAsync(data.Owner, new WorkspaceSettings("", "fr", "Mars/Olympus_Mons"));
        Assert.Equal(["DefaultCulture", "Name", "TimeZone"], refused.Errors.ByField.Keys.Order());
        Assert.Contains("Mars/Olympus_Mons", refused.Errors.ByField["TimeZone"][0]);
        await using (var db = data.Ws.Database.Factory.CreateGlobal())
        {
            var stored = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == data.Ws.Tenant.Id);
            Assert.Equal((data.Ws.Tenant.Name, "UTC"), (stored.Name, stored.TimeZone));
        }
        var member = await data.Ws.MemberAsync(MemberRole.Member);
        await Assert.ThrowsAsync<Security.ForbiddenException>(() => service.UpdateSettingsAsync(member, new WorkspaceSettings("Mine", "en", "UTC")));
    }
}
