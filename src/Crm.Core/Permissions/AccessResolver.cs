using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Crm.Core.Permissions;

/// <summary>Works out what an actor may do with an entity type's records and fields, from the database as it is now.</summary>
public interface IAccessResolver
{
    /// <summary>Access to one entity type. Reads the actor's current role, custom roles and departments.</summary>
    Task<EntityAccess> GetAsync(Actor actor, Guid entityTypeId, CancellationToken ct = default);

    /// <summary>Access to every entity type of the workspace at once (for search and other cross-type surfaces).</summary>
    Task<IReadOnlyDictionary<Guid, EntityAccess>> GetAllAsync(Actor actor, IReadOnlyCollection<Guid> entityTypeIds, CancellationToken ct = default);

    /// <summary>
    /// <see cref="GetAsync(Actor, Guid, CancellationToken)"/> read through <paramref name="db"/>, a context of the
    /// actor's workspace the caller already holds (and has opened): no connection of its own, so a list or board
    /// pays one statement for the rights instead of a connection, its tenant setting and the statement.
    /// </summary>
    Task<EntityAccess> GetAsync(CrmDbContext db, Actor actor, Guid entityTypeId, CancellationToken ct = default) => GetAsync(actor, entityTypeId, ct);

    /// <summary>
    /// The same with the metadata version and the member's base role already read by <paramref name="stamp"/>
    /// (<see cref="AccessResolver.StampAsync"/>, on <paramref name="db"/>, at the start of this request): no statement
    /// of its own unless the access chart must be (re)loaded.
    /// </summary>
    Task<EntityAccess> GetAsync(CrmDbContext db, Actor actor, Guid entityTypeId, AccessStamp stamp, CancellationToken ct = default) => GetAsync(db, actor, entityTypeId, ct);
}

/// <summary>
/// What a read request needs to know first, read in one statement (<see cref="AccessResolver.StampAsync"/>): the
/// tenant's metadata version (the metadata and access chart caches are valid at it) and the member's current base
/// role (null: not a member). Read anew by every request, so a role or permission change applies at once.
/// </summary>
public readonly record struct AccessStamp(long MetadataVersion, MemberRole? Role);

/// <summary>
/// Resolves rights from the member's current base role (one indexed read per call: a role change applies at
/// once) and the tenant's <see cref="AccessChart"/> — departments, their members, custom roles' assignments and
/// permissions — cached per tenant in <see cref="IMemoryCache"/> at the tenant's metadata version. Every change
/// to those tables moves that version in its own transaction (<see cref="CrmDbContext"/>'s SaveChanges), so the
/// next call of any instance sees it, for the price of one single-row read.
/// </summary>
public sealed class AccessResolver(ICrmDbContextFactory factory, IMemoryCache cache) : IAccessResolver
{
    public async Task<EntityAccess> GetAsync(Actor actor, Guid entityTypeId, CancellationToken ct = default)
        => (await GetAllAsync(actor, [entityTypeId], ct))[entityTypeId];

    public async Task<EntityAccess> GetAsync(CrmDbContext db, Actor actor, Guid entityTypeId, CancellationToken ct = default)
    {
        if (db.TenantId != actor.TenantId) throw new InvalidOperationException("The context is not the actor's workspace.");
        return (await ResolveAsync(db, actor, [entityTypeId], cache, null, ct))[entityTypeId];
    }

    public async Task<EntityAccess> GetAsync(CrmDbContext db, Actor actor, Guid entityTypeId, AccessStamp stamp, CancellationToken ct = default)
    {
        if (db.TenantId != actor.TenantId) throw new InvalidOperationException("The context is not the actor's workspace.");
        return (await ResolveAsync(db, actor, [entityTypeId], cache, stamp, ct))[entityTypeId];
    }

    private sealed record StampRow(long? Version, MemberRole? Role);

    // One statement, compiled once (no LINQ translation or cache-key work per request): the tenant's metadata version
    // and the member's base role, as two scalar subqueries under the workspace's row (tenants is a global table,
    // so the row is there whatever the tenant's settings hold). tenant_settings is narrowed by the context's tenant
    // filter (and on PostgreSQL by row-level security); tenant_memberships is global and narrowed here.
    // A compiled query belongs to one model: one per provider's model (tests run SQLite and PostgreSQL side by side).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Microsoft.EntityFrameworkCore.Metadata.IModel, Func<CrmDbContext, Guid, Guid, CancellationToken, Task<StampRow?>>> StampQueries = new();

