using Crm.Core.Metadata;
using Crm.Core.Tenancy;
using Record = Crm.Core.Records.Record;
using System.Text.Json.Nodes;
using Crm.Core.Automation;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Timeline;
using Crm.Core.Views;
using Crm.Testing;
using static Crm.Core.Tests.Automation.RuleKit;

namespace Crm.Core.Tests.Automation;

/// <summary>Event triggers (created, updated with fields, stage entered, status changed, manual) and rule state.</summary>
public class RuleTriggerTests
{
    private static RuleAction SetNextStep(string text) => new() { Kind = ActionKinds.SetFields, Values = new() { ["requirement"] = text } };

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Created_rule_with_a_condition_round_robins_new_website_leads_and_adds_a_task_due_tomorrow(string provider)
    {
        var clock = new ManualClock();
        await using var ws = await LeadsAsync(provider, clock);
        var a = await ws.MemberAsync(MemberRole.Member);
        var b = await ws.MemberAsync(MemberRole.Member);
        var rule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Created },
            new RuleConditions { Filters = [new FilterSpec("source", "eq", "website")] },
            new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.RoundRobin, Users = [a.UserId, b.UserId] },
            new RuleAction { Kind = ActionKinds.CreateTask, Assignee = "owner", DueDays = 1, Text = "跟进 {name}" });

        var leads = new List<Record>();
        for (var i = 1; i <= 3; i++) leads.Add(await LeadAsync(ws, ws.Owner, "线索" + i));
        var fair = await LeadAsync(ws, ws.Owner, "展会线索", "exhibition");

        var owners = new List<Guid?>();
        foreach (var lead in leads) owners.Add((await ReloadAsync(ws, lead.Id)).OwnerId);
        Assert.Equal([a.UserId, b.UserId, a.UserId], owners);
        Assert.Equal(ws.Owner.UserId, (await ReloadAsync(ws, fair.Id)).OwnerId); // condition not met: untouched
        for (var i = 0; i < 3; i++)
        {
            var task = Assert.Single(await TasksAsync(ws, leads[i].Id));
            Assert.Equal(owners[i], task.AssigneeId);
            Assert.Equal("跟进 线索" + (i + 1), task.Subject);
            Assert.Equal(clock.GetUtcNow().UtcDateTime.AddDays(1), Crm.Core.Activities.ActivityService.Utc(task.DueAt!.Value));
        }
        Assert.Empty(await TasksAsync(ws, fair.Id));

        var runs = await RunsAsync(ws, rule.Id);
        Assert.Equal(4, runs.Count);
        Assert.Equal(3, runs.Count(r => r.ConditionsMet && r.Succeeded && r.Outcomes.Count == 2 && r.Outcomes.All(o => o.Status == "done")));
        Assert.Single(runs, r => !r.ConditionsMet && r.RecordId == fair.Id && r.Outcomes.Count == 0);

        // The record's timeline says the rule did it.
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("zh-CN");
        var page = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, leads[0].Id);
        System.Globalization.CultureInfo.CurrentUICulture = previous;
        Assert.Contains(page.Entries, e => e.Kind == TimelineEntryKind.Changed && e.ByName == $"规则「{rule.Name.ZhCn}」" && e.Changes.Any(c => c.FieldKey == "owner"));
        Assert.Contains(page.Entries, e => e.Kind == TimelineEntryKind.Activity && e.ByName == $"规则「{rule.Name.ZhCn}」");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Updated_rule_fires_only_when_a_listed_field_changes_and_checks_changed_from_to(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var rule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Updated, Fields = ["value_tier"] },
            new RuleConditions { Changes = [new ChangeCondition("value_tier", To: "high")] }, SetNextStep("重点跟进"));
        var lead = await LeadAsync(ws, ws.Owner, "线索");
        var tiers = (await ws.MetadataAsync()).Entity("lead")!.Field("value_tier")!.Settings.Options!.Select(o => o.Key).ToList();
        Assert.Contains("high", tiers);

        await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("job_title", "经理")));       // not a listed field
        Assert.Empty(await RunsAsync(ws, rule.Id));
        var other = tiers.First(k => k != "high");
        await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("value_tier", other)));      // listed, but not to "high"
        Assert.Null(Values(await ReloadAsync(ws, lead.Id))["requirement"]);
        await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("value_tier", "high")));
        Assert.Equal("重点跟进", Values(await ReloadAsync(ws, lead.Id))["requirement"]!.GetValue<string>());
        var runs = await RunsAsync(ws, rule.Id);
        Assert.Equal([false, true], runs.Select(r => r.ConditionsMet));
        Assert.All(runs, r => Assert.Equal(TriggerKinds.Updated, r.Trigger));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Stage_entered_and_status_changed_rules_fire_for_the_configured_from_and_to(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var metadata = await ws.MetadataAsync();
        var stages = metadata.Entity("opportunity")!.DefaultPipeline!.Stages.Select(s => s.Key).ToList();
        var stageRule = await RuleAsync(ws, "opportunity", new RuleTrigger { Kind = TriggerKinds.StageEntered, To = stages[2] }, null,
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["next_step"] = "准备报价" } });
        var statusRule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.StatusChanged, From = "new_lead", To = "contacted" }, null,
            SetNextStep("已联系"));

        var company = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "客户")));
        var deal = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "大单"), ("amount", 1000),
            ("company", company.Record!.Id.ToString()), ("expected_close", "2026-12-31")));
        Assert.True(deal.Succeeded, deal.Errors.ToString());
        await ws.Records.UpdateAsync(ws.Owner, deal.Record!.Id, RecordInput.Of(("stage", stages[1])));
        Assert.Null(Values(await ReloadAsync(ws, deal.Record.Id))["next_step"]);
        await ws.Records.UpdateAsync(ws.Owner, deal.Record.Id, RecordInput.Of(("stage", stages[2])));
        Assert.Equal("准备报价", Values(await ReloadAsync(ws, deal.Record.Id))["next_step"]!.GetValue<string>());
        Assert.Single(await RunsAsync(ws, stageRule.Id));

        var lead = await LeadAsync(ws, ws.Owner, "线索");
        await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("lead_status", "assigned")));
        await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("lead_status", "contacted")));   // from assigned: no
        Assert.Empty(await RunsAsync(ws, statusRule.Id));
        var second = await LeadAsync(ws, ws.Owner, "线索2");
        await ws.Records.UpdateAsync(ws.Owner, second.Id, RecordInput.Of(("lead_status", "contacted")));  // new_lead → contacted
        Assert.Equal("已联系", Values(await ReloadAsync(ws, second.Id))["requirement"]!.GetValue<string>());
        Assert.Single(await RunsAsync(ws, statusRule.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_disabled_or_archived_rule_stops_at_once_and_a_manual_rule_runs_on_the_chosen_records(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var service = ws.Get<AutomationRuleService>();
        var rule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Created }, null, SetNextStep("自动"));
        var first = await LeadAsync(ws, ws.Owner, "一");
        Assert.True(await service.SetStateAsync(ws.Owner, rule.Id, enabled: false));
        var second = await LeadAsync(ws, ws.Owner, "二");
        Assert.True(await service.SetStateAsync(ws.Owner, rule.Id, enabled: true, archived: true));
        var third = await LeadAsync(ws, ws.Owner, "三");
        Assert.Equal("自动", Values(await ReloadAsync(ws, first.Id))["requirement"]!.GetValue<string>());
        Assert.Null(Values(await ReloadAsync(ws, second.Id))["requirement"]);
        Assert.Null(Values(await ReloadAsync(ws, third.Id))["requirement"]);
        Assert.Single(await RunsAsync(ws, rule.Id));

        var manual = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Manual },
            new RuleConditions { Filters = [new FilterSpec("name", "neq", "三")] }, SetNextStep("手动"));
        var member = await ws.MemberAsync(MemberRole.Member);
        Assert.Equal(new ManualRunResult(2, 0, 1, 1, 0), await ws.Get<AutomationEngine>().RunManualAsync(member, manual.Id, [second.Id, third.Id]));
        Assert.Equal("手动", Values(await ReloadAsync(ws, second.Id))["requirement"]!.GetValue<string>());
        Assert.Null(Values(await ReloadAsync(ws, third.Id))["requirement"]);
        await Assert.ThrowsAsync<ArgumentException>(() => ws.Get<AutomationEngine>().RunManualAsync(member, rule.Id, [second.Id]));
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<AutomationEngine>().RunManualAsync(viewer, manual.Id, [second.Id]));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.SaveAsync(member, manual));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_manual_rule_runs_only_on_records_the_person_may_edit_now(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var manual = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Manual },
            new RuleConditions { Filters = [new FilterSpec("source", "eq", "website")] }, SetNextStep("批量跟进"));
        var rep = await ws.MemberAsync(MemberRole.Member);
        var roles = ws.Get<Crm.Core.Permissions.RoleService>();
        var salesRep = (await roles.ListAsync(ws.Owner)).Single(r => r.Key == "sales_rep"); // leads: edit own
        Assert.True((await roles.AssignAsync(ws.Owner, salesRep.Id, rep.UserId)).Succeeded);
        var mine = await LeadAsync(ws, rep, "我的", "website", ("owner", rep.UserId.ToString()));
        var mineFair = await LeadAsync(ws, rep, "我的展会", "exhibition", ("owner", rep.UserId.ToString()));
        var others = await LeadAsync(ws, ws.Owner, "别人的");
        var company = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "客户")));
        var engine = ws.Get<AutomationEngine>();

        // Four chosen: another person's lead and a record of another type are skipped; one of the two left matches.
        var result = await engine.RunManualAsync(rep, manual.Id, [mine.Id, mineFair.Id, others.Id, company.Record!.Id]);
        Assert.Equal(new ManualRunResult(4, 2, 1, 1, 0), result);
        Assert.Equal("批量跟进", Values(await ReloadAsync(ws, mine.Id))["requirement"]!.GetValue<string>());
        Assert.Null(Values(await ReloadAsync(ws, others.Id))["requirement"]);
        Assert.Equal(2, (await RunsAsync(ws, manual.Id)).Count); // a run for each allowed record, met or not
        Assert.All(await RunsAsync(ws, manual.Id), r => Assert.Equal(TriggerKinds.Manual, r.Trigger));

        // Rights are read at the moment of the run: without the role (a plain member edits every lead) it reaches the other lead.
        Assert.True((await roles.UnassignAsync(ws.Owner, salesRep.Id, rep.UserId)).Succeeded);
        Assert.Equal(new ManualRunResult(1, 0, 1, 1, 0), await engine.RunManualAsync(rep, manual.Id, [others.Id]));
        await Assert.ThrowsAsync<ArgumentException>(() => engine.RunManualAsync(rep, manual.Id, Enumerable.Range(0, AutomationEngine.MaxManualRecords + 1).Select(_ => Guid.NewGuid()).ToList()));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Rules_caused_by_rules_stop_at_the_depth_limit(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        // Two rules that undo each other: high → low → high … an endless loop without the limit.
        var rule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Updated, Fields = ["value_tier"] },
            new RuleConditions { Changes = [new ChangeCondition("value_tier", To: "high")] },
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["value_tier"] = "low" } });
        var loop = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.Updated, Fields = ["value_tier"] },
            new RuleConditions { Changes = [new ChangeCondition("value_tier", To: "low")] },
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["value_tier"] = "high" } });
        var lead = await LeadAsync(ws, ws.Owner, "线索");
        var saved = await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("value_tier", "high"), ("estimated_budget", 100)));
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        var runs = (await RunsAsync(ws, rule.Id)).Concat(await RunsAsync(ws, loop.Id)).ToList();
        Assert.All(runs, r => Assert.InRange(r.Depth, 1, AutomationEngine.MaxDepth + 1));
        Assert.Contains(runs, r => r.Depth == AutomationEngine.MaxDepth + 1 && r.Error is not null && !r.ConditionsMet);
        Assert.DoesNotContain(runs, r => r.Depth > AutomationEngine.MaxDepth && r.Outcomes.Count > 0);
        // Depth 1 (the user's save) … MaxDepth ran actions; the next level was stopped and recorded.
        Assert.Equal(AutomationEngine.MaxDepth, runs.Count(r => r.Outcomes.Count == 1));
        // The user's save is kept whatever the rules did.
        Assert.Equal(100, Values(await ReloadAsync(ws, lead.Id))["estimated_budget"]!.GetValue<decimal>());
    }
}
