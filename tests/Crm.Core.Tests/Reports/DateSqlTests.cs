using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Records;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Reports;

/// <summary>Day, week and month buckets and durations computed in SQL agree with the same rules in memory, on both databases.</summary>
public class DateSqlTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Buckets_of_timestamps_dates_and_iso_text_match_the_rules_in_memory(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider, "support_tickets");
        var customer = await data.CreateAsync("acme", "company", 0, new JsonObject { ["name"] = "Acme" });
        // A Sunday late evening, a Monday just after midnight, a New Year's Eve and a leap day.
        DateTime[] instants = [new(2025, 11, 30, 23, 59, 30, DateTimeKind.Utc), new(2025, 12, 1, 0, 0, 1, DateTimeKind.Utc), new(2025, 12, 31, 18, 0, 0, DateTimeKind.Utc), new(2028, 2, 29, 12, 0, 0, DateTimeKind.Utc)];
        foreach (var at in instants)
        {
            var result = await data.Ws.Records.CreateAsync(data.Owner, "ticket", new RecordInput(new JsonObject
            {
                ["subject"] = "t", ["customer"] = customer.ToString(), ["priority"] = "low", ["problem_type"] = "billing", ["ticket_status"] = "new", ["description"] = "…",
                ["first_response_at"] = at.AddHours(5).ToString("yyyy-MM-ddTHH:mm:ssZ"),
            }) { AsOf = at });
            Assert.True(result.Succeeded, result.Errors.ToString());
        }
        await using var db = data.Ws.Database.Factory.CreateForTenant(data.Ws.Tenant.Id);
        var rows = await db.Records.AsNoTracking().Where(r => r.Id != customer)
            .Select(r => new
            {
                r.CreatedAt,
                Day = DateSql.Day(r.CreatedAt), Week = DateSql.Week(r.CreatedAt), Month = DateSql.Month(r.CreatedAt),
                TextDay = DateSql.Day(JsonSql.Text(r.Values, EF.Constant("first_response_at"))),
                TextWeek = DateSql.Week(JsonSql.Text(r.Values, EF.Constant("first_response_at"))),
                TextMonth = DateSql.Month(JsonSql.Text(r.Values, EF.Constant("first_response_at"))),
                Seconds = DateSql.Seconds(JsonSql.Text(r.Values, EF.Constant("first_response_at"))) - DateSql.Seconds(r.CreatedAt),
            })
            .ToListAsync();
        Assert.Equal(instants.Length, rows.Count);
        foreach (var row in rows)
        {
            var at = DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc);
            Assert.Equal(DateSql.Bucket(at, "day"), row.Day);
            Assert.Equal(DateSql.Bucket(at, "week"), row.Week);
            Assert.Equal(DateSql.Bucket(at, "month"), row.Month);
            var later = at.AddHours(5);
            Assert.Equal(DateSql.Bucket(later, "day"), row.TextDay);
            Assert.Equal(DateSql.Bucket(later, "week"), row.TextWeek);
            Assert.Equal(DateSql.Bucket(later, "month"), row.TextMonth);
            Assert.Equal(5 * 3600, row.Seconds!.Value, 0.5);
        }
        Assert.Contains(rows, r => r.Week == "2025-11-24" && r.Day == "2025-11-30");  // Sunday belongs to the week of Monday 24th
        Assert.Contains(rows, r => r.Week == "2028-02-28" && r.Day == "2028-02-29");

        var dates = await db.Records.AsNoTracking().Where(r => r.Id != customer).Select(r => DateSql.Week(DateOnly.FromDateTime(new DateTime(2026, 1, 1)))).FirstAsync();
        Assert.Equal("2025-12-29", dates);
    }

    [Fact]
    public void Next_bucket_steps_over_month_and_year_ends()
    {
        Assert.Equal("2026-01", DateSql.Next("2025-12", "month"));
        Assert.Equal("2026-01-05", DateSql.Next("2025-12-29", "week"));
        Assert.Equal("2028-03-01", DateSql.Next("2028-02-29", "day"));
        Assert.Equal("2025-12-29", DateSql.Bucket(new DateTime(2026, 1, 4, 23, 0, 0, DateTimeKind.Utc), "week"));
    }
}