    private static Func<CrmDbContext, Guid, Guid, CancellationToken, Task<StampRow?>> StampQuery(CrmDbContext db)
        => StampQueries.GetValue(db.Model, _ => EF.CompileAsyncQuery(StampExpression));

    private static readonly System.Linq.Expressions.Expression<Func<CrmDbContext, Guid, Guid, CancellationToken, StampRow?>> StampExpression =
        (CrmDbContext db, Guid tenantId, Guid userId, CancellationToken ct) => db.Tenants.AsNoTracking()
            .Where(t => t.Id == tenantId)
            .Select(t => new StampRow(
                db.TenantSettings.Select(s => (long?)s.MetadataVersion).FirstOrDefault(),
                db.Memberships.Where(m => m.TenantId == tenantId && m.UserId == userId).Select(m => (MemberRole?)m.Role).FirstOrDefault()))
            .FirstOrDefault();

    /// <summary>
    /// The metadata version and the actor's base role now, in one statement on <paramref name="db"/> (a list or a
    /// board used to send two: <see cref="MetadataStore.CurrentVersionAsync"/> and the role). An API key's role is
    /// its own (already current and capped by its maker's), as in <see cref="ResolveAsync(CrmDbContext, Actor, IReadOnlyCollection{Guid}, IMemoryCache?, CancellationToken)"/>.
    /// Outside a transaction only (the caches it feeds are not used inside one).
    /// </summary>
    public static async Task<AccessStamp> StampAsync(CrmDbContext db, Actor actor, CancellationToken ct = default)
    {
        var tenantId = db.TenantId ?? throw new InvalidOperationException("Access needs a tenant context.");
        if (tenantId != actor.TenantId) throw new InvalidOperationException("The context is not the actor's workspace.");
        var row = await StampQuery(db)(db, tenantId, actor.UserId, ct);
        if (row is null) return new AccessStamp(await MetadataStore.CurrentVersionAsync(db, ct), actor.Kind == ActorKind.ApiKey ? actor.Role : null);
        return new AccessStamp(row.Version ?? 0, actor.Kind == ActorKind.ApiKey ? actor.Role : row.Role);
    }

    public async Task<IReadOnlyDictionary<Guid, EntityAccess>> GetAllAsync(Actor actor, IReadOnlyCollection<Guid> entityTypeIds, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await ResolveAsync(db, actor, entityTypeIds, cache, ct);
    }

    /// <summary>
    /// The same computation on a context the caller already holds (the record writer checks field rights with its
    /// own context, so no write path can skip them for want of a resolver). Without <paramref name="cache"/> (or
    /// inside a transaction, which may hold uncommitted changes) the chart is read from the database.
    /// </summary>
    public static Task<IReadOnlyDictionary<Guid, EntityAccess>> ResolveAsync(CrmDbContext db, Actor actor, IReadOnlyCollection<Guid> entityTypeIds, IMemoryCache? cache, CancellationToken ct = default)
        => ResolveAsync(db, actor, entityTypeIds, cache, null, ct);

    /// <summary>
    /// The same; with <paramref name="stamp"/> (read by <see cref="StampAsync"/> on <paramref name="db"/> for this
    /// request) the base role and the chart's version are taken from it instead of being read again.
    /// </summary>
    public static async Task<IReadOnlyDictionary<Guid, EntityAccess>> ResolveAsync(CrmDbContext db, Actor actor, IReadOnlyCollection<Guid> entityTypeIds, IMemoryCache? cache, AccessStamp? stamp, CancellationToken ct = default)
    {
        var baseRole = stamp is { } known ? known.Role : await CurrentRoleAsync(db, actor, ct);
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

        var chart = await ChartAsync(db, cache, stamp?.MetadataVersion, ct);
        var permissions = chart.PermissionsOf(actor.UserId);
        foreach (var id in entityTypeIds)
            result[id] = AccessCalculator.Compute(id, actor.UserId, baseRole.Value, permissions[id].ToList(), chart.Org);
        await HideDependentFormulasAsync(db, result, ct);
        return result;
    }

