using System.Globalization;
using Crm.Core.Pools;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Timeline;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Pools;

/// <summary>Claiming (领取) with the daily limit and the cooldown, assigning by admins, moving in; on both databases.</summary>
public class PoolServiceTests
{
    public PoolServiceTests() => CultureInfo.CurrentUICulture = new CultureInfo("en");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Moving_into_the_pool_clears_the_owner_through_the_write_path_with_the_reason_on_the_timeline(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider);
        var lead = await bed.LeadAsync("王先生", bed.Alice);
        Assert.Equal(bed.Alice.UserId, lead.OwnerId);

        Assert.True(await bed.Pools.MoveToPoolAsync(bed.Ws.Owner, lead.Id, bed.Pool.Key, "not interested now"));
        Assert.False(await bed.Pools.MoveToPoolAsync(bed.Ws.Owner, lead.Id, "no_such_pool", "x"));

        var pooled = await bed.ReloadAsync(lead.Id);
        Assert.Null(pooled.OwnerId);
        Assert.Equal(bed.Pool.Id, pooled.PoolId);
        Assert.Equal(lead.Version + 1, pooled.Version);
        var timeline = await bed.Ws.Get<RecordTimeline>().GetAsync(bed.Ws.Owner, lead.Id, culture: new CultureInfo("en"));
        var entry = timeline.Entries.First(e => e.Kind == TimelineEntryKind.Changed);
        Assert.Equal("Returned to Lead pool: not interested now", entry.Reason);
        Assert.Contains(entry.Changes, c => c.FieldKey == "owner" && c.New == "");
        var page = await bed.Pools.RecordsAsync(bed.Alice, bed.Pool.Id);
        Assert.Equal(1, page.Total);
        Assert.Equal(bed.Alice.UserId, page.Rows[0].PreviousOwnerId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_claims_up_to_the_daily_limit_and_again_the_next_day(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, limit: 3);
        var leads = new List<Record>();
        for (var i = 0; i < 5; i++) leads.Add(await bed.PooledLeadAsync($"Lead {i}"));

        var first = await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, leads.Take(4).Select(l => l.Id).ToList());
        Assert.Equal(3, first.Done.Count);
        var refused = Assert.Single(first.Refused);
        Assert.Equal(leads[3].Id, refused.RecordId);
        Assert.Equal("Daily claim limit reached: you can claim 3 records a day from this pool.", refused.Message);
        Assert.Equal(bed.Alice.UserId, (await bed.ReloadAsync(leads[0].Id)).OwnerId);
        Assert.Null((await bed.ReloadAsync(leads[3].Id)).OwnerId);

        // Bob's limit is his own.
        var bobs = await bed.Pools.ClaimAsync(bed.Bob, bed.Pool.Id, [leads[3].Id]);
        Assert.True(bobs.Succeeded);
        var summary = await bed.Pools.GetAsync(bed.Alice, bed.Pool.Id);
        Assert.Equal(1, summary!.Size);
        Assert.Equal(0, summary.LeftToday);

