using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Tenancy;
using Record = Crm.Core.Records.Record;
using Crm.Core.Activities;
using Crm.Core.Automation;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Crm.Core.Tests.Automation.RuleKit;

namespace Crm.Core.Tests.Automation;

/// <summary>Time-based triggers with a hand-moved clock; each firing runs once, also with two workers racing.</summary>
public class TimeTriggerTests
{
    private static RuleAction FollowUp(string text) => new() { Kind = ActionKinds.CreateTask, Text = text, Assignee = "owner", DueDays = 1 };

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Days_after_a_date_field_fire_once_per_date(string provider)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 5, 1, 2, 0, 0, TimeSpan.Zero));
        await using var ws = await LeadsAsync(provider, clock);
        await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.AfterDate, Field = "next_follow_up", Days = 2 }, null, FollowUp("该跟进 {name}"));
        var lead = await LeadAsync(ws, ws.Owner, "线索", "website", ("next_follow_up", (JsonNode)"2026-05-01"));
        var sweep = ws.Get<AutomationSweep>();

        Assert.Equal(0, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        clock.Advance(TimeSpan.FromDays(1));                                     // 2026-05-03: two days after
        Assert.Equal(1, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        Assert.Equal(0, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        Assert.Equal("该跟进 线索", Assert.Single(await TasksAsync(ws, lead.Id)).Subject);

        // A new date is a new occurrence.
        await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("next_follow_up", "2026-04-30")));
        Assert.True(await sweep.RunOnceAsync(clock.GetUtcNow().UtcDateTime, default) >= 1); // all workspaces (others' tests too)
        Assert.Equal(2, (await TasksAsync(ws, lead.Id)).Count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Days_without_activity_and_days_in_a_stage_fire_again_only_after_a_new_activity_or_stage(string provider)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 5, 1, 2, 0, 0, TimeSpan.Zero));
        await using var ws = await LeadsAsync(provider, clock);
        var metadata = await ws.MetadataAsync();
        var stages = metadata.Entity("opportunity")!.DefaultPipeline!.Stages.Select(s => s.Key).ToList();
        var idle = await RuleAsync(ws, "opportunity", new RuleTrigger { Kind = TriggerKinds.NoActivity, Days = 14 },
            new RuleConditions { Filters = [new FilterSpec("amount", "gte", 100)] }, FollowUp("14 天没有跟进：{name}"));
        var stuck = await RuleAsync(ws, "opportunity", new RuleTrigger { Kind = TriggerKinds.InStage, Days = 7, To = stages[0] }, null,
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["next_step"] = "推进" } });
        var company = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "客户")));
        Record Deal(RecordResult r) { Assert.True(r.Succeeded, r.Errors.ToString()); return r.Record!; }
        var big = Deal(await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "大单"), ("amount", 1000), ("company", company.Record!.Id.ToString()), ("expected_close", "2026-12-31"))));
        var small = Deal(await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "小单"), ("amount", 10), ("company", company.Record.Id.ToString()), ("expected_close", "2026-12-31"))));
        var sweep = ws.Get<AutomationSweep>();

        clock.Advance(TimeSpan.FromDays(8));
        Assert.Equal(2, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));    // both stuck 7+ days in the first stage
        Assert.Equal("推进", Values(await ReloadAsync(ws, big.Id))["next_step"]!.GetValue<string>());
        clock.Advance(TimeSpan.FromDays(7));                                                        // day 15: no activity for 14 days
        Assert.Equal(2, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));    // both claimed, one met the amount condition
        Assert.Single(await TasksAsync(ws, big.Id));
        Assert.Empty(await TasksAsync(ws, small.Id));
        Assert.Equal(2, (await RunsAsync(ws, idle.Id)).Count);
        Assert.Equal(0, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));

        // A call resets the idle clock: 14 days later the rule fires again; a new stage resets the stage clock.
        var call = await ws.Get<ActivityService>().LogAsync(ws.Owner, big.Id, new ActivityInput(ActivityKind.Call, "电话"));
        Assert.True(call.Succeeded, call.Errors.ToString());
        await ws.Records.UpdateAsync(ws.Owner, big.Id, RecordInput.Of(("stage", stages[1])));
        clock.Advance(TimeSpan.FromDays(13));
        Assert.Equal(0, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        Assert.Equal(2, (await TasksAsync(ws, big.Id)).Count(t => t.Subject.StartsWith("14 天")));
        Assert.Equal(2, (await RunsAsync(ws, stuck.Id)).Count);                                   // not again: stage 2 is not the rule's stage
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_task_n_hours_before_due_fires_once(string provider)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 5, 1, 2, 0, 0, TimeSpan.Zero));
        await using var ws = await LeadsAsync(provider, clock);
        var rule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.TaskDue, Hours = 2 }, null,
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["requirement"] = "任务快到期" } });
        var lead = await LeadAsync(ws, ws.Owner, "线索");
        var task = await ws.Get<ActivityService>().LogAsync(ws.Owner, lead.Id, new ActivityInput(ActivityKind.Task, "回电") { DueAt = clock.GetUtcNow().UtcDateTime.AddHours(5) });
        Assert.True(task.Succeeded, task.Errors.ToString());
        var sweep = ws.Get<AutomationSweep>();
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        clock.Advance(TimeSpan.FromHours(1.5));                                                      // 1.5 h before due
        Assert.Equal(1, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        Assert.Equal(0, await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default));
        Assert.Equal("任务快到期", Values(await ReloadAsync(ws, lead.Id))["requirement"]!.GetValue<string>());
        Assert.Equal(TriggerKinds.TaskDue, Assert.Single(await RunsAsync(ws, rule.Id)).Trigger);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Two_workers_racing_fire_each_occurrence_exactly_once(string provider)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 5, 1, 2, 0, 0, TimeSpan.Zero));
        await using var ws = await LeadsAsync(provider, clock);
        var rule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.NoActivity, Days = 3 }, null, FollowUp("回访 {name}"));
        var leads = new List<Record>();
        for (var i = 0; i < 30; i++) leads.Add(await LeadAsync(ws, ws.Owner, "线索" + i));
        clock.Advance(TimeSpan.FromDays(4));

        // A second app instance: its own services (caches, engine) over the same database.
        await using var other = CoreServices.Create(ws.Database, clock);
        var sweeps = new[] { ws.Get<AutomationSweep>(), other.GetRequiredService<AutomationSweep>() };
        var now = clock.GetUtcNow().UtcDateTime;
        var fired = await Task.WhenAll(sweeps.Select(s => System.Threading.Tasks.Task.Run(() => s.RunTenantAsync(ws.Tenant, now, default))));
        Assert.Equal(30, fired.Sum());
        foreach (var lead in leads) Assert.Single(await TasksAsync(ws, lead.Id));
        Assert.Equal(30, (await RunsAsync(ws, rule.Id)).Count);
        Assert.Equal(0, (await Task.WhenAll(sweeps.Select(s => s.RunTenantAsync(ws.Tenant, now, default)))).Sum());
    }
}
