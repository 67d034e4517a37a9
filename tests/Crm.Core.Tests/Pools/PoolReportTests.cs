using Crm.Core.Metadata;
using Crm.Core.Pools;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Testing;

namespace Crm.Core.Tests.Pools;

/// <summary>
/// The built-in report "poolActivity": pool size now and entered/claimed/assigned/returned per pool in a period,
/// counted in SQL; a person sees only the pools they belong to, admins all. Figures worked out by hand.
/// </summary>
public class PoolReportTests
{
    private static Task<ReportResult> RunAsync(PoolTestBed bed, Actor actor, ReportFilters? filters = null)
        => bed.Ws.Get<ReportEngine>().RunAsync(actor, "lead", new ReportSpec { Type = "poolActivity", Chart = "table" }, filters);

    /// <summary>size, entered, claimed, assigned, returned of one row.</summary>
    private static (decimal?, decimal?, decimal?, decimal?, decimal?) Cells(ReportRow row)
        => (row.Cells[0].Number, row.Cells[1].Number, row.Cells[2].Number, row.Cells[3].Number, row.Cells[4].Number);

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Counts_per_pool_and_period_and_only_the_pools_a_person_belongs_to(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, limit: 10, cooldown: 0);
        var (vip, errors) = await bed.Ws.Get<PoolDefinitions>().SaveAsync(bed.Ws.Owner,
            new PoolDefinition("vip", new LocalizedText("大客户池", "VIP pool"), "lead", EveryoneIsMember: false, Members: [bed.Alice.UserId]));
        Assert.True(errors.IsEmpty, errors.ToString());

        // Day 0 (2026-01-15): four leads put into 线索公海, Alice claims two of them.
        var a = await bed.PooledLeadAsync("A");
        var b = await bed.PooledLeadAsync("B");
        var c = await bed.PooledLeadAsync("C");
        await bed.PooledLeadAsync("D");
        Assert.Empty((await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, [a.Id, b.Id])).Refused);

        // Day 3 (2026-01-18): the admin assigns C to Bob and puts A back; a lead goes into the VIP pool.
        bed.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Empty((await bed.Pools.AssignAsync(bed.Ws.Owner, bed.Pool.Id, [c.Id], bed.Bob.UserId)).Refused);
        Assert.True(await bed.Pools.MoveToPoolAsync(bed.Ws.Owner, a.Id, "public_leads", "test"));
        var e = await bed.LeadAsync("E");
        Assert.True(await bed.Pools.MoveToPoolAsync(bed.Ws.Owner, e.Id, "vip", "test"));

        // Everything: 线索公海 holds A and D (2), 5 put in (A twice), 2 claimed, 1 assigned; VIP holds E.
        var all = await RunAsync(bed, bed.Ws.Owner);
        Assert.Null(all.Problem);
        Assert.Equal(["size", "entered", "claimed", "assigned", "returned"], all.Columns.Select(x => x.Key));
        Assert.Equal(["public_leads", "vip"], all.Rows.Select(r => r.Key));
        Assert.Equal((2m, 5m, 2m, 1m, 0m), Cells(all.Rows[0]));
        Assert.Equal((1m, 1m, 0m, 0m, 0m), Cells(all.Rows[1]));
        Assert.Equal(3m, all.Kpi!.Value);

        // Days 0–2: the size is today's, the counts are the period's.
        var first = await RunAsync(bed, bed.Ws.Owner, new ReportFilters { From = new DateOnly(2026, 1, 15), To = new DateOnly(2026, 1, 17) });
        Assert.Equal((2m, 4m, 2m, 0m, 0m), Cells(first.Rows[0]));
        Assert.Equal((1m, 0m, 0m, 0m, 0m), Cells(first.Rows[1]));
        var third = await RunAsync(bed, bed.Ws.Owner, new ReportFilters { From = new DateOnly(2026, 1, 18), To = new DateOnly(2026, 1, 18) });
        Assert.Equal((2m, 1m, 0m, 1m, 0m), Cells(third.Rows[0]));

        // Bob is no member of the VIP pool: he sees 线索公海 only; Alice, a VIP member, sees both.
        var bobs = await RunAsync(bed, bed.Bob);
        Assert.Equal(["public_leads"], bobs.Rows.Select(r => r.Key));
        Assert.Equal(2m, bobs.Kpi!.Value);
        Assert.Equal(["public_leads", "vip"], (await RunAsync(bed, bed.Alice)).Rows.Select(r => r.Key));
        Assert.NotNull(vip);
    }
}
