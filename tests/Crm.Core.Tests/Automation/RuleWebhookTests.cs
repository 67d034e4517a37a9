using System.Text.Json.Nodes;
using Crm.Core.Automation;
using Crm.Core.Records;
using Crm.Core.Tests.Webhooks;
using Crm.Core.Webhooks;
using Crm.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Crm.Core.Tests.Automation.RuleKit;

namespace Crm.Core.Tests.Automation;

/// <summary>
/// The rule action "call a webhook": one <c>rule.called</c> delivery for the rule's webhook, staged in the run's
/// transaction through the outbox (then sent signed and logged like any delivery), nothing when the run's
/// transaction rolls back, and the webhook checked when the rule is saved and when it runs. On both databases.
/// </summary>
public class RuleWebhookTests
{
    private static readonly IDataProtectionProvider KeyRing = new EphemeralDataProtectionProvider();
    private static RuleTrigger Created => new() { Kind = TriggerKinds.Created };

    private static async Task<Workspace> ArrangeAsync(string provider)
    {
        var options = new WebhookOptions { AllowPrivateNetworks = true, Retries = 0, RetryDelay = TimeSpan.FromMilliseconds(5), Rounds = 1, Timeout = TimeSpan.FromSeconds(5) };
        return await LeadsAsync(provider, configure: s =>
        {
            s.AddSingleton(options);
            s.AddSingleton(KeyRing);
        });
    }

    /// <summary>A webhook that subscribes to nothing the tests do (deletes only): every delivery seen comes from a rule.</summary>
    private static async Task<WebhookResult> HookAsync(Workspace ws, string url, string description)
    {
        var hook = await ws.Get<WebhookService>().CreateAsync(ws.Owner, new WebhookInput(url, [WebhookEventTypes.RecordDeleted], Description: description));
        Assert.True(hook.Succeeded, hook.Errors.ToString());
        return hook;
    }

