using System.Diagnostics;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Automation;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Benchmarks;

/// <summary>
/// Issue 11: creating 10,000 leads through the app's record service in a workspace with 5 active rules (a created
/// rule that assigns round robin, one that sets a field, one that adds a task, one that notifies the owner, and an
/// updated rule that does not match a create) against the same creates in a workspace with no rules. Both
/// workspaces are new for each run (the 线索与商机 template, its own rules archived); the creates run turn about in
/// chunks, so load on the machine hits both alike.
/// </summary>
public static class AutomationBenchmark
{
    public static async Task<int> RunAsync(string connection, int count, bool trace = false)
    {
        var commands = trace ? CommandTrace.Start() : null;
        var services = new ServiceCollection().AddLogging().AddLocalization().AddCrmCore(DatabaseProvider.Postgres, connection).BuildServiceProvider();
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        await using (var db = factory.CreateGlobal()) await db.Database.MigrateAsync();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (withRules, members) = await WorkspaceAsync(services, factory, "bench-auto-" + tag);
        var (without, _) = await WorkspaceAsync(services, factory, "bench-none-" + tag);
        await RulesAsync(services, withRules, members);
        var records = services.GetRequiredService<RecordService>();

        var created = new Dictionary<Guid, int>();
        async Task CreateAsync(Actor actor, int n)
        {
            for (var i = 0; i < n; i++)
            {
                var k = created[actor.TenantId] = created.GetValueOrDefault(actor.TenantId) + 1;
                var result = await records.CreateAsync(actor, "lead", RecordInput.Of(("name", $"线索 {k}"), ("source", "website"), ("company_name", $"客户 {k % 500}")));
                if (!result.Succeeded) throw new InvalidOperationException(result.Errors.ToString());
            }
        }

        // Warm-up (JIT, caches, connection pool), then chunks turn about.
        const int chunk = 250;
        await CreateAsync(without, 100);
        await CreateAsync(withRules, 100);
        if (commands is not null)
        {
            // What one create sends, with and without rules (counted on 20 creates each, not timed).
            commands.On = true;
            await CreateAsync(without, 20);
            commands.On = false;
            commands.Print("no rules", 20);
            commands.On = true;
            await CreateAsync(withRules, 20);
            commands.On = false;
            commands.Print("5 rules", 20);
        }
        double app = 0, sql = 0;
        var sw = new Stopwatch();
        for (var done = 0; done < count; done += chunk)
        {
            var n = Math.Min(chunk, count - done);
            sw.Restart();
            await CreateAsync(without, n);
            sql += sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            await CreateAsync(withRules, n);
            app += sw.Elapsed.TotalMilliseconds;
        }

        // The rules did their work: owners alternate, every lead has its task, field and notification, one run per rule.
        await using (var db = factory.CreateForTenant(withRules.TenantId))
        {
            var owners = await db.Records.GroupBy(r => r.OwnerId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
            var tasks = await db.Activities.CountAsync();
            var notifications = await db.Notifications.CountAsync();
            var runs = await db.AutomationRuns.CountAsync();
            var failed = await db.AutomationRuns.CountAsync(r => !r.Succeeded);
            Console.WriteLine(FormattableString.Invariant(
                $"automation/check: {created[withRules.TenantId]} leads, owners {string.Join("/", owners.Select(o => o.Count))}, {tasks} tasks, {notifications} notifications, {runs} runs, {failed} failed"));
        }
        Console.WriteLine(Measure.Line("automation", app, sql) + FormattableString.Invariant($" ({count} creates each; {app / count:0.00} vs {sql / count:0.00} ms per create)"));
        return 0;
    }

    private static async Task RulesAsync(ServiceProvider services, Actor actor, IReadOnlyList<Guid> members)
    {
        var metadata = await services.GetRequiredService<MetadataStore>().GetAsync(actor.TenantId);
        var lead = metadata.Entity("lead")!.Entity.Id;
        var rules = services.GetRequiredService<AutomationRuleService>();
        AutomationRule Rule(string name, RuleTrigger trigger, RuleConditions? conditions, RuleAction action) => new()
        {
            EntityTypeId = lead, Name = LocalizedText.Same(name), Trigger = trigger, Conditions = conditions ?? new RuleConditions(), Actions = [action],
        };
        var website = new RuleConditions { Filters = [new FilterSpec("source", "eq", JsonValue.Create("website"))] };
        foreach (var rule in new[]
        {
            Rule("官网线索分配", new RuleTrigger(), website, new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.RoundRobin, Users = [.. members] }),
            Rule("需求说明", new RuleTrigger(), null, new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["requirement"] = "来自官网：{company_name}" } }),
            Rule("跟进任务", new RuleTrigger(), website, new RuleAction { Kind = ActionKinds.CreateTask, Text = "跟进 {name}", DueDays = 1 }),
            Rule("通知负责人", new RuleTrigger(), null, new RuleAction { Kind = ActionKinds.Notify, Assignee = "owner", Text = "新线索 {name}" }),
            Rule("状态变化", new RuleTrigger { Kind = TriggerKinds.Updated, Fields = ["lead_status"] }, null,
                new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["next_follow_up"] = "$today+3" } }),
        })
        {
            var (_, errors) = await rules.SaveAsync(actor, rule);
            if (!errors.IsEmpty) throw new InvalidOperationException(errors.ToString());
        }
    }

    private static async Task<(Actor Actor, List<Guid> Members)> WorkspaceAsync(ServiceProvider services, ICrmDbContextFactory factory, string slug)
    {
        await using var global = factory.CreateGlobal();
        var tenant = new TenantInfo { Identifier = slug, Name = "Automation benchmark", DefaultCulture = "zh-CN" };
        global.Tenants.Add(tenant);
        var users = new List<ApplicationUser>();
        foreach (var name in new[] { "Bench Owner", "销售甲", "销售乙" })
        {
            var email = $"bench-{Guid.NewGuid():N}@example.test";
            users.Add(new ApplicationUser { UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(), DisplayName = name, SecurityStamp = Guid.NewGuid().ToString() });
        }
        global.Users.AddRange(users);
        await global.SaveChangesAsync();
        global.Memberships.Add(new TenantMembership { TenantId = tenant.Id, UserId = users[0].Id, Role = MemberRole.Owner });
        global.Memberships.AddRange(users.Skip(1).Select(u => new TenantMembership { TenantId = tenant.Id, UserId = u.Id, Role = MemberRole.Member }));
        await global.SaveChangesAsync();
        var actor = new Actor(users[0].Id, users[0].DisplayName, tenant, MemberRole.Owner);

        var catalog = new TemplateCatalog(TemplateCatalog.DefaultFolder(AppContext.BaseDirectory));
        var installed = await services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, catalog.Find("leads_opportunities")!.Document, new InstallOptions(WithSampleData: false));
        if (!installed.Succeeded) throw new InvalidOperationException("Template install failed: " + installed.Errors);
        // Rules a starter template ships are not part of either side.
        var rules = services.GetRequiredService<AutomationRuleService>();
        foreach (var rule in await rules.ListAsync(actor)) await rules.SetStateAsync(actor, rule.Id, enabled: false, archived: true);
        return (actor, users.Skip(1).Select(u => u.Id).ToList());
    }
}
