using Crm.Core.Metadata;
using System.Globalization;
using Crm.Core.Activities;
using Crm.Core.Notifications;
using Crm.Core.Pools;
using Crm.Core.Records;
using Crm.Core.Timeline;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Pools;

/// <summary>
/// The time-based sweep with a hand-moved clock: automatic return to the pool with its reminder, task reminders,
/// deals stuck in a stage, and exactly once with two workers racing; on both databases.
/// </summary>
public class ReminderSweepTests
{
    public ReminderSweepTests() => CultureInfo.CurrentUICulture = new CultureInfo("en");

    private static Task<int> SweepAsync(PoolTestBed bed, IServiceProvider? services = null)
        => (services ?? bed.Ws.Services).GetRequiredService<ReminderSweep>().RunOnceAsync(bed.Clock.GetUtcNow().UtcDateTime, [bed.Ws.Tenant.Id]);

    private static async Task<List<Notification>> NotificationsAsync(PoolTestBed bed, Guid userId, string kind)
    {
        await using var db = bed.Ws.Database.Factory.CreateForTenant(bed.Ws.Tenant.Id);
        return await db.Notifications.AsNoTracking().Where(n => n.UserId == userId && n.Kind == kind).ToListAsync();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_lead_without_follow_up_is_reminded_then_returned_once_with_the_reason(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, rules: new PoolReturnRule(PoolReturnKind.NoFollowUp, 30, 3));
        var quiet = await bed.LeadAsync("Quiet lead", bed.Alice);
        var busy = await bed.LeadAsync("Busy lead", bed.Alice);

        bed.Clock.Advance(TimeSpan.FromDays(20));
        var call = await bed.Ws.Get<ActivityService>().LogAsync(bed.Alice, busy.Id, new ActivityInput(ActivityKind.Call, "Call"));
        Assert.True(call.Succeeded, call.Errors.ToString());
        Assert.Equal(0, await SweepAsync(bed));

        bed.Clock.Advance(TimeSpan.FromDays(7)); // day 27: three days before the quiet lead's return
        Assert.Equal(1, await SweepAsync(bed));
        Assert.Equal(0, await SweepAsync(bed)); // reminded once
        var reminder = Assert.Single(await NotificationsAsync(bed, bed.Alice.UserId, NotificationKinds.PoolReturnSoon));
        Assert.Equal(quiet.Id, reminder.RecordId);
        Assert.StartsWith("Quiet lead goes back to Lead pool on ", reminder.Title);
        Assert.Equal(bed.Alice.UserId, (await bed.ReloadAsync(quiet.Id)).OwnerId);

        bed.Clock.Advance(TimeSpan.FromDays(3));
        Assert.Equal(1, await SweepAsync(bed));
        var returned = await bed.ReloadAsync(quiet.Id);
        Assert.Null(returned.OwnerId);
        Assert.Equal(bed.Pool.Id, returned.PoolId);
        Assert.Equal(bed.Alice.UserId, (await bed.ReloadAsync(busy.Id)).OwnerId); // followed up on day 20
        Assert.Single(await NotificationsAsync(bed, bed.Alice.UserId, NotificationKinds.PoolReturned));
        var timeline = await bed.Ws.Get<RecordTimeline>().GetAsync(bed.Ws.Owner, quiet.Id, culture: new CultureInfo("en"));
        Assert.Contains(timeline.Entries, e => e.Reason == "Returned to Lead pool: no follow-up for 30 days");

        // Alice may not take it straight back (cooldown), and the next sweep does nothing more.
        Assert.Single((await bed.Pools.ClaimAsync(bed.Alice, bed.Pool.Id, [quiet.Id])).Refused);
        Assert.Equal(0, await SweepAsync(bed));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Converted_and_disqualified_leads_are_kept_by_their_owner_and_not_reminded(string provider)
    {
        // keepStatuses names a status group (converted) and an option (invalid), as the starter template's pool does.
        await using var bed = await PoolTestBed.CreateAsync(provider,
            rules: new PoolReturnRule(PoolReturnKind.NoFollowUp, 30, 3, KeepStatuses: ["converted", "invalid"]));
        var open = await bed.LeadAsync("Open lead", bed.Alice);
        var converted = await bed.LeadAsync("Converted lead", bed.Alice);
        var invalid = await bed.LeadAsync("Invalid lead", bed.Alice);
        var unreachable = await bed.LeadAsync("Unreachable lead", bed.Alice);
        foreach (var (lead, status) in new[] { (converted, "converted_customer"), (invalid, "invalid"), (unreachable, "unreachable") })
            Assert.True((await bed.Ws.Records.UpdateAsync(bed.Ws.Owner, lead.Id, RecordInput.Of(("lead_status", status)))).Succeeded);

        bed.Clock.Advance(TimeSpan.FromDays(27));
        Assert.Equal(2, await SweepAsync(bed)); // reminders: the open lead and the unreachable one (its group is not kept)
        Assert.Equal(new HashSet<Guid> { open.Id, unreachable.Id },
            (await NotificationsAsync(bed, bed.Alice.UserId, NotificationKinds.PoolReturnSoon)).Select(n => n.RecordId!.Value).ToHashSet());

        bed.Clock.Advance(TimeSpan.FromDays(4));
        Assert.Equal(2, await SweepAsync(bed));
        Assert.Null((await bed.ReloadAsync(open.Id)).OwnerId);
        Assert.Null((await bed.ReloadAsync(unreachable.Id)).OwnerId);
        Assert.Equal(bed.Alice.UserId, (await bed.ReloadAsync(converted.Id)).OwnerId);
        Assert.Equal(bed.Alice.UserId, (await bed.ReloadAsync(invalid.Id)).OwnerId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Kept_statuses_must_be_statuses_of_the_pools_record_type(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities");
        var (pool, errors) = await ws.Get<PoolDefinitions>().SaveAsync(ws.Owner, new PoolDefinition("p2", new LocalizedText("池", "Pool"), "lead",
            ReturnRules: [new PoolReturnRule(PoolReturnKind.NoFollowUp, 30, KeepStatuses: ["converted", "won_stage"])]));
        Assert.Null(pool);
        Assert.Contains("won_stage", Assert.Single(errors.For("returnRules[0].keepStatuses[1]")));
        Assert.Empty(errors.For("returnRules[0].keepStatuses[0]"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Claiming_restarts_the_clock_and_not_won_counts_from_the_claim(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, limit: null, cooldown: null, new PoolReturnRule(PoolReturnKind.NoFollowUp, 10));
        var lead = await bed.PooledLeadAsync("Claimed later");
        bed.Clock.Advance(TimeSpan.FromDays(9));
        Assert.True((await bed.Pools.ClaimAsync(bed.Bob, bed.Pool.Id, [lead.Id])).Succeeded);
        bed.Clock.Advance(TimeSpan.FromDays(5)); // 14 days after creation, 5 after the claim
        Assert.Equal(0, await SweepAsync(bed));
        Assert.Equal(bed.Bob.UserId, (await bed.ReloadAsync(lead.Id)).OwnerId);
        bed.Clock.Advance(TimeSpan.FromDays(5));
        Assert.Equal(1, await SweepAsync(bed));
        Assert.Null((await bed.ReloadAsync(lead.Id)).OwnerId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Two_workers_racing_return_and_remind_each_record_exactly_once(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, rules: new PoolReturnRule(PoolReturnKind.NoFollowUp, 30, 3));
        var leads = new List<Record>();
        for (var i = 0; i < 8; i++) leads.Add(await bed.LeadAsync($"Race {i}", i % 2 == 0 ? bed.Alice : bed.Bob));
        // A second app instance: its own services (caches, sweep) over the same database.
        await using var other = CoreServices.Create(bed.Ws.Database, bed.Clock);

        bed.Clock.Advance(TimeSpan.FromDays(28));
        var reminded = await Task.WhenAll(SweepAsync(bed), SweepAsync(bed, other), SweepAsync(bed));
        Assert.Equal(8, reminded.Sum());
        bed.Clock.Advance(TimeSpan.FromDays(3));
        var returned = await Task.WhenAll(SweepAsync(bed, other), SweepAsync(bed), SweepAsync(bed, other));
        Assert.Equal(8, returned.Sum());

        await using var db = bed.Ws.Database.Factory.CreateForTenant(bed.Ws.Tenant.Id);
        var ids = leads.Select(l => l.Id).ToList();
        Assert.Equal(8, await db.PoolEvents.CountAsync(e => e.Kind == PoolEventKind.Returned && ids.Contains(e.RecordId)));
        Assert.Equal(8, await db.Notifications.CountAsync(n => n.Kind == NotificationKinds.PoolReturnSoon && ids.Contains(n.RecordId!.Value)));
        Assert.Equal(8, await db.Notifications.CountAsync(n => n.Kind == NotificationKinds.PoolReturned && ids.Contains(n.RecordId!.Value)));
        Assert.Equal(8, await db.RecordChanges.CountAsync(c => ids.Contains(c.RecordId) && c.Reason != null));
        Assert.All(await db.Records.Where(r => ids.Contains(r.Id)).ToListAsync(), r => Assert.Equal(2, r.Version));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task No_new_opportunity_returns_a_lead_unless_one_was_added(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, limit: null, cooldown: null, new PoolReturnRule(PoolReturnKind.NoNewRelated, 14, null, "opportunity"));
        var withDeal = await bed.LeadAsync("With deal", bed.Alice);
        var without = await bed.LeadAsync("Without deal", bed.Alice);
        bed.Clock.Advance(TimeSpan.FromDays(10));
        await bed.DealAsync("Deal", bed.Alice, withDeal.Id);
        bed.Clock.Advance(TimeSpan.FromDays(5));
        Assert.Equal(1, await SweepAsync(bed));
        Assert.Null((await bed.ReloadAsync(without.Id)).OwnerId);
        Assert.Equal(bed.Alice.UserId, (await bed.ReloadAsync(withDeal.Id)).OwnerId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Tasks_are_reminded_when_due_soon_and_when_overdue_once_each(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, rules: []);
        var lead = await bed.LeadAsync("Task lead", bed.Alice);
        var now = bed.Clock.GetUtcNow().UtcDateTime;
        var task = await bed.Ws.Get<ActivityService>().LogAsync(bed.Alice, lead.Id,
            new ActivityInput(ActivityKind.Task, "Send quote") { DueAt = now.AddHours(30), AssigneeId = bed.Alice.UserId });
        Assert.True(task.Succeeded, task.Errors.ToString());

        Assert.Equal(0, await SweepAsync(bed));
        bed.Clock.Advance(TimeSpan.FromHours(10));
        Assert.Equal(1, await SweepAsync(bed));
        Assert.Equal(0, await SweepAsync(bed));
        bed.Clock.Advance(TimeSpan.FromHours(21));
        Assert.Equal(1, await SweepAsync(bed));
        Assert.Equal(0, await SweepAsync(bed));
        Assert.StartsWith("Task due ", Assert.Single(await NotificationsAsync(bed, bed.Alice.UserId, NotificationKinds.TaskDue)).Title);
        Assert.Single(await NotificationsAsync(bed, bed.Alice.UserId, NotificationKinds.TaskOverdue));

        // A completed task is not reminded of.
        var done = await bed.Ws.Get<ActivityService>().LogAsync(bed.Alice, lead.Id,
            new ActivityInput(ActivityKind.Task, "Done already") { DueAt = bed.Clock.GetUtcNow().UtcDateTime.AddHours(1), AssigneeId = bed.Alice.UserId });
        await bed.Ws.Get<ActivityService>().SetCompletedAsync(bed.Alice, done.Activity!.Id, true);
        Assert.Equal(0, await SweepAsync(bed));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_deal_stuck_in_a_stage_past_its_stale_days_notifies_its_owner_once(string provider)
    {
        await using var bed = await PoolTestBed.CreateAsync(provider, rules: []);
        var metadata = await bed.Ws.MetadataAsync();
        var stage = metadata.Entity("opportunity")!.DefaultPipeline!.FirstOpenStage!;
        await using (var db = bed.Ws.Database.Factory.CreateForTenant(bed.Ws.Tenant.Id))
        {
            await db.Stages.Where(s => s.Id == stage.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.StaleAfterDays, 14));
            await Crm.Core.Metadata.MetadataStore.BumpVersionAsync(db);
        }
        var deal = await bed.DealAsync("Stuck deal", bed.Bob);

        bed.Clock.Advance(TimeSpan.FromDays(13));
        Assert.Equal(0, await SweepAsync(bed));
        bed.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await SweepAsync(bed));
        Assert.Equal(0, await SweepAsync(bed));
        var note = Assert.Single(await NotificationsAsync(bed, bed.Bob.UserId, NotificationKinds.DealStuck));
        Assert.Equal(deal.Id, note.RecordId);
        Assert.Contains("for 14+ days", note.Title);
    }
}
