using Microsoft.Extensions.DependencyInjection.Extensions;
using Crm.Core.Metadata;
using Crm.Core.Tenancy;
using Record = Crm.Core.Records.Record;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Automation;
using Crm.Core.Notifications;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Crm.Core.Tests.Automation.RuleKit;

namespace Crm.Core.Tests.Automation;

/// <summary>Each action: owner assignment (fixed, round robin, weighted, least open), field values, tasks, related
/// records, pools and notifications; failures reported without losing the save.</summary>
public class RuleActionTests
{
    private static RuleTrigger Created => new() { Kind = TriggerKinds.Created };

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Set_fields_takes_constants_me_today_plus_n_and_another_field(string provider)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 10, 4, 0, 0, TimeSpan.Zero));
        await using var ws = await LeadsAsync(provider, clock);
        var member = await ws.MemberAsync(MemberRole.Member);
        await RuleAsync(ws, "lead", Created, null, new RuleAction
        {
            Kind = ActionKinds.SetFields,
            Values = new() { ["value_tier"] = "high", ["owner"] = "$me", ["next_follow_up"] = "$today+3", ["job_title"] = "{company_name}" },
        });
        var lead = await LeadAsync(ws, member, "线索", "website", ("company_name", (JsonNode)"华为"));
        var values = Values(await ReloadAsync(ws, lead.Id));
        Assert.Equal("high", values["value_tier"]!.GetValue<string>());
        Assert.Equal(member.UserId.ToString(), values["owner"]!.GetValue<string>());
        Assert.Equal("2026-03-13", values["next_follow_up"]!.GetValue<string>()); // the workspace's date (UTC here) + 3
        Assert.Equal("华为", values["job_title"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_failing_action_is_reported_with_the_field_named_and_neither_the_save_nor_the_other_actions_are_lost(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var rule = await RuleAsync(ws, "lead", Created, null,
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["estimated_budget"] = "lots" } },
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["value_tier"] = "low" } });
        var lead = await LeadAsync(ws, ws.Owner, "线索");
        var stored = await ReloadAsync(ws, lead.Id);
        Assert.Equal("线索", stored.Title);
        Assert.Equal("low", Values(stored)["value_tier"]!.GetValue<string>());
        Assert.Null(Values(stored)["estimated_budget"]);
        var run = Assert.Single(await RunsAsync(ws, rule.Id));
        Assert.False(run.Succeeded);
        Assert.Equal("failed", run.Outcomes[0].Status);
        Assert.Contains((await ws.MetadataAsync()).Entity("lead")!.Field("estimated_budget")!.Label.Get(), run.Outcomes[0].Message);
        Assert.Equal("done", run.Outcomes[1].Status);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_action_failing_inside_the_one_transaction_path_rolls_it_back_whole_and_the_rules_run_again_one_by_one(string provider)
    {
        // Three rules on one create run together in one transaction (the real notification service, so notify is
        // staged in it). The last rule's first action throws after the others have staged a notification, a task
        // and a field change: that transaction rolls back, each rule runs again on its own, and everything it did
        // is there exactly once, the save included.
        await using var ws = await LeadsAsync(provider);
        var notify = await RuleAsync(ws, "lead", Created, null,
            new RuleAction { Kind = ActionKinds.Notify, Assignee = "owner", Text = "新线索 {name}" },
            new RuleAction { Kind = ActionKinds.CreateTask, Text = "跟进 {name}", DueDays = 1 });
        var tier = await RuleAsync(ws, "lead", Created, null, new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["value_tier"] = "low" } });
        var failing = await RuleAsync(ws, "lead", Created, null,
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["estimated_budget"] = "lots" } },
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["job_title"] = "采购经理" } });

        var lead = await LeadAsync(ws, ws.Owner, "赵六");

        var stored = await ReloadAsync(ws, lead.Id);
        Assert.Equal("赵六", stored.Title);
        Assert.Equal("low", Values(stored)["value_tier"]!.GetValue<string>());
        Assert.Equal("采购经理", Values(stored)["job_title"]!.GetValue<string>());
        Assert.Null(Values(stored)["estimated_budget"]);
        Assert.Equal("跟进 赵六", Assert.Single(await TasksAsync(ws, lead.Id)).Subject);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var sent = Assert.Single(await db.Notifications.AsNoTracking().Where(n => n.RecordId == lead.Id).ToListAsync());
            Assert.Equal((ws.Owner.UserId, "新线索 赵六"), (sent.UserId, sent.Title));
            // Created, then one change by each rule that changed a field: nothing of the rolled-back attempt.
            Assert.Equal(3, await db.RecordChanges.CountAsync(c => c.RecordId == lead.Id));
        }
        Assert.True(Assert.Single(await RunsAsync(ws, notify.Id)).Succeeded);
        Assert.True(Assert.Single(await RunsAsync(ws, tier.Id)).Succeeded);
        var run = Assert.Single(await RunsAsync(ws, failing.Id));
        Assert.False(run.Succeeded);
        Assert.Equal(["failed", "done"], run.Outcomes.Select(o => o.Status));
        Assert.Contains((await ws.MetadataAsync()).Entity("lead")!.Field("estimated_budget")!.Label.Get(), run.Outcomes[0].Message);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Fixed_weighted_and_least_open_assignment(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var a = await ws.MemberAsync(MemberRole.Member);
        var b = await ws.MemberAsync(MemberRole.Member);
        var c = await ws.MemberAsync(MemberRole.Member);
        var weighted = await RuleAsync(ws, "lead", Created, new RuleConditions { Filters = [new FilterSpec("source", "eq", "website")] },
            new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.Weighted, Users = [a.UserId, b.UserId], Weights = [2, 1] });
        await RuleAsync(ws, "lead", Created, new RuleConditions { Filters = [new FilterSpec("source", "eq", "exhibition")] },
            new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.Fixed, Users = [c.UserId] });
        await RuleAsync(ws, "lead", Created, new RuleConditions { Filters = [new FilterSpec("source", "eq", "event")] },
            new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.LeastOpen, Users = [a.UserId, b.UserId, c.UserId] });

        var owners = new List<Guid?>();
        for (var i = 0; i < 6; i++) owners.Add((await ReloadAsync(ws, (await LeadAsync(ws, ws.Owner, "官网" + i)).Id)).OwnerId);
        Assert.Equal(4, owners.Count(o => o == a.UserId));
        Assert.Equal(2, owners.Count(o => o == b.UserId));
        Assert.Equal(c.UserId, (await ReloadAsync(ws, (await LeadAsync(ws, ws.Owner, "展会", "exhibition")).Id)).OwnerId);
        // Open leads now: a 4, b 2, c 1 → c, then c again (2 < 2? no: b and c tie at 2, b comes first in the list).
        Assert.Equal(c.UserId, (await ReloadAsync(ws, (await LeadAsync(ws, ws.Owner, "活动1", "event")).Id)).OwnerId);
        Assert.Equal(b.UserId, (await ReloadAsync(ws, (await LeadAsync(ws, ws.Owner, "活动2", "event")).Id)).OwnerId);
        var runs = await RunsAsync(ws, weighted.Id);
        Assert.Equal(9, runs.Count);                                             // every new lead, met or not
        Assert.Equal(6, runs.Count(r => r.ConditionsMet && r.Outcomes.Single().Status == "done"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_round_robin_rule_whose_conditions_an_earlier_rule_made_false_takes_no_turn(string provider)
    {
        // On PostgreSQL the turn is taken ahead (with the membership query) while the conditions hold on the saved
        // lead; the first rule then changes the source, the round robin does not run, and the turn is given back.
        await using var ws = await LeadsAsync(provider);
        var a = await ws.MemberAsync(MemberRole.Member);
        var b = await ws.MemberAsync(MemberRole.Member);
        await RuleAsync(ws, "lead", Created, new RuleConditions { Filters = [new FilterSpec("name", "eq", "改来源")] },
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["source"] = "exhibition" } });
        var roundRobin = await RuleAsync(ws, "lead", Created, new RuleConditions { Filters = [new FilterSpec("source", "eq", "website")] },
            new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.RoundRobin, Users = [a.UserId, b.UserId] });

        var first = await ReloadAsync(ws, (await LeadAsync(ws, ws.Owner, "一")).Id);
        var changed = await ReloadAsync(ws, (await LeadAsync(ws, ws.Owner, "改来源")).Id);
        var third = await ReloadAsync(ws, (await LeadAsync(ws, ws.Owner, "三")).Id);
        var fourth = await ReloadAsync(ws, (await LeadAsync(ws, ws.Owner, "四")).Id);

        Assert.Equal(a.UserId, first.OwnerId);
        Assert.Equal("exhibition", Values(changed)["source"]!.GetValue<string>());
        Assert.Equal(ws.Owner.UserId, changed.OwnerId);
        Assert.Equal(b.UserId, third.OwnerId);   // the next turn, not one lost to the changed lead
        Assert.Equal(a.UserId, fourth.OwnerId);
        var runs = await RunsAsync(ws, roundRobin.Id);
        Assert.Equal([true, false, true, true], runs.Select(r => r.ConditionsMet));
        Assert.All(runs, r => Assert.True(r.Succeeded));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Create_and_update_related_records(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var rule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.StatusChanged, To = "qualified" }, null,
            new RuleAction { Kind = ActionKinds.CreateRelated, Entity = "opportunity", Field = "lead", Values = new() { ["name"] = "{name} 商机", ["company"] = "{company_link}", ["amount"] = "{estimated_budget}", ["expected_close"] = "$today+30" } });
        // The lead template has no link to a company: the rule above fails (company is required) and says so.
        var lead = await LeadAsync(ws, ws.Owner, "张三", "website", ("estimated_budget", (JsonNode)5000));
        await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("lead_status", "qualified")));
        var failed = Assert.Single(await RunsAsync(ws, rule.Id));
        Assert.Equal("failed", failed.Outcomes.Single().Status);

        // With a company given as a constant it works, and the new deal points back at the lead.
        var company = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "客户")));
        var fixedRule = await RuleAsync(ws, "lead", new RuleTrigger { Kind = TriggerKinds.StatusChanged, To = "contacted" }, null,
            new RuleAction { Kind = ActionKinds.CreateRelated, Entity = "opportunity", Field = "lead", Values = new() { ["name"] = "{name} 商机", ["company"] = company.Record!.Id.ToString(), ["amount"] = "{estimated_budget}", ["expected_close"] = "$today+30" } });
        var contacted = await ws.Records.UpdateAsync(ws.Owner, lead.Id, RecordInput.Of(("lead_status", "contacted")));
        Assert.True(contacted.Succeeded, contacted.Errors.ToString());
        var createdRun = Assert.Single(await RunsAsync(ws, fixedRule.Id));
        Assert.True(createdRun.Outcomes.Count == 1, createdRun.Error + " met " + createdRun.ConditionsMet);
        Assert.True(createdRun.Outcomes[0].Status == "done", createdRun.Outcomes[0].Message);
        Assert.Equal("done", Assert.Single(await RunsAsync(ws, fixedRule.Id)).Outcomes.Single().Status);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var deal = await db.Records.AsNoTracking().SingleAsync(r => r.Title == "张三 商机");
        Assert.Equal(lead.Id.ToString(), Values(deal)["lead"]!.GetValue<string>());
        Assert.Equal(5000m, deal.Amount);

        // Update related: a deal's rule writes into the linked lead.
        await RuleAsync(ws, "opportunity", new RuleTrigger { Kind = TriggerKinds.Updated, Fields = ["next_step"] }, null,
            new RuleAction { Kind = ActionKinds.UpdateRelated, Field = "lead", Values = new() { ["requirement"] = "{next_step}" } });
        await ws.Records.UpdateAsync(ws.Owner, deal.Id, RecordInput.Of(("next_step", "演示")));
        Assert.Equal("演示", Values(await ReloadAsync(ws, lead.Id))["requirement"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pool_and_notify_actions_use_the_registered_services_and_report_not_available_without_them(string provider)
    {
        var notifications = new RecordingNotifications();
        var pools = new RecordingPoolMover();
        await using (var ws = await LeadsAsync(provider, configure: s => s.AddSingleton<INotificationService>(notifications).AddSingleton<IPoolMover>(pools)))
        {
            var member = await ws.MemberAsync(MemberRole.Member);
            var rule = await RuleAsync(ws, "lead", Created, null,
                new RuleAction { Kind = ActionKinds.Notify, Users = [member.UserId], Assignee = "owner", Text = "新线索 {name}" },
                new RuleAction { Kind = ActionKinds.MoveToPool, Pool = "public" },
                new RuleAction { Kind = ActionKinds.MoveToPool, Pool = "missing" });
            var lead = await LeadAsync(ws, ws.Owner, "李四");
            var (tenantId, request) = Assert.Single(notifications.Sent);
            Assert.Equal(ws.Tenant.Id, tenantId);
            Assert.Equal("新线索 李四", request.Title);
            Assert.Equal("rule", request.Kind);
            Assert.Equal(lead.Id, request.RecordId);
            Assert.Equal(new HashSet<Guid> { member.UserId, ws.Owner.UserId }, request.UserIds.ToHashSet());
            var moved = Assert.Single(pools.Moved);
            Assert.Equal((lead.Id, "public"), (moved.RecordId, moved.Pool));
            Assert.Contains(rule.Name.ZhCn, moved.Reason);
            var run = Assert.Single(await RunsAsync(ws, rule.Id));
            Assert.Equal(["done", "done", "failed"], run.Outcomes.Select(o => o.Status));
        }

        // An installation without the pools and notification features (none registered): the actions say so.
        await using var bare = await LeadsAsync(provider, configure: s => s.RemoveAll<INotificationService>().RemoveAll<IPoolMover>());
        var bareRule = await RuleAsync(bare, "lead", Created, null,
            new RuleAction { Kind = ActionKinds.Notify, Assignee = "owner" },
            new RuleAction { Kind = ActionKinds.MoveToPool, Pool = "public" },
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["value_tier"] = "low" } });
        var saved = await LeadAsync(bare, bare.Owner, "王五");
        var bareRun = Assert.Single(await RunsAsync(bare, bareRule.Id));
        Assert.Equal(["unavailable", "unavailable", "done"], bareRun.Outcomes.Select(o => o.Status));
        Assert.Equal("low", Values(await ReloadAsync(bare, saved.Id))["value_tier"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_rule_that_does_not_fit_its_record_type_is_refused_naming_the_field(string provider)
    {
        await using var ws = await LeadsAsync(provider);
        var metadata = await ws.MetadataAsync();
        var (rule, errors) = await ws.Get<AutomationRuleService>().SaveAsync(ws.Owner, new AutomationRule
        {
            EntityTypeId = metadata.Entity("lead")!.Entity.Id,
            Name = LocalizedText.Same(""),
            Trigger = new RuleTrigger { Kind = TriggerKinds.AfterDate, Field = "name", Days = -1 },
            Conditions = new RuleConditions { Filters = [new FilterSpec("nope", "eq", "x")] },
            Actions = [new RuleAction { Kind = ActionKinds.AssignOwner, Users = [] }, new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["ghost"] = "1" } }],
        });
        Assert.Null(rule);
        foreach (var key in new[] { "name", "trigger.field", "trigger.days", "conditions.filters[0].field", "actions[0].users", "actions[1].values.ghost" })
            Assert.True(errors.For(key).Count > 0, key + ": " + errors);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Depth_one_assignment_and_field_values_go_into_the_records_own_write_with_the_same_history_timeline_runs_and_events(string provider)
    {
        // Assigning the owner and setting a field change the record before it is saved (one row written, not an
        // insert and then an update): what the save returns already carries them, and the history is as if each
        // rule had written after the insert: created by the person, then one change per rule, by the rule.
        await using var ws = await LeadsAsync(provider);
        var a = await ws.MemberAsync(MemberRole.Member);
        var assign = await RuleAsync(ws, "lead", Created, new RuleConditions { Filters = [new FilterSpec("source", "eq", "website")] },
            new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.RoundRobin, Users = [a.UserId] });
        var requirement = await RuleAsync(ws, "lead", Created, null,
            new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["requirement"] = "来自官网：{company_name}" } },
            new RuleAction { Kind = ActionKinds.CreateTask, Text = "跟进 {name}", DueDays = 1 });
        var events = new List<RecordEvent>();
        using var subscription = ws.Get<RecordEvents>().Subscribe(ws.Tenant.Id, e => { lock (events) events.Add(e); });

        var lead = await LeadAsync(ws, ws.Owner, "孙七", "website", ("company_name", (JsonNode)"腾讯"));

        Assert.Equal(a.UserId, lead.OwnerId);      // the record written is the one the rules changed
        Assert.Equal(3, lead.Version);             // created (1), assigned (2), field set (3)
        var stored = await ReloadAsync(ws, lead.Id);
        Assert.Equal((a.UserId, 3L, "来自官网：腾讯"), (stored.OwnerId, stored.Version, Values(stored)["requirement"]!.GetValue<string>()));
        Assert.Equal(requirement.Id, stored.UpdatedBy);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            // Three history rows, one per writer. They are written in one save, within a millisecond, and version-7
            // ids are not ordered within a millisecond (CI once saw the rules' two rows swapped by id), so each row is
            // found by who wrote it, not by position; the live events below keep the order.
            var changes = await db.RecordChanges.AsNoTracking().Where(c => c.RecordId == lead.Id).ToListAsync();
            Assert.Equal(3, changes.Count);
            RecordChange By(Guid who) => Assert.Single(changes, c => c.ByUserId == who);
            Assert.Equal(RecordChangeKind.Created, By(ws.Owner.UserId).Kind);
            Assert.Equal(RecordChangeKind.Updated, By(assign.Id).Kind);
            Assert.Equal(RecordChangeKind.Updated, By(requirement.Id).Kind);
            var created = Json.Deserialize<List<FieldChange>>(By(ws.Owner.UserId).Changes)!;
            Assert.Equal(ws.Owner.UserId.ToString(), created.Single(c => c.Field == "owner").New!.GetValue<string>());
            Assert.DoesNotContain(created, c => c.Field == "requirement");
            var assigned = Assert.Single(Json.Deserialize<List<FieldChange>>(By(assign.Id).Changes)!);
            Assert.Equal(("owner", ws.Owner.UserId.ToString(), a.UserId.ToString()), (assigned.Field, assigned.Old!.GetValue<string>(), assigned.New!.GetValue<string>()));
            var set = Assert.Single(Json.Deserialize<List<FieldChange>>(By(requirement.Id).Changes)!);
            Assert.Equal(("requirement", "来自官网：腾讯"), (set.Field, set.New!.GetValue<string>()));
        }
        Assert.Equal(a.UserId, Assert.Single(await TasksAsync(ws, lead.Id)).AssigneeId); // the task goes to the new owner
        Assert.Equal(["done"], Assert.Single(await RunsAsync(ws, assign.Id)).Outcomes.Select(o => o.Status));
        Assert.Equal(["done", "done"], Assert.Single(await RunsAsync(ws, requirement.Id)).Outcomes.Select(o => o.Status));

        // The timeline shows each rule's change by the rule.
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("zh-CN");
        var page = await ws.Get<Crm.Core.Timeline.RecordTimeline>().GetAsync(ws.Owner, lead.Id);
        System.Globalization.CultureInfo.CurrentUICulture = previous;
        Assert.Contains(page.Entries, e => e.ByName == $"规则「{assign.Name.ZhCn}」" && e.Changes.Any(c => c.FieldKey == "owner"));
        Assert.Contains(page.Entries, e => e.ByName == $"规则「{requirement.Name.ZhCn}」" && e.Changes.Any(c => c.FieldKey == "requirement"));

        // Live events as before: created by the person, then each rule's update with its version.
        List<(RecordEventKind, long, Guid?)> seen;
        lock (events) seen = events.Where(e => e.RecordId == lead.Id).Select(e => (e.Kind, e.Version, e.ByUserId)).ToList();
        Assert.Equal([(RecordEventKind.Created, 1L, (Guid?)ws.Owner.UserId), (RecordEventKind.Updated, 2L, assign.Id), (RecordEventKind.Updated, 3L, requirement.Id)], seen);
    }
}
