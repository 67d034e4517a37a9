using Crm.Core.Automation;
using Crm.Core.Pools;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Templates;

// Rules and pools, merged by key like fields and permissions: added when new, each property updated only when the
// workspace still has the installed version's value, so an admin's edit of a rule or pool survives an upgrade.
internal sealed partial class TemplateMerger
{
    /// <summary>The installing admin ("$installer").</summary>
    public Guid Installer { get; init; }
    /// <summary>Who installed the previous version: "$installer" of existing rules and pools meant them.</summary>
    public Guid? PreviousInstaller { get; init; }

    private async Task<PeopleKeys> PeopleAsync(Guid installer, CancellationToken ct)
    {
        await db.RoleDefinitions.LoadAsync(ct);
        await db.Departments.LoadAsync(ct);
        var roles = db.RoleDefinitions.Local.Where(r => !string.IsNullOrEmpty(r.Key)).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        var departments = db.Departments.Local.Where(d => d.Key is not null).GroupBy(d => d.Key!).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        return new PeopleKeys(roles, departments, installer);
    }

    private async Task MergeAutomationAsync(CancellationToken ct)
    {
        if (doc.Pools is not { Count: > 0 } && doc.Rules is not { Count: > 0 }) return;
        var fresh = await PeopleAsync(Installer, ct);
        var kept = PreviousInstaller is { } previous && previous != Installer ? await PeopleAsync(previous, ct) : fresh;
        await MergePoolsAsync(fresh, kept, ct);
        await MergeRulesAsync(fresh, kept, ct);
    }

    private async Task MergePoolsAsync(PeopleKeys fresh, PeopleKeys kept, CancellationToken ct)
    {
        if (doc.Pools is not { Count: > 0 }) return;
        var pools = await db.Pools.ToListAsync(ct);
        foreach (var p in doc.Pools)
        {
            var entity = _entities.FirstOrDefault(e => e.Key == p.Entity);
            if (entity is null) continue;
            var path = $"{p.Entity}.{p.Key}";
            var oldPool = old?.Pools?.FirstOrDefault(x => x.Key == p.Key && x.Entity == p.Entity);
            var current = pools.FirstOrDefault(x => x.EntityTypeId == entity.Id && x.Key == p.Key);
            if (current is null)
            {
                if (RemovedByTenant(oldPool is not null, "pool", path)) continue;
                current = new Pool
                {
                    EntityTypeId = entity.Id, Key = p.Key, Label = p.Label, Origin = Origin, UpdatedAt = now,
                    SortOrder = pools.Where(x => x.EntityTypeId == entity.Id).Select(x => x.SortOrder + 1).DefaultIfEmpty(0).Max(),
                };
                TemplateAutomationMapping.Apply(current, TemplateAutomationMapping.Settings(p, fresh));
                db.Pools.Add(current);
                pools.Add(current);
                _changes.Add(new PlannedChange(ChangeKind.Add, "pool", path));
                continue;
            }
            var had = oldPool is not null;
            var changed = Merge("pool", path, "label", current.Label, p.Label, had, oldPool?.Label, x => current.Label = x!);
            var now_ = TemplateAutomationMapping.Settings(current);
            var next = TemplateAutomationMapping.Settings(p, kept);
            var before = oldPool is null ? null : TemplateAutomationMapping.Settings(oldPool, kept);
            changed |= Merge("pool", path, "dailyClaimLimit", now_.DailyClaimLimit, next.DailyClaimLimit, had, before?.DailyClaimLimit, x => current.DailyClaimLimit = x);
            changed |= Merge("pool", path, "reclaimCooldownDays", now_.ReclaimCooldownDays, next.ReclaimCooldownDays, had, before?.ReclaimCooldownDays, x => current.ReclaimCooldownDays = x);
            changed |= Merge("pool", path, "members", Members(now_), Members(next), had, before is null ? null : Members(before), x =>
            {
                current.EveryoneIsMember = x!.Everyone;
                current.Members = [.. x.Users];
                current.Groups = current.Groups with { MemberRoles = [.. x.Roles], MemberDepartments = [.. x.Departments] };
            });
            changed |= Merge("pool", path, "admins", Admins(now_), Admins(next), had, before is null ? null : Admins(before), x =>
            {
                current.Admins = [.. x!.Users];
                current.Groups = current.Groups with { AdminRoles = [.. x.Roles], AdminDepartments = [.. x.Departments] };
            });
            changed |= Merge("pool", path, "returnRules", now_.ReturnRules, next.ReturnRules, had, before?.ReturnRules, x => current.ReturnRules = [.. x!]);
            if (changed) current.UpdatedAt = now;
        }
    }