    /// <inheritdoc cref="ResolveAsync(CrmDbContext, Actor, IReadOnlyCollection{Guid}, IMemoryCache?, CancellationToken)"/>
    public static Task<IReadOnlyDictionary<Guid, EntityAccess>> ResolveAsync(CrmDbContext db, Actor actor, IReadOnlyCollection<Guid> entityTypeIds, CancellationToken ct = default)
        => ResolveAsync(db, actor, entityTypeIds, null, null, ct);

    /// <summary>The tenant's chart: from the cache while the tenant's version is unchanged, else read and cached.</summary>
    public static Task<AccessChart> ChartAsync(CrmDbContext db, IMemoryCache? cache, CancellationToken ct = default) => ChartAsync(db, cache, null, ct);

    /// <summary>The same, at <paramref name="knownVersion"/> when the caller has just read it on <paramref name="db"/> (<see cref="StampAsync"/>).</summary>
    public static async Task<AccessChart> ChartAsync(CrmDbContext db, IMemoryCache? cache, long? knownVersion, CancellationToken ct = default)
    {
        var tenantId = db.TenantId ?? throw new InvalidOperationException("Access needs a tenant context.");
        var cacheable = cache is not null && db.Database.CurrentTransaction is null;
        var key = "access-chart:" + tenantId;
        long version = 0;
        if (cacheable)
        {
            version = knownVersion ?? await MetadataStore.CurrentVersionAsync(db, ct);
            if (cache!.TryGetValue(key, out AccessChart? hit) && hit!.Version == version) return hit;
        }
        var chart = await AccessChart.LoadAsync(db, version, ct);
        if (cacheable) cache!.Set(key, chart, TimeSpan.FromMinutes(30));
        return chart;
    }

    /// <summary>
    /// Formulas computed from a hidden field are hidden too (<see cref="FormulaAccess"/>), so every surface that asks
    /// the field view follows. Read only for entity types where something is hidden (the common case reads nothing).
    /// </summary>
    private static readonly string[] ReadingTypes = FieldTypeRegistry.All.Where(t => t.ReadsOtherFields).Select(t => t.Name).ToArray();

    private static async Task HideDependentFormulasAsync(CrmDbContext db, Dictionary<Guid, EntityAccess> result, CancellationToken ct)
    {
        var restricted = result.Values.Where(a => a.HiddenFields.Any()).Select(a => a.EntityTypeId).ToList();
        if (restricted.Count == 0) return;
        var formulas = await db.Fields.AsNoTracking().Where(f => restricted.Contains(f.EntityTypeId) && ReadingTypes.Contains(f.Type))
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

/// <summary>
/// Everything about a tenant's organisation that rights depend on, besides each member's base role: the
/// department tree with its members, and the custom roles' assignments and permission rows. Small (tens to
/// hundreds of rows), read whole, shared read-only between requests.
/// </summary>
public sealed class AccessChart
{
    private readonly ILookup<Guid, Guid> _rolesOfUser;
    private readonly ILookup<Guid, EntityPermission> _permissionsOfRole;

    private AccessChart(long version, OrgChart org, IEnumerable<MemberRoleAssignment> assignments, IEnumerable<EntityPermission> permissions)
    {
        Version = version;
        Org = org;
        _rolesOfUser = assignments.ToLookup(a => a.UserId, a => a.RoleId);
        _permissionsOfRole = permissions.ToLookup(p => p.RoleId);
    }

    /// <summary>The tenant's metadata version the chart was read at.</summary>
    public long Version { get; }
    public OrgChart Org { get; }

    /// <summary>The permission rows of the user's custom roles, by entity type.</summary>
    public ILookup<Guid, EntityPermission> PermissionsOf(Guid userId)
        => _rolesOfUser[userId].Distinct().SelectMany(r => _permissionsOfRole[r]).ToLookup(p => p.EntityTypeId);

    public static async Task<AccessChart> LoadAsync(CrmDbContext db, long version, CancellationToken ct = default)
    {
        var assignments = await db.MemberRoleAssignments.AsNoTracking().ToListAsync(ct);
        var permissions = assignments.Count == 0 ? [] : await db.EntityPermissions.AsNoTracking().ToListAsync(ct);
        // Shares need the user's departments even when no role restricts anything.
        var departments = await db.Departments.AsNoTracking().ToListAsync(ct);
        var members = departments.Count == 0 ? [] : await db.DepartmentMembers.AsNoTracking().ToListAsync(ct);
        return new AccessChart(version, new OrgChart(departments, members), assignments, permissions);
    }
}