        bed.Clock.Advance(TimeSpan.FromDays(1));
        Assert.True((await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, [leads[4].Id])).Succeeded);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_previous_owner_cannot_reclaim_during_the_cooldown_but_others_can(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, limit: null, cooldown: 7);
        var lead = await bed.LeadAsync("Cooling", bed.Alice);
        Assert.True(await bed.Pools.MoveToPoolAsync(bed.Ws.Owner, lead.Id, bed.Pool.Key, "released"));

        bed.Clock.Advance(TimeSpan.FromDays(6));
        var again = await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, [lead.Id]);
        var refusal = Assert.Single(again.Refused);
        Assert.StartsWith("You gave this record up less than 7 days ago; you can claim it again from ", refusal.Message);
        Assert.Null((await bed.ReloadAsync(lead.Id)).OwnerId);

        bed.Clock.Advance(TimeSpan.FromDays(1).Add(TimeSpan.FromMinutes(1)));
        Assert.True((await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, [lead.Id])).Succeeded);
        Assert.Equal(bed.Alice.UserId, (await bed.ReloadAsync(lead.Id)).OwnerId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Claiming_in_chinese_gives_a_chinese_refusal_and_a_taken_record_is_refused(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, limit: 1);
        var a = await bed.PooledLeadAsync("甲");
        var b = await bed.PooledLeadAsync("乙");
        Assert.True((await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, [a.Id])).Succeeded);

        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        var limited = await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, [b.Id]);
        Assert.Equal("已达到每日领取上限：每天最多可从该池领取 1 条。", Assert.Single(limited.Refused).Message);
        var taken = await bed.Pools.ClaimAsync(bed.Bob, bed.Pool.Id, [a.Id]);
        Assert.Equal("“甲”已不在池中（已被他人领取或已移走）。", Assert.Single(taken.Refused).Message);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Admins_assign_within_the_assignees_limit_and_members_cannot_assign(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, limit: 2);
        var leads = new List<Record>();
        for (var i = 0; i < 3; i++) leads.Add(await bed.PooledLeadAsync($"Assign {i}"));

        var byMember = await bed.Pools.AssignAsync(bed.Alice, bed.Pool.Id, [leads[0].Id], bed.Bob.UserId);
        Assert.Equal("Only admins of the pool \"Lead pool\" can assign its records.", byMember.Error);

        var result = await bed.Pools.AssignAsync(bed.Ws.Owner, bed.Pool.Id, leads.Select(l => l.Id).ToList(), bed.Bob.UserId);
        Assert.Equal(2, result.Done.Count);
        Assert.Equal("This person has reached the daily limit of 2 records from this pool.", Assert.Single(result.Refused).Message);
        Assert.Equal(bed.Bob.UserId, (await bed.ReloadAsync(leads[0].Id)).OwnerId);

        var notes = await bed.Ws.Get<Crm.Core.Notifications.NotificationService>().ListAsync(bed.Bob);
        Assert.Equal(2, notes.Count(n => n.Kind == "pool.assigned"));

        var stranger = await bed.Ws.Database.CreateUserAsync();
        var outsider = await bed.Pools.AssignAsync(bed.Ws.Owner, bed.Pool.Id, [leads[2].Id], stranger.Id);
        Assert.Equal("The person to assign to is not a member of this workspace.", outsider.Error);

        // A designated pool admin (not a workspace admin) may assign too.
        var (_, errors) = await bed.Ws.Get<PoolDefinitions>().SaveAsync(bed.Ws.Owner, new PoolDefinition(bed.Pool.Key, bed.Pool.Label, "lead", 2, 7, Admins: [bed.Alice.UserId]));
        Assert.True(errors.IsEmpty);
        Assert.True((await bed.Pools.AssignAsync(bed.Alice, bed.Pool.Id, [leads[2].Id], bed.Alice.UserId)).Succeeded);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pool_definitions_are_checked_and_the_report_counts_in_sql(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider);
        var (pool, errors) = await bed.Ws.Get<PoolDefinitions>().SaveAsync(bed.Ws.Owner, new PoolDefinition("Bad Key", new("", ""), "lead", 0, -1,
            ReturnRules: [new PoolReturnRule(PoolReturnKind.NoFollowUp, 30, 30), new PoolReturnRule(PoolReturnKind.NoNewRelated, 10, null, "company")]));
        Assert.Null(pool);
        Assert.NotEmpty(errors.For("key"));
        Assert.NotEmpty(errors.For("label"));
        Assert.Equal("dailyClaimLimit must be between 1 and 10000.", errors.For("dailyClaimLimit").Single());
        Assert.NotEmpty(errors.For("reclaimCooldownDays"));
        Assert.Equal("returnRules[0].reminderDaysBefore must be at least 1 and less than the 30 days of the rule.", errors.For("returnRules[0].reminderDaysBefore").Single());
        Assert.NotEmpty(errors.For("returnRules[1].relatedEntity"));
        await Assert.ThrowsAsync<ForbiddenException>(() => bed.Ws.Get<PoolDefinitions>().SaveAsync(bed.Alice, new PoolDefinition("x", new("x", "x"), "lead")));

        var a = await bed.PooledLeadAsync("R1");
        await bed.PooledLeadAsync("R2");
        await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, [a.Id]);
        var now = bed.Clock.GetUtcNow().UtcDateTime;
        var row = Assert.Single(await bed.Pools.ReportAsync(bed.Ws.Owner, now.AddDays(-1), now.AddDays(1)));
        Assert.Equal((1, 1, 2, 0), (row.Size, row.Claimed, row.Entered, row.Returned));
    }
}
