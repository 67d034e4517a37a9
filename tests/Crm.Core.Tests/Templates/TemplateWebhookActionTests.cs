using System.Text.Json.Nodes;
using Crm.Core.Automation;
using Crm.Core.Metadata;
using Crm.Core.Templates;
using Crm.Core.Webhooks;
using Crm.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Templates;

/// <summary>
/// Webhooks are not template data (URL and secret belong to one installation): the schema and the checker refuse a
/// "callWebhook" action in a template with its JSON path, the exporter leaves the call out (the rule exported
/// disabled for review; a rule that only called webhooks is not exported), and an upgrade keeps a call the admin added.
/// </summary>
public class TemplateWebhookActionTests
{
    private static readonly IDataProtectionProvider KeyRing = new EphemeralDataProtectionProvider();

    private static Task<Workspace> CreateAsync(string provider) => Workspace.CreateAsync(provider, configure: s =>
    {
        s.AddSingleton(new WebhookOptions { AllowPrivateNetworks = true });
        s.AddSingleton(KeyRing);
    });

    private static TemplateDocument Leads() => Json.Deserialize<TemplateDocument>(Json.Serialize(Workspace.Catalog.Find("leads_opportunities")!.Document))!;

    private static async Task<Guid> HookAsync(Workspace ws)
    {
        var hook = await ws.Get<WebhookService>().CreateAsync(ws.Owner, new WebhookInput("http://127.0.0.1:9/hook", [WebhookEventTypes.RecordDeleted], Description: "ERP"));
        Assert.True(hook.Succeeded, hook.Errors.ToString());
        return hook.Webhook!.Id;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_schema_and_the_checker_refuse_a_webhook_call_in_a_template_naming_its_path(string provider)
    {
        await using var ws = await CreateAsync(provider);
        var installer = ws.Get<TemplateInstaller>();

        // As a file: the JSON Schema refuses the kind.
        var json = JsonNode.Parse(Json.Serialize(Leads()))!.AsObject();
        var actions = json["rules"]![0]!["actions"]!.AsArray();
        var index = actions.Count;
        actions.Add(new JsonObject { ["kind"] = ActionKinds.CallWebhook });
        var fromFile = await installer.InstallAsync(ws.Owner, json.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Refused, fromFile.Outcome);
        Assert.Contains($"$.rules[0].actions[{index}].kind", fromFile.Errors.ToDictionary().Keys);

        // As a document (past the schema): the checker refuses it with its own message.
        var doc = Leads();
        doc.Rules![0].Actions.Add(new TemplateRuleAction { Kind = ActionKinds.CallWebhook });
        var fromDocument = await installer.InstallAsync(ws.Owner, doc, new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Refused, fromDocument.Outcome);
        var message = Assert.Single(fromDocument.Errors.ToDictionary()[$"$.rules[0].actions[{index}].kind"]);
        Assert.Contains("webhook", message, StringComparison.OrdinalIgnoreCase);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.False(await db.AutomationRules.AnyAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Export_leaves_webhook_calls_out_disables_the_rule_for_review_and_the_file_installs_elsewhere(string provider)
    {
        await using var source = await CreateAsync(provider);
        await source.InstallAsync("leads_opportunities");
        var hook = await HookAsync(source);
        var rules = source.Get<AutomationRuleService>();
        var lead = (await source.MetadataAsync()).Entity("lead")!.Entity.Id;
        foreach (var (key, actions) in new[]
        {
            ("tell_and_call", new List<RuleAction> { new() { Kind = ActionKinds.Notify, Assignee = "owner", Text = "新线索 {name}" }, new() { Kind = ActionKinds.CallWebhook, Webhook = hook } }),
            ("only_call", new List<RuleAction> { new() { Kind = ActionKinds.CallWebhook, Webhook = hook } }),
        })
        {
            var (_, errors) = await rules.SaveAsync(source.Owner, new AutomationRule
            {
                Key = key, EntityTypeId = lead, Name = new(key, key), Trigger = new RuleTrigger { Kind = TriggerKinds.Created }, Actions = actions,
            });
            Assert.True(errors.IsEmpty, errors.ToString());
        }

        var exported = await source.Get<TemplateExporter>().ExportAsync(source.Owner);
        Assert.DoesNotContain(exported.Rules ?? [], r => r.Key == "only_call");
        var kept = Assert.Single(exported.Rules!, r => r.Key == "tell_and_call");
        Assert.False(kept.Enabled);
        Assert.Equal(ActionKinds.Notify, Assert.Single(kept.Actions).Kind);
        Assert.DoesNotContain(ActionKinds.CallWebhook, Json.Serialize(exported));

        await using var target = await CreateAsync(provider);
        var installed = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, Json.Serialize(exported), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var rule = (await target.Get<AutomationRuleService>().ListAsync(target.Owner)).Single(r => r.Key == "tell_and_call");
        Assert.False(rule.IsEnabled);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_upgrade_keeps_a_webhook_call_the_admin_added_to_a_template_rule(string provider)
    {
        await using var ws = await CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities", withRules: true);
        var hook = await HookAsync(ws);
        var rules = ws.Get<AutomationRuleService>();
        var stale = (await rules.ListAsync(ws.Owner)).Single(r => r.Key == "stale_deal_task");
        stale.Actions = [.. stale.Actions, new RuleAction { Kind = ActionKinds.CallWebhook, Webhook = hook }];
        var (_, errors) = await rules.SaveAsync(ws.Owner, stale);
        Assert.True(errors.IsEmpty, errors.ToString());

        var next = Leads();
        next.Version = "9.0.0";
        var shipped = next.Rules!.Single(r => r.Key == "stale_deal_task");
        shipped.Actions[0].Text = "商机已 14 天没有跟进：{name}";
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, next, new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Upgraded, result.Outcome);
        Assert.Contains(result.Changes, c => c is { Kind: ChangeKind.KeepYours, Element: "rule", Path: "stale_deal_task", Property: "actions" });
        var after = (await rules.ListAsync(ws.Owner)).Single(r => r.Key == "stale_deal_task");
        Assert.Equal(hook, after.Actions.Single(a => a.Kind == ActionKinds.CallWebhook).Webhook);
    }
}
