using System.Text.Json.Nodes;
using Crm.Core.Automation;
using Crm.Core.Notifications;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Automation;

/// <summary>Shared set-up of the automation tests: a 线索与商机 workspace (with no template rules), rules, leads.</summary>
internal static class RuleKit
{
    public static async Task<Workspace> LeadsAsync(string provider, TimeProvider? clock = null, Action<IServiceCollection>? configure = null)
    {
        var ws = await Workspace.CreateAsync(provider, clock, configure);
        await ws.InstallAsync("leads_opportunities");
        // The starter template's own rules would act on the same leads: switch them off.
        foreach (var rule in await ws.Get<AutomationRuleService>().ListAsync(ws.Owner))
            await ws.Get<AutomationRuleService>().SetStateAsync(ws.Owner, rule.Id, enabled: false, archived: true);
        return ws;
    }

    public static async Task<AutomationRule> RuleAsync(Workspace ws, string entityKey, RuleTrigger trigger, RuleConditions? conditions, params RuleAction[] actions)
    {
        var metadata = await ws.MetadataAsync();
        var (rule, errors) = await ws.Get<AutomationRuleService>().SaveAsync(ws.Owner, new AutomationRule
        {
            EntityTypeId = metadata.Entity(entityKey)!.Entity.Id,
            Name = new("规则" + Guid.NewGuid().ToString("N")[..6], "Rule"),
            Trigger = trigger,
            Conditions = conditions ?? new RuleConditions(),
            Actions = [.. actions],
        });
        Assert.True(errors.IsEmpty, errors.ToString());
        return rule!;
    }

    public static async Task<Record> LeadAsync(Workspace ws, Actor actor, string name, string source = "website", params (string Key, JsonNode? Value)[] more)
    {
        var result = await ws.Records.CreateAsync(actor, "lead", RecordInput.Of([("name", name), ("source", source), .. more]));
        Assert.True(result.Succeeded, result.Errors.ToString());
        return result.Record!;
    }

    public static async Task<Record> ReloadAsync(Workspace ws, Guid id)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().FirstAsync(r => r.Id == id);
    }

    public static JsonObject Values(Record record) => RecordWriter.ParseValues(record.Values);

    public static async Task<List<AutomationRun>> RunsAsync(Workspace ws, Guid ruleId)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.AutomationRuns.AsNoTracking().Where(r => r.RuleId == ruleId).OrderBy(r => r.At).ThenBy(r => r.Id).ToListAsync();
    }

    public static async Task<List<Crm.Core.Activities.Activity>> TasksAsync(Workspace ws, Guid recordId)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Activities.AsNoTracking().Where(a => a.RecordId == recordId && a.Kind == Crm.Core.Activities.ActivityKind.Task).ToListAsync();
    }
}

/// <summary>Stands in for the pools feature's notification service: remembers what it was asked.</summary>
public sealed class RecordingNotifications : INotificationService
{
    public List<(Guid TenantId, NotificationRequest Request)> Sent { get; } = [];

    public Task NotifyAsync(Guid tenantId, NotificationRequest request, CancellationToken ct = default)
    {
        lock (Sent) Sent.Add((tenantId, request));
        return Task.CompletedTask;
    }
}

/// <summary>Stands in for the pools feature: knows one pool, "public", and remembers what it moved.</summary>
public sealed class RecordingPoolMover : IPoolMover
{
    public List<(Guid RecordId, string Pool, string Reason)> Moved { get; } = [];

    public async Task<bool> MoveToPoolAsync(Actor actor, Guid recordId, string poolKey, string reason, CancellationToken ct = default)
    {
        if (poolKey != "public") return false;
        lock (Moved) Moved.Add((recordId, poolKey, reason));
        await Task.Yield();
        return true;
    }
}
