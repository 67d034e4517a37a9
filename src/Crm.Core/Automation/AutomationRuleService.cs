using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Automation;

/// <summary>A run as the rule page and the record page show it.</summary>
public sealed record RunView(AutomationRun Run, string RuleName, string RecordTitle);

/// <summary>
/// Admins' side of automation rules: list, save (validated, key derived from the name), enable/disable, archive,
/// and the run history. Every save bumps the tenant's metadata version, so cached rule lists everywhere (also on
/// other instances) are dropped: a disabled rule stops at once.
/// </summary>
public sealed class AutomationRuleService(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock)
{
    public async Task<IReadOnlyList<AutomationRule>> ListAsync(Actor actor, Guid? entityTypeId = null, bool includeArchived = false, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var query = db.AutomationRules.AsNoTracking();
        if (entityTypeId is { } id) query = query.Where(r => r.EntityTypeId == id);
        if (!includeArchived) query = query.Where(r => !r.IsArchived);
        return await query.OrderBy(r => r.SortOrder).ThenBy(r => r.CreatedAt).ToListAsync(ct);
    }

    public async Task<AutomationRule?> GetAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await db.AutomationRules.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
    }

    /// <summary>Creates (<see cref="AutomationRule.Id"/> unknown) or replaces a rule. Admins only.</summary>
    public async Task<(AutomationRule? Rule, ValidationErrors Errors)> SaveAsync(Actor actor, AutomationRule input, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Admin);
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var errors = new ValidationErrors();
        RuleValidator.Validate(input, metadata.Entity(input.EntityTypeId), metadata, errors, t);
        if (input.Actions.Any(a => a.Kind == ActionKinds.CallWebhook)) await RuleWebhooks.ValidateAsync(db, input, errors, t, ct);
        if (!errors.IsEmpty) return (null, errors);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var rule = await db.AutomationRules.FirstOrDefaultAsync(r => r.Id == input.Id, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        if (rule is null)
        {
            var keys = await db.AutomationRules.Select(r => r.Key).ToListAsync(ct);
            rule = new AutomationRule
            {
                Id = input.Id,
                Key = MetadataKeys.IsValid(input.Key) && !keys.Contains(input.Key) ? input.Key : MetadataKeys.Derive(input.Name.Get(), keys, "rule"),
                CreatedAt = now,
                Origin = input.Origin,
                SortOrder = keys.Count,
            };
            db.AutomationRules.Add(rule);
        }
        rule.EntityTypeId = input.EntityTypeId;
        rule.Name = input.Name;
        rule.IsEnabled = input.IsEnabled;
        rule.IsArchived = input.IsArchived;
        rule.Trigger = input.Trigger;
        rule.Conditions = input.Conditions;
        rule.Actions = input.Actions;
        rule.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await MetadataStore.BumpVersionAsync(db, ct);
        await tx.CommitAsync(ct);
        return (rule, errors);
    }

    /// <summary>The webhooks a rule may call (enabled ones, by name), for the rule editor. Admins only.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Name)>> WebhookChoicesAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Admin);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var hooks = await db.Webhooks.AsNoTracking().Where(w => w.IsEnabled).OrderBy(w => w.CreatedAt).ToListAsync(ct);
        return hooks.Select(w => (w.Id, RuleWebhooks.DisplayName(w))).ToList();
    }

    /// <summary>Switches a rule on or off, or archives it (<paramref name="archived"/>); effective for the next write.</summary>
    public async Task<bool> SetStateAsync(Actor actor, Guid id, bool enabled, bool archived = false, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Admin);
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var rule = await db.AutomationRules.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null) return false;
        rule.IsEnabled = enabled;
        rule.IsArchived = archived;
        rule.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        await MetadataStore.BumpVersionAsync(db, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>The newest runs of a rule (the rule page) or on a record (the record page), with names to show.</summary>
    public async Task<IReadOnlyList<RunView>> RunsAsync(Actor actor, Guid? ruleId = null, Guid? recordId = null, int take = 50, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var query = db.AutomationRuns.AsNoTracking();
        if (ruleId is { } rid) query = query.Where(r => r.RuleId == rid);
        if (recordId is { } rec) query = query.Where(r => r.RecordId == rec);
        var runs = await query.OrderByDescending(r => r.At).ThenByDescending(r => r.Id).Take(Math.Clamp(take, 1, 500)).ToListAsync(ct);
        var ruleIds = runs.Select(r => r.RuleId).Distinct().ToList();
        var recordIds = runs.Select(r => r.RecordId).Distinct().ToList();
        var names = await db.AutomationRules.AsNoTracking().Where(r => ruleIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Name, ct);
        var titles = await db.Records.AsNoTracking().Where(r => recordIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.Title, ct);
        return runs.Select(r => new RunView(r, names.TryGetValue(r.RuleId, out var n) ? n.Get() : "", titles.GetValueOrDefault(r.RecordId) ?? "")).ToList();
    }
}
