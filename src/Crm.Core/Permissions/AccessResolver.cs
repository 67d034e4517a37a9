using Crm.Core.Data;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Permissions;

/// <summary>Works out what an actor may do with an entity type's records and fields, from the database as it is now.</summary>
public interface IAccessResolver
{
    /// <summary>Access to one entity type. Reads the actor's current role, custom roles and departments.</summary>
    Task<EntityAccess> GetAsync(Actor actor, Guid entityTypeId, CancellationToken ct = default);

    /// <summary>Access to every entity type of the workspace at once (for search and other cross-type surfaces).</summary>
    Task<IReadOnlyDictionary<Guid, EntityAccess>> GetAllAsync(Actor actor, IReadOnlyCollection<Guid> entityTypeIds, CancellationToken ct = default);
}

public sealed class AccessResolver(ICrmDbContextFactory factory) : IAccessResolver
{
    public async Task<EntityAccess> GetAsync(Actor actor, Guid entityTypeId, CancellationToken ct = default)
        => (await GetAllAsync(actor, [entityTypeId], ct))[entityTypeId];

    public async Task<IReadOnlyDictionary<Guid, EntityAccess>> GetAllAsync(Actor actor, IReadOnlyCollection<Guid> entityTypeIds, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await ResolveAsync(db, actor, entityTypeIds, ct);
    }

    /// <summary>
    /// The same computation on a context the caller already holds (the record writer checks field rights with its
    /// own context, so no write path can skip them for want of a resolver).
    /// </summary>
    public static async Task<IReadOnlyDictionary<Guid, EntityAccess>> ResolveAsync(CrmDbContext db, Actor actor, IReadOnlyCollection<Guid> entityTypeIds, CancellationToken ct = default)
    {
        var baseRole = await CurrentRoleAsync(db, actor, ct);
        var result = new Dictionary<Guid, EntityAccess>();
        if (baseRole is null)
        {
            foreach (var id in entityTypeIds) result[id] = NoAccess(id, actor.UserId);
            return result;
        }
        if (baseRole.Value.CanAdminister())
        {
            foreach (var id in entityTypeIds) result[id] = EntityAccess.Full(id, actor.UserId, canWrite: true);
            return result;
        }

        var roleIds = await db.MemberRoleAssignments.AsNoTracking().Where(a => a.UserId == actor.UserId).Select(a => a.RoleId).ToListAsync(ct);
        var permissions = roleIds.Count == 0
            ? []
            : await db.EntityPermissions.AsNoTracking().Where(p => roleIds.Contains(p.RoleId)).ToListAsync(ct);
        // The whole chart: departments are few (tens to hundreds), and shares need the user's departments even
        // when no role restricts anything.
        var departments = await db.Departments.AsNoTracking().ToListAsync(ct);
        var members = departments.Count == 0 ? [] : await db.DepartmentMembers.AsNoTracking().ToListAsync(ct);
        var org = new OrgChart(departments, members);
        var byEntity = permissions.ToLookup(p => p.EntityTypeId);
        foreach (var id in entityTypeIds)
            result[id] = AccessCalculator.Compute(id, actor.UserId, baseRole.Value, byEntity[id].ToList(), org);
        await HideDependentFormulasAsync(db, result, ct);
        return result;
    }

    /// <summary>
    /// Formulas computed from a hidden field are hidden too (<see cref="FormulaAccess"/>), so every surface that asks
    /// the field view follows. Read only for entity types where something is hidden (the common case reads nothing).
    /// </summary>
    private static async Task HideDependentFormulasAsync(CrmDbContext db, Dictionary<Guid, EntityAccess> result, CancellationToken ct)
    {
        var restricted = result.Values.Where(a => a.HiddenFields.Any()).Select(a => a.EntityTypeId).ToList();
        if (restricted.Count == 0) return;
        var formulas = await db.Fields.AsNoTracking().Where(f => restricted.Contains(f.EntityTypeId) && f.Type == "formula")
            .Select(f => new { f.EntityTypeId, f.Key, f.Settings }).ToListAsync(ct);
        if (formulas.Count == 0) return;
        var withFormulas = formulas.Select(f => f.EntityTypeId).Distinct().ToList();
        var stageKeys = await db.EntityTypes.AsNoTracking().Where(e => withFormulas.Contains(e.Id)).Select(e => new { e.Id, e.StageFieldKey }).ToDictionaryAsync(e => e.Id, e => e.StageFieldKey, ct);
        foreach (var group in formulas.GroupBy(f => f.EntityTypeId))
            result[group.Key] = FormulaAccess.HideDependents(result[group.Key], group.Select(f => FormulaAccess.Of(f.Key, f.Settings.Expression)).ToList(), stageKeys.GetValueOrDefault(group.Key));
    }

    /// <summary>The member's role now (an API key's role is already current and capped by its maker's).</summary>
    private static async Task<MemberRole?> CurrentRoleAsync(CrmDbContext db, Actor actor, CancellationToken ct)
    {
        if (actor.Kind == ActorKind.ApiKey) return actor.Role;
        var role = await db.Memberships.AsNoTracking()
            .Where(m => m.TenantId == actor.TenantId && m.UserId == actor.UserId)
            .Select(m => (MemberRole?)m.Role)
            .FirstOrDefaultAsync(ct);
        return role;
    }

    private static EntityAccess NoAccess(Guid entityTypeId, Guid userId) => new()
    {
        EntityTypeId = entityTypeId,
        UserId = userId,
        Unrestricted = false,
        CanCreate = false,
        Read = ScopeGrant.None,
        Edit = ScopeGrant.None,
        Delete = ScopeGrant.None,
        DepartmentIds = [],
        Fields = new Dictionary<string, FieldAccessLevel>(),
    };
}
