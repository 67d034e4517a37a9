using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Automation;

/// <summary>
/// The "call a webhook" action's checks and names: a rule may only name an enabled webhook of its workspace (a
/// deleted or switched-off one is refused on save, keyed <c>actions[i].webhook</c>, and reported by the run).
/// </summary>
public static class RuleWebhooks
{
    /// <summary>How a webhook is named to people: its description, else its URL.</summary>
    public static string DisplayName(Webhook hook) => string.IsNullOrWhiteSpace(hook.Description) ? hook.Url : hook.Description.Trim();

    /// <summary>Refuses callWebhook actions naming a webhook that does not exist (any more) or is switched off.</summary>
    public static async Task ValidateAsync(CrmDbContext db, AutomationRule rule, ValidationErrors errors, IStringLocalizer<CoreStrings> t, CancellationToken ct, string prefix = "")
    {
        var ids = rule.Actions.Where(a => a.Kind == ActionKinds.CallWebhook && a.Webhook is { } g && g != Guid.Empty).Select(a => a.Webhook!.Value).Distinct().ToList();
        var hooks = ids.Count == 0 ? [] : await db.Webhooks.AsNoTracking().Where(w => ids.Contains(w.Id)).ToDictionaryAsync(w => w.Id, ct);
        for (var i = 0; i < rule.Actions.Count; i++)
        {
            var a = rule.Actions[i];
            if (a.Kind != ActionKinds.CallWebhook || a.Webhook is not { } id || id == Guid.Empty) continue;
            var path = $"{prefix}actions[{i}].webhook";
            if (!hooks.TryGetValue(id, out var hook)) errors.Add(path, t["Automation.WebhookMissing"]);
            else if (!hook.IsEnabled) errors.Add(path, t["Automation.WebhookDisabled", DisplayName(hook)]);
        }
    }
}

internal sealed partial class RuleActions
{
    /// <summary>
    /// Stages one <c>rule.called</c> delivery for the action's webhook through the outbox, on the run's context: it
    /// commits (and is then sent, signed, retried and logged like any delivery) or rolls back with the run.
    /// </summary>
    private async Task<ActionOutcome> CallWebhookAsync(int index, RuleAction action, Record record, CancellationToken ct)
    {
        var hook = action.Webhook is { } id ? await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, ct) : null;
        if (hook is null) return new ActionOutcome(index, action.Kind, "failed", t["Automation.WebhookMissing"]);
        if (!hook.IsEnabled) return new ActionOutcome(index, action.Kind, "failed", t["Automation.WebhookDisabled", RuleWebhooks.DisplayName(hook)]);
        var entity = metadata.Entity(record.EntityTypeId);
        var rule = run.Rule;
        var data = new JsonObject
        {
            ["rule"] = new JsonObject { ["id"] = rule.Id, ["key"] = rule.Key, ["name"] = rule.Name.Get() },
            ["trigger"] = run.Trigger,
            ["title"] = record.Title,
            ["version"] = record.Version,
            ["values"] = RecordWriter.ParseValues(record.Values),
        };
        // A fresh outbox: its cache of enabled webhooks must not outlive this action (the fallback path runs again).
        var staged = await new WebhookOutbox().StageAsync(db, run.Tenant.Identifier, WebhookEventTypes.RuleCalled, entity?.Entity.Key, record.Id, Now, data, ct, hook.Id);
        return staged == 0
            ? new ActionOutcome(index, action.Kind, "failed", t["Automation.WebhookDisabled", RuleWebhooks.DisplayName(hook)])
            : new ActionOutcome(index, action.Kind, "done", t["Automation.WebhookQueued", RuleWebhooks.DisplayName(hook)]);
    }
}
