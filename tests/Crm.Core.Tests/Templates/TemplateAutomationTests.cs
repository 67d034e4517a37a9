using Crm.Core;
using Crm.Core.Automation;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Pools;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Templates;

/// <summary>Rules and pools in templates: the starter templates' rules at work, the checker's paths, dry run, upgrade-merge, export.</summary>
public class TemplateAutomationTests
{
    private static async Task<Guid> RoleAsync(Workspace ws, string key)
        => (await ws.Get<RoleService>().ListAsync(ws.Owner)).Single(r => r.Key == key).Id;

    private static async Task<Actor> RepAsync(Workspace ws, Guid role, MemberRole level = MemberRole.Member)
    {
        var rep = await ws.MemberAsync(level);
        Assert.True((await ws.Get<RoleService>().AssignAsync(ws.Owner, role, rep.UserId)).Succeeded);
        return rep;
    }

    private static async Task<Guid?> OwnerOfAsync(Workspace ws, Guid id)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().Where(r => r.Id == id).Select(r => r.OwnerId).FirstAsync();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_leads_template_round_robins_website_leads_over_active_sales_reps_and_ships_its_pool(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var installed = await ws.InstallAsync("leads_opportunities", withRules: true);
        Assert.Contains(installed.Changes, c => c is { Kind: ChangeKind.Add, Element: "rule", Path: "website_leads_round_robin" });
        Assert.Contains(installed.Changes, c => c is { Kind: ChangeKind.Add, Element: "pool", Path: "lead.public_leads" });

        var salesRep = await RoleAsync(ws, "sales_rep");
        var a = await RepAsync(ws, salesRep);
        var b = await RepAsync(ws, salesRep);
        var viewer = await RepAsync(ws, salesRep, MemberRole.Viewer); // cannot own records: skipped

        var owners = new List<Guid?>();
        for (var i = 0; i < 6; i++)
        {
            var lead = await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("name", $"官网线索{i}"), ("source", "website")));
            Assert.True(lead.Succeeded, lead.Errors.ToString());
            owners.Add(await OwnerOfAsync(ws, lead.Record!.Id));
        }
        Assert.Equal(3, owners.Count(o => o == a.UserId));
        Assert.Equal(3, owners.Count(o => o == b.UserId));
        Assert.DoesNotContain(viewer.UserId, owners.Select(o => o ?? Guid.Empty));
        for (var i = 1; i < owners.Count; i++) Assert.NotEqual(owners[i - 1], owners[i]);

        // Someone removed from the workspace no longer gets leads.
        await ws.Get<Crm.Core.Accounts.MembershipService>().RemoveAsync(ws.Owner, b.UserId);
        var later = await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("name", "又一条"), ("source", "website")));
        Assert.Equal(a.UserId, await OwnerOfAsync(ws, later.Record!.Id));
        // Another source is left alone.
        var fair = await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("name", "展会线索"), ("source", "exhibition")));
        Assert.Equal(ws.Owner.UserId, await OwnerOfAsync(ws, fair.Record!.Id)); // the creator, as without rules

        var pool = Assert.Single((await ws.Get<PoolService>().ListAsync(ws.Owner)).Select(p => p.Pool));
        Assert.Equal(("public_leads", 20, 7), (pool.Key, pool.DailyClaimLimit, pool.ReclaimCooldownDays));
        var back = Assert.Single(pool.ReturnRules);
        Assert.Equal((PoolReturnKind.NoFollowUp, 30, 3), (back.Kind, back.Days, back.ReminderDaysBefore));
        Assert.Equal(["converted", "disqualified"], back.KeepStatuses!); // converted and disqualified leads stay with their owner
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_stale_deal_rule_gives_the_owner_a_task_after_14_days_without_activity(string provider)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 5, 1, 2, 0, 0, TimeSpan.Zero));
        await using var ws = await Workspace.CreateAsync(provider, clock);
        await ws.InstallAsync("b2b_sales_funnel", withRules: true);
        var rep = await ws.MemberAsync(MemberRole.Member);
        var company = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "华东制造")));
        var deal = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "年度框架"), ("company", company.Record!.Id.ToString()),
            ("amount", 50000), ("expected_close", "2026-07-01"), ("owner", rep.UserId.ToString()), ("source", "referral")));
        Assert.True(deal.Succeeded, deal.Errors.ToString());
        var sweep = ws.Get<AutomationSweep>();
        clock.Advance(TimeSpan.FromDays(13));
        await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default);
        Assert.Empty(await TasksAsync(ws, deal.Record!.Id));
        clock.Advance(TimeSpan.FromDays(1.5));
        await sweep.RunTenantAsync(ws.Tenant, clock.GetUtcNow().UtcDateTime, default);
        var task = Assert.Single(await TasksAsync(ws, deal.Record.Id));
        Assert.Equal(rep.UserId, task.AssigneeId);
        Assert.Contains("年度框架", task.Subject);
    }

    private static async Task<List<Crm.Core.Activities.Activity>> TasksAsync(Workspace ws, Guid recordId)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Activities.AsNoTracking().Where(a => a.RecordId == recordId && a.Kind == Crm.Core.Activities.ActivityKind.Task).ToListAsync();
    }

    private const string Bad = """
    {
      "id": "bad_automation", "version": "1.0.0", "name": {"zh-CN": "坏", "en": "Bad"},
      "entityTypes": [{
        "key": "lead", "label": {"zh-CN": "线索", "en": "Lead"}, "titleField": "name", "ownerField": "owner",
        "fields": [
          {"key": "name", "type": "text", "label": {"zh-CN": "名称", "en": "Name"}},
          {"key": "owner", "type": "member", "label": {"zh-CN": "负责人", "en": "Owner"}},
          {"key": "source", "type": "select", "label": {"zh-CN": "来源", "en": "Source"}, "options": [{"key": "website", "label": {"zh-CN": "官网", "en": "Website"}}]}
        ]
      }],
      "pools": [
        {"key": "pool_a", "label": {"zh-CN": "公海", "en": "Pool"}, "entity": "lead", "members": {"roles": ["nobody"]}, "returnRules": [{"kind": "noFollowUp", "days": 5, "reminderDaysBefore": 5}]},
        {"key": "pool_b", "label": {"zh-CN": "公海", "en": "Pool"}, "entity": "ghost"}
      ],
      "rules": [
        {"key": "r0", "name": {"zh-CN": "规则", "en": "Rule"}, "entity": "ghost", "trigger": {"kind": "created"}, "actions": [{"kind": "notify", "assignee": "owner"}]},
        {"key": "r1", "name": {"zh-CN": "规则", "en": "Rule"}, "entity": "lead", "trigger": {"kind": "stageEntered", "to": "won"},
         "conditions": {"filters": [{"field": "source", "op": "eq", "value": "fax"}, {"field": "colour", "op": "eq", "value": "red"}]},
         "actions": [
           {"kind": "setFields", "values": {"nope": "1"}},
           {"kind": "assignOwner", "roles": ["sales_rep"], "departments": ["east"]},
           {"kind": "moveToPool", "pool": "pool_x"},
           {"kind": "updateRelated", "field": "source", "values": {"name": "x"}}
         ]},
        {"key": "r1", "name": {"zh-CN": "规则", "en": "Rule"}, "entity": "lead", "trigger": {"kind": "afterDate", "field": "name", "days": 1}, "actions": [{"kind": "createTask", "assignee": "someone"}]}
      ]
    }
    """;

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Every_reference_of_rules_and_pools_is_checked_and_the_error_names_its_json_path(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, Bad, new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Refused, result.Outcome);
        var paths = result.Errors.ToDictionary().Keys.ToHashSet();
        string[] expected =
        [
            "$.pools[0].members.roles[0]", "$.pools[0].returnRules[0].reminderDaysBefore", "$.pools[1].entity",
            "$.rules[0].entity", "$.rules[1].trigger.kind", "$.rules[1].trigger.to", "$.rules[1].conditions.filters[0].value",
            "$.rules[1].conditions.filters[1].field", "$.rules[1].actions[0].values.nope", "$.rules[1].actions[1].roles[0]",
            "$.rules[1].actions[1].departments[0]", "$.rules[1].actions[2].pool", "$.rules[1].actions[3].field",
            "$.rules[2].key", "$.rules[2].trigger.field", "$.rules[2].actions[0].assignee",
        ];
        foreach (var path in expected) Assert.True(paths.Contains(path), $"{path} missing from: {string.Join(", ", paths)}");
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.False(await db.EntityTypes.AnyAsync());
        Assert.False(await db.AutomationRules.AnyAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_template_names_no_user_but_the_installer(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var document = TemplateParser.Parse(Bad, (k, a) => k).Document!;
        document.Pools![0].Members = new TemplatePoolPeople { Users = [Guid.NewGuid().ToString()] };
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, document, new InstallOptions(WithSampleData: false));
        Assert.Contains("$.pools[0].members.users[0]", result.Errors.ToDictionary().Keys);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_dry_run_lists_rules_and_pools_and_writes_nothing(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var doc = Workspace.Catalog.Find("b2b_sales_funnel")!.Document;
        var plan = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc, new InstallOptions(WithSampleData: false, DryRun: true));
        Assert.Equal(InstallOutcome.DryRun, plan.Outcome);
        Assert.Equal(["lead_return_reminder", "leads_back_to_pool", "stale_deal_task", "website_leads_round_robin"],
            plan.Changes.Where(c => c.Element == "rule" && c.Kind == ChangeKind.Add).Select(c => c.Path).Order(StringComparer.Ordinal));
        Assert.Contains(plan.Changes, c => c is { Kind: ChangeKind.Add, Element: "pool", Path: "opportunity.public_leads" });
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.False(await db.AutomationRules.AnyAsync());
        Assert.False(await db.Pools.AnyAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_upgrade_keeps_the_admins_edits_of_rules_and_pools_and_brings_the_templates_changes(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities", withRules: true);
        var rules = ws.Get<AutomationRuleService>();
        var stale = (await rules.ListAsync(ws.Owner)).Single(r => r.Key == "stale_deal_task");
        stale.Name = new LocalizedText("我的提醒", "My reminder");
        var (_, saveErrors) = await rules.SaveAsync(ws.Owner, stale);
        Assert.True(saveErrors.IsEmpty, saveErrors.ToString());
        var pool = (await ws.Get<PoolService>().ListAsync(ws.Owner)).Single().Pool;
        var (_, poolErrors) = await ws.Get<PoolDefinitions>().SaveAsync(ws.Owner, new PoolDefinition(pool.Key, pool.Label, "lead", 50, pool.ReclaimCooldownDays, ReturnRules: pool.ReturnRules));
        Assert.True(poolErrors.IsEmpty, poolErrors.ToString());

        var next = Json.Deserialize<TemplateDocument>(Json.Serialize(Workspace.Catalog.Find("leads_opportunities")!.Document))!;
        next.Version = "9.0.0";
        var rule = next.Rules!.Single(r => r.Key == "stale_deal_task");
        rule.Name = new LocalizedText("商机 10 天未跟进提醒", "Deals without activity for 10 days");
        rule.Trigger = rule.Trigger with { Days = 10 };
        var shipped = next.Pools!.Single();
        shipped.DailyClaimLimit = 30;
        shipped.ReclaimCooldownDays = 3;
        next.Rules!.Add(new TemplateRule
        {
            Key = "installer_hears", Name = new LocalizedText("通知安装者", "Tell the installer"), Entity = "lead",
            Trigger = new RuleTrigger { Kind = TriggerKinds.Created },
            Actions = [new TemplateRuleAction { Kind = ActionKinds.Notify, Users = [TemplateChecker.Installer], Text = "新线索 {name}" }],
        });

        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, next, new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Upgraded, result.Outcome);
        Assert.Contains(result.Changes, c => c is { Kind: ChangeKind.KeepYours, Element: "rule", Path: "stale_deal_task", Property: "name" });
        Assert.Contains(result.Changes, c => c is { Kind: ChangeKind.Update, Element: "rule", Path: "stale_deal_task", Property: "trigger" });
        Assert.Contains(result.Changes, c => c is { Kind: ChangeKind.KeepYours, Element: "pool", Path: "lead.public_leads", Property: "dailyClaimLimit" });
        Assert.Contains(result.Changes, c => c is { Kind: ChangeKind.Update, Element: "pool", Path: "lead.public_leads", Property: "reclaimCooldownDays" });

        var after = (await rules.ListAsync(ws.Owner)).Single(r => r.Key == "stale_deal_task");
        Assert.Equal("我的提醒", after.Name.ZhCn);
        Assert.Equal(10, after.Trigger.Days);
        var poolAfter = (await ws.Get<PoolService>().ListAsync(ws.Owner)).Single().Pool;
        Assert.Equal((50, 3), (poolAfter.DailyClaimLimit!.Value, poolAfter.ReclaimCooldownDays!.Value));
        var added = (await rules.ListAsync(ws.Owner)).Single(r => r.Key == "installer_hears");
        Assert.Equal([ws.Owner.UserId], Assert.Single(added.Actions).Users);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Export_then_install_gives_the_same_rules_and_pools(string provider)
    {
        await using var source = await Workspace.CreateAsync(provider);
        await source.InstallAsync("b2b_sales_funnel", withRules: true);
        var departments = source.Get<DepartmentService>();
        var east = (await departments.CreateAsync(source.Owner, "华东销售", null)).Id!.Value;
        var (_, errors) = await source.Get<PoolDefinitions>().SaveAsync(source.Owner, new PoolDefinition("customers", new LocalizedText("客户公海", "Customer pool"), "company", 5, 2,
            EveryoneIsMember: false, Members: [source.Owner.UserId], ReturnRules: [new PoolReturnRule(PoolReturnKind.NoNewRelated, 60, 5, "opportunity")],
            Groups: new PoolGroups { MemberDepartments = [east], AdminRoles = [await RoleAsync(source, "sales_manager")] }));
        Assert.True(errors.IsEmpty, errors.ToString());

        var first = await source.Get<TemplateExporter>().ExportAsync(source.Owner);
        Assert.Equal(4, first.Rules!.Count);
        Assert.Equal(2, first.Pools!.Count);
        var exportedPool = first.Pools.Single(p => p.Key == "customers");
        Assert.Equal([TemplateChecker.Installer], exportedPool.Members!.Users);
        Assert.Equal(["sales_manager"], exportedPool.Admins!.Roles);

        await using var target = await Workspace.CreateAsync(provider);
        var installed = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, Json.Serialize(first), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var second = await target.Get<TemplateExporter>().ExportAsync(target.Owner);
        Assert.Equal(Json.Serialize(first.Rules), Json.Serialize(second.Rules));
        Assert.Equal(Json.Serialize(first.Pools), Json.Serialize(second.Pools));
        var pool = (await target.Get<PoolService>().ListAsync(target.Owner)).Single(p => p.Pool.Key == "customers").Pool;
        Assert.Equal([target.Owner.UserId], pool.Members);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pool_members_by_role_may_claim_and_others_may_not(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities");
        var salesRep = await RoleAsync(ws, "sales_rep");
        var (pool, errors) = await ws.Get<PoolDefinitions>().SaveAsync(ws.Owner, new PoolDefinition("public_leads", new LocalizedText("线索公海", "Lead pool"), "lead", 20, 7,
            EveryoneIsMember: false, Groups: new PoolGroups { MemberRoles = [salesRep] }));
        Assert.True(errors.IsEmpty, errors.ToString());
        var rep = await RepAsync(ws, salesRep);
        var other = await ws.MemberAsync(MemberRole.Member);
        var lead = await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("name", "公海线索"), ("source", "exhibition")));
        Assert.True((await ws.Get<PoolService>().MoveToPoolAsync(ws.Owner, lead.Record!.Id, "public_leads", "test")));
        Assert.False((await ws.Get<PoolService>().ClaimAsync(other, pool!.Id, [lead.Record.Id])).Succeeded);
        Assert.True((await ws.Get<PoolService>().ClaimAsync(rep, pool.Id, [lead.Record.Id])).Succeeded);
        Assert.Equal(rep.UserId, await OwnerOfAsync(ws, lead.Record.Id));
    }
}