    private static async Task<List<WebhookDelivery>> DeliveriesAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.WebhookDeliveries.AsNoTracking().OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).ToListAsync();
    }

    private static RuleAction Call(Guid webhook) => new() { Kind = ActionKinds.CallWebhook, Webhook = webhook };

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_created_lead_stages_exactly_one_delivery_for_the_rules_webhook_which_is_sent_signed_and_says_which_rule_called(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        await using var receiver = await TestReceiver.StartAsync();
        var called = await HookAsync(ws, receiver.BaseUrl + "/called", "ERP 同步");
        await HookAsync(ws, receiver.BaseUrl + "/other", "Other system");
        var rule = await RuleAsync(ws, "lead", Created, null, Call(called.Webhook!.Id));

        var lead = await LeadAsync(ws, ws.Owner, "官网线索");

        var delivery = Assert.Single(await DeliveriesAsync(ws));
        Assert.Equal((called.Webhook.Id, WebhookEventTypes.RuleCalled, lead.Id, WebhookDeliveryStatus.Pending),
            (delivery.WebhookId, delivery.EventType, delivery.RecordId, delivery.Status));
        await using (var global = ws.Database.Factory.CreateGlobal())
            Assert.True(await global.QueuedJobs.AnyAsync(j => j.Kind == WebhookOutbox.JobKind && j.Payload == delivery.Id.ToString()));
        var run = Assert.Single(await RunsAsync(ws, rule.Id));
        Assert.True(run.Succeeded);
        var outcome = Assert.Single(run.Outcomes);
        Assert.Equal((ActionKinds.CallWebhook, "done"), (outcome.Kind, outcome.Status));
        Assert.Contains("ERP 同步", outcome.Message);

        await ws.Get<WebhookDeliverer>().DeliverAsync(ws.Tenant.Id, delivery.Id);
        var got = Assert.Single(receiver.Requests);
        Assert.Equal("/called", got.Path);
        Assert.True(WebhookSignature.Verify(called.Secret!, got.Headers[WebhookSignature.Header], got.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        var body = JsonNode.Parse(got.Body)!.AsObject();
        Assert.Equal("rule.called", (string?)body["type"]);
        Assert.Equal("lead", (string?)body["entity"]);
        Assert.Equal(lead.Id.ToString(), (string?)body["recordId"]);
        Assert.Equal(rule.Id.ToString(), (string?)body["rule"]!["id"]);
        Assert.Equal(rule.Key, (string?)body["rule"]!["key"]);
        Assert.Equal(TriggerKinds.Created, (string?)body["trigger"]);
        Assert.Equal("官网线索", (string?)body["values"]!["name"]);
        Assert.Equal(WebhookDeliveryStatus.Succeeded, Assert.Single(await DeliveriesAsync(ws)).Status);
        Assert.Single(await ws.Get<WebhookService>().AttemptsAsync(ws.Owner, delivery.Id)); // in the webhook's delivery log
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Nothing_is_staged_when_the_save_or_the_runs_transaction_rolls_back_and_a_retried_run_stages_once(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        var hook = await HookAsync(ws, "http://127.0.0.1:9/hook", "ERP");
        var calling = await RuleAsync(ws, "lead", Created, null, Call(hook.Webhook!.Id));

        // The user's save is refused: no rule runs, nothing is staged.
        var refused = await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("source", "website")));
        Assert.False(refused.Succeeded);
        Assert.Empty(await DeliveriesAsync(ws));

        // Another rule's action fails inside the one-transaction path: that transaction (with the staged delivery)
        // rolls back whole, the rules run again one by one, and the webhook is called exactly once.
        var failing = await RuleAsync(ws, "lead", Created, null, new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["estimated_budget"] = "lots" } });
        var lead = await LeadAsync(ws, ws.Owner, "线索");
        var delivery = Assert.Single(await DeliveriesAsync(ws));
        Assert.Equal((hook.Webhook.Id, lead.Id), (delivery.WebhookId, delivery.RecordId));
        Assert.Equal("done", Assert.Single(Assert.Single(await RunsAsync(ws, calling.Id)).Outcomes).Status);
        Assert.False(Assert.Single(await RunsAsync(ws, failing.Id)).Succeeded);
        await using var global = ws.Database.Factory.CreateGlobal();
        Assert.Equal(1, await global.QueuedJobs.CountAsync(j => j.Kind == WebhookOutbox.JobKind && j.TenantId == ws.Tenant.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_webhook_switched_off_or_deleted_after_the_rule_was_saved_fails_the_action_with_its_name_and_stages_nothing(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        var hook = await HookAsync(ws, "http://127.0.0.1:9/hook", "ERP 同步");
        var rule = await RuleAsync(ws, "lead", Created, null, Call(hook.Webhook!.Id), new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["value_tier"] = "low" } });
        Assert.True(await ws.Get<WebhookService>().SetEnabledAsync(ws.Owner, hook.Webhook.Id, false));

        var lead = await LeadAsync(ws, ws.Owner, "线索");
        Assert.Empty(await DeliveriesAsync(ws));
        var run = Assert.Single(await RunsAsync(ws, rule.Id));
        Assert.False(run.Succeeded);
        Assert.Equal("failed", run.Outcomes[0].Status);
        Assert.Contains("ERP 同步", run.Outcomes[0].Message);
        Assert.Equal("done", run.Outcomes[1].Status); // the other action and the save are kept
        Assert.Equal("low", Values(await ReloadAsync(ws, lead.Id))["value_tier"]!.GetValue<string>());

        Assert.True(await ws.Get<WebhookService>().DeleteAsync(ws.Owner, hook.Webhook.Id));
        await LeadAsync(ws, ws.Owner, "线索 2");
        Assert.Empty(await DeliveriesAsync(ws));
        var second = (await RunsAsync(ws, rule.Id))[1];
        Assert.Equal("failed", second.Outcomes[0].Status);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Saving_a_rule_refuses_a_missing_unknown_disabled_or_deleted_webhook_naming_the_actions_field(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        var service = ws.Get<AutomationRuleService>();
        var lead = (await ws.MetadataAsync()).Entity("lead")!.Entity.Id;
        var off = await HookAsync(ws, "http://127.0.0.1:9/off", "Switched off");
        Assert.True(await ws.Get<WebhookService>().SetEnabledAsync(ws.Owner, off.Webhook!.Id, false));
        var gone = await HookAsync(ws, "http://127.0.0.1:9/gone", "Gone");
        Assert.True(await ws.Get<WebhookService>().DeleteAsync(ws.Owner, gone.Webhook!.Id));
        var on = await HookAsync(ws, "http://127.0.0.1:9/on", "On");

        AutomationRule With(params RuleAction[] actions) => new()
        {
            EntityTypeId = lead, Name = new("调用", "Call"), Trigger = Created, Actions = [.. actions],
        };
        var (saved, errors) = await service.SaveAsync(ws.Owner, With(
            new RuleAction { Kind = ActionKinds.CallWebhook }, Call(Guid.NewGuid()), Call(off.Webhook.Id), Call(gone.Webhook.Id), Call(on.Webhook!.Id)));
        Assert.Null(saved);
        var byPath = errors.ToDictionary();
        Assert.Equal(["actions[0].webhook", "actions[1].webhook", "actions[2].webhook", "actions[3].webhook"], byPath.Keys.Order().ToArray());
        Assert.Contains("Switched off", Assert.Single(byPath["actions[2].webhook"]));
        Assert.Empty(await service.ListAsync(ws.Owner));

        var (ok, none) = await service.SaveAsync(ws.Owner, With(Call(on.Webhook.Id)));
        Assert.True(none.IsEmpty, none.ToString());
        Assert.Equal(on.Webhook.Id, Assert.Single((await service.GetAsync(ws.Owner, ok!.Id))!.Actions).Webhook);
        Assert.Equal([(on.Webhook.Id, "On")], await service.WebhookChoicesAsync(ws.Owner));
    }
}