    private sealed record PoolPeople(bool Everyone, List<Guid> Users, List<Guid> Roles, List<Guid> Departments);

    private static PoolPeople Members(TemplateAutomationMapping.PoolSettings s) => new(s.EveryoneIsMember, s.Members, s.Groups.MemberRoles, s.Groups.MemberDepartments);
    private static PoolPeople Admins(TemplateAutomationMapping.PoolSettings s) => new(false, s.Admins, s.Groups.AdminRoles, s.Groups.AdminDepartments);

    private async Task MergeRulesAsync(PeopleKeys fresh, PeopleKeys kept, CancellationToken ct)
    {
        if (doc.Rules is not { Count: > 0 }) return;
        var rules = await db.AutomationRules.ToListAsync(ct);
        foreach (var r in doc.Rules)
        {
            var entity = _entities.FirstOrDefault(e => e.Key == r.Entity);
            if (entity is null) continue;
            var oldRule = old?.Rules?.FirstOrDefault(x => x.Key == r.Key);
            var current = rules.FirstOrDefault(x => x.Key == r.Key);
            if (current is null)
            {
                if (RemovedByTenant(oldRule is not null, "rule", r.Key)) continue;
                current = new AutomationRule
                {
                    EntityTypeId = entity.Id,
                    Key = r.Key,
                    Name = r.Name,
                    IsEnabled = r.Enabled ?? true,
                    SortOrder = rules.Select(x => x.SortOrder + 1).DefaultIfEmpty(0).Max(),
                    Trigger = r.Trigger,
                    Conditions = TemplateAutomationMapping.Conditions(r),
                    Actions = TemplateAutomationMapping.Actions(r, fresh),
                    Origin = Origin,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                db.AutomationRules.Add(current);
                rules.Add(current);
                _changes.Add(new PlannedChange(ChangeKind.Add, "rule", r.Key));
                continue;
            }
            // A rule of that key on another record type is the workspace's own: left alone.
            if (current.EntityTypeId != entity.Id) { _changes.Add(new PlannedChange(ChangeKind.KeepYours, "rule", r.Key, "entity")); continue; }
            var had = oldRule is not null;
            var changed = Merge("rule", r.Key, "name", current.Name, r.Name, had, oldRule?.Name, x => current.Name = x!);
            changed |= Merge("rule", r.Key, "enabled", current.IsEnabled, r.Enabled ?? true, had, oldRule?.Enabled ?? true, x => current.IsEnabled = x);
            changed |= Merge("rule", r.Key, "trigger", current.Trigger, r.Trigger, had, oldRule?.Trigger, x => current.Trigger = x!);
            changed |= Merge("rule", r.Key, "conditions", current.Conditions, TemplateAutomationMapping.Conditions(r), had,
                oldRule is null ? null : TemplateAutomationMapping.Conditions(oldRule), x => current.Conditions = x!);
            changed |= Merge("rule", r.Key, "actions", current.Actions, TemplateAutomationMapping.Actions(r, kept), had,
                oldRule is null ? null : TemplateAutomationMapping.Actions(oldRule, kept), x => current.Actions = x!);
            if (changed) current.UpdatedAt = now;
        }
    }

    private async Task ReportAutomationNoLongerInTemplateAsync(TemplateDocument previous, CancellationToken ct)
    {
        var droppedRules = (previous.Rules ?? []).Where(r => doc.Rules?.Any(n => n.Key == r.Key) != true).Select(r => r.Key).ToList();
        if (droppedRules.Count > 0)
            foreach (var key in await db.AutomationRules.Where(r => droppedRules.Contains(r.Key)).Select(r => r.Key).ToListAsync(ct))
                Kept("rule", key);
        var droppedPools = (previous.Pools ?? []).Where(p => doc.Pools?.Any(n => n.Key == p.Key && n.Entity == p.Entity) != true).ToList();
        if (droppedPools.Count > 0)
        {
            var pools = await db.Pools.Select(p => new { p.EntityTypeId, p.Key }).ToListAsync(ct);
            foreach (var p in droppedPools)
                if (_entities.FirstOrDefault(e => e.Key == p.Entity) is { } entity && pools.Any(x => x.EntityTypeId == entity.Id && x.Key == p.Key))
                    Kept("pool", $"{p.Entity}.{p.Key}");
        }
    }
}
