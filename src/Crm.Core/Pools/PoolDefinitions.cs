using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Pools;

/// <summary>A pool as an admin or a template defines it; entity and related entity by key.</summary>
public sealed record PoolDefinition(
    string Key,
    LocalizedText Label,
    string EntityKey,
    int? DailyClaimLimit = null,
    int? ReclaimCooldownDays = null,
    bool EveryoneIsMember = true,
    IReadOnlyList<Guid>? Members = null,
    IReadOnlyList<Guid>? Admins = null,
    IReadOnlyList<PoolReturnRule>? ReturnRules = null,
    PoolGroups? Groups = null);

/// <summary>Creates and changes pools (workspace admins), with errors that name the setting.</summary>
public sealed class PoolDefinitions(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock, Audit.AuditTrail audit)
{
    public const int MaxDays = 3650;

    /// <summary>Checks a definition against the workspace's metadata; errors keyed by setting name (key, dailyClaimLimit, returnRules[0].days …).</summary>
    public ValidationErrors Validate(TenantMetadata metadata, PoolDefinition d)
    {
        var errors = new ValidationErrors();
        if (!MetadataKeys.IsValid(d.Key)) errors.Add("key", t["Pool.Def.Key", d.Key ?? ""]);
        if (string.IsNullOrWhiteSpace(d.Label?.ZhCn) && string.IsNullOrWhiteSpace(d.Label?.En)) errors.Add("label", t["Pool.Def.Label"]);
        var entity = metadata.Entity(d.EntityKey ?? "");
        if (entity is null) errors.Add("entity", t["Pool.Def.Entity", d.EntityKey ?? ""]);
        else if (entity.OwnerField is null) errors.Add("entity", t["Pool.Def.NoOwner", entity.Entity.Label.Get()]);
        if (d.DailyClaimLimit is < 1 or > 10000) errors.Add("dailyClaimLimit", t["Pool.Def.Range", "dailyClaimLimit", 1, 10000]);
        if (d.ReclaimCooldownDays is < 0 or > MaxDays) errors.Add("reclaimCooldownDays", t["Pool.Def.Range", "reclaimCooldownDays", 0, MaxDays]);
        var rules = d.ReturnRules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            var path = $"returnRules[{i}]";
            if (r.Days is < 1 or > MaxDays) errors.Add(path + ".days", t["Pool.Def.Range", path + ".days", 1, MaxDays]);
            if (r.ReminderDaysBefore is { } m && (m < 1 || m >= r.Days)) errors.Add(path + ".reminderDaysBefore", t["Pool.Def.Reminder", path + ".reminderDaysBefore", r.Days]);
            if (r.Kind == PoolReturnKind.NoNewRelated && entity is not null)
            {
                var other = metadata.Entity(r.RelatedEntity ?? "");
                if (other is null || !other.AllFields.Any(f => f.Type == "lookup" && f.Settings.Target == entity.Key))
                    errors.Add(path + ".relatedEntity", t["Pool.Def.Related", r.RelatedEntity ?? "", entity.Entity.Label.Get()]);
            }
            if (r.KeepStatuses is { Count: > 0 } keep && entity is not null)
            {
                var list = entity.StatusField is { } sf ? metadata.StatusList(sf.Settings.StatusList) : null;
                for (var k = 0; k < keep.Count; k++)
                    if (list is null || !list.AllOptions.Any(o => o.Key == keep[k] || o.GroupKey == keep[k]))
                        errors.Add($"{path}.keepStatuses[{k}]", t["Pool.Def.Status", $"{path}.keepStatuses[{k}]", keep[k] ?? "", entity.Entity.Label.Get()]);
            }
            if (r.Kind == PoolReturnKind.NotWon && entity is not null && !entity.AllPipelines.SelectMany(p => p.AllStages).Any(s => s.Kind == StageKind.Won))
                errors.Add(path + ".kind", t["Pool.Def.NoWonStage", entity.Entity.Label.Get()]);
        }
        return errors;
    }

    /// <summary>Creates the pool or updates the one with the same entity type and key.</summary>
    public async Task<(Pool? Pool, ValidationErrors Errors)> SaveAsync(Actor actor, PoolDefinition d, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var errors = Validate(metadata, d);
        if (!errors.IsEmpty) return (null, errors);
        var entity = metadata.Entity(d.EntityKey)!;
        var pool = await db.Pools.FirstOrDefaultAsync(p => p.EntityTypeId == entity.Entity.Id && p.Key == d.Key, ct);
        var isNew = pool is null;
        if (pool is null)
        {
            var order = await db.Pools.Where(p => p.EntityTypeId == entity.Entity.Id).Select(p => (int?)p.SortOrder).MaxAsync(ct) ?? -1;
            db.Pools.Add(pool = new Pool { EntityTypeId = entity.Entity.Id, Key = d.Key, SortOrder = order + 1 });
        }
        Apply(pool, d);
        pool.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        audit.Stage(db, actor, new Audit.AuditEvent(isNew ? Audit.AuditActions.PoolCreated : Audit.AuditActions.PoolEdited, Audit.AuditActions.Targets.Pool,
            pool.Id.ToString(), pool.Label.Get(), new System.Text.Json.Nodes.JsonObject
            {
                ["entity"] = entity.Key, ["dailyClaimLimit"] = pool.DailyClaimLimit, ["reclaimCooldownDays"] = pool.ReclaimCooldownDays,
                ["members"] = pool.Members.Count, ["admins"] = pool.Admins.Count, ["returnRules"] = pool.ReturnRules.Count,
            }));
        await db.SaveChangesAsync(ct);
        return (pool, errors);
    }

    /// <summary>Every pool of the workspace, archived ones last, for the settings page (workspace admins).</summary>
    public async Task<IReadOnlyList<Pool>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await db.Pools.AsNoTracking().OrderBy(p => p.IsArchived).ThenBy(p => p.SortOrder).ThenBy(p => p.Key).ToListAsync(ct);
    }

    /// <summary>
    /// Archives a pool (workspace admins): it leaves the pool pages and the sweep; its records keep their pool id
    /// and come back with it when it is saved again. False when there is no such pool.
    /// </summary>
    public async Task<bool> ArchiveAsync(Actor actor, Guid poolId, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var pool = await db.Pools.FirstOrDefaultAsync(p => p.Id == poolId, ct);
        if (pool is null) return false;
        if (pool.IsArchived) return true;
        pool.IsArchived = true;
        pool.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        audit.Stage(db, actor, new Audit.AuditEvent(Audit.AuditActions.PoolArchived, Audit.AuditActions.Targets.Pool, pool.Id.ToString(), pool.Label.Get()));
        await db.SaveChangesAsync(ct);
        return true;
    }

    public static void Apply(Pool pool, PoolDefinition d)
    {
        pool.Label = d.Label;
        pool.DailyClaimLimit = d.DailyClaimLimit;
        pool.ReclaimCooldownDays = d.ReclaimCooldownDays;
        pool.EveryoneIsMember = d.EveryoneIsMember;
        pool.Members = [.. d.Members ?? []];
        pool.Admins = [.. d.Admins ?? []];
        pool.ReturnRules = [.. d.ReturnRules ?? []];
        pool.Groups = d.Groups ?? new PoolGroups();
        pool.IsArchived = false;
    }
}
