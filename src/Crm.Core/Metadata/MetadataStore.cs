using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Crm.Core.Metadata;

/// <summary>
/// Loads and caches tenant metadata. A cached snapshot is reused while the tenant's version stamp is unchanged
/// (one indexed single-row read per use), so several app instances stay consistent without a message bus.
/// </summary>
public sealed class MetadataStore(ICrmDbContextFactory factory, IMemoryCache cache)
{
    public async Task<TenantMetadata> GetAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(tenantId);
        return await GetAsync(db, ct);
    }

    /// <summary>The metadata as seen by <paramref name="db"/> (inside its transaction, if any).</summary>
    public async Task<TenantMetadata> GetAsync(CrmDbContext db, CancellationToken ct = default)
    {
        if (db.TenantId is null) throw new InvalidOperationException("Metadata needs a tenant context.");
        return await GetAsync(db, await CurrentVersionAsync(db, ct), ct);
    }

    /// <summary>
    /// The same at <paramref name="version"/>, the tenant's current version as the caller has just read it on
    /// <paramref name="db"/> (<see cref="Permissions.AccessResolver.StampAsync"/> reads it with the member's role).
    /// </summary>
    public async Task<TenantMetadata> GetAsync(CrmDbContext db, long version, CancellationToken ct = default)
    {
        var tenantId = db.TenantId ?? throw new InvalidOperationException("Metadata needs a tenant context.");
        var key = "metadata:" + tenantId;
        if (cache.TryGetValue(key, out TenantMetadata? hit) && hit!.Version == version && db.Database.CurrentTransaction is null) return hit;
        var loaded = await LoadAsync(db, version, ct);
        if (db.Database.CurrentTransaction is null) cache.Set(key, loaded, TimeSpan.FromMinutes(30));
        return loaded;
    }

    /// <summary>
    /// Loads the current version into the cache and compiles every entity type's schema now. The designer calls
    /// it right after a save, so that cost falls on the save, not on the next person to open a form or list.
    /// </summary>
    public async Task<TenantMetadata> WarmAsync(Guid tenantId, CancellationToken ct = default)
    {
        var metadata = await GetAsync(tenantId, ct);
        foreach (var entity in metadata.EntityTypes) { _ = entity.Schema; _ = entity.ValidationSchema; }
        return metadata;
    }

    /// <summary>
    /// The committed metadata as <paramref name="db"/> sees it at the start of a write transaction, before the write
    /// changes anything: the cached snapshot when its version is the current one (one single-row read), otherwise a
    /// fresh load (not cached: it is read inside a transaction). Call it before the transaction writes metadata.
    /// </summary>
    public async Task<TenantMetadata> CommittedAsync(CrmDbContext db, CancellationToken ct = default)
    {
        var tenantId = db.TenantId ?? throw new InvalidOperationException("Metadata needs a tenant context.");
        var version = await CurrentVersionAsync(db, ct);
        if (cache.TryGetValue("metadata:" + tenantId, out TenantMetadata? hit) && hit!.Version == version) return hit;
        return await LoadAsync(db, version, ct);
    }

    /// <summary>
    /// Caches <paramref name="metadata"/> (built by a designer save from the rows it wrote, after its commit) and
    /// compiles every entity type's schema now, as <see cref="WarmAsync"/> does without reloading the workspace.
    /// </summary>
    public TenantMetadata Warm(TenantMetadata metadata)
    {
        foreach (var entity in metadata.EntityTypes) { _ = entity.Schema; _ = entity.ValidationSchema; }
        var key = "metadata:" + metadata.TenantId;
        // A newer snapshot cached meanwhile (another request loaded a later version) is kept.
        if (!cache.TryGetValue(key, out TenantMetadata? hit) || hit!.Version < metadata.Version) cache.Set(key, metadata, TimeSpan.FromMinutes(30));
        return metadata;
    }

    /// <summary>
    /// <paramref name="before"/> with the entity type <paramref name="entity"/> (and <paramref name="fields"/>)
    /// as a save just wrote it, at <paramref name="version"/>: the snapshot after a designer save that changed only
    /// that entity type, without reading the workspace again. The other entity types, pipelines and status lists
    /// are <paramref name="before"/>'s objects (immutable snapshots); every entity type gets a new
    /// <see cref="EntityMeta"/> (it belongs to one snapshot, and its compiled schema may read the others).
    /// </summary>
    public static TenantMetadata With(TenantMetadata before, long version, EntityType entity, IEnumerable<FieldDefinition> fields)
    {
        var others = before.EntityTypes.Where(e => e.Entity.Id != entity.Id)
            .Select(e => new EntityMeta(e.Entity, e.AllFields, e.AllPipelines));
        var pipelines = before.Entity(entity.Id)?.AllPipelines ?? [];
        return new TenantMetadata(before.TenantId, version, [.. others, new EntityMeta(entity, fields, pipelines)], before.StatusLists);
    }

    /// <summary>Drops the cached metadata of <paramref name="tenantId"/> (another instance changed it).</summary>
    public void Forget(Guid tenantId) => cache.Remove("metadata:" + tenantId);

    public static async Task<long> CurrentVersionAsync(CrmDbContext db, CancellationToken ct)
        => await db.TenantSettings.AsNoTracking().Select(s => (long?)s.MetadataVersion).FirstOrDefaultAsync(ct) ?? 0;

    public static async Task<TenantMetadata> LoadAsync(CrmDbContext db, long version, CancellationToken ct)
    {
        var tenantId = db.TenantId!.Value;
        var entities = await db.EntityTypes.AsNoTracking().ToListAsync(ct);
        var fields = await db.Fields.AsNoTracking().ToListAsync(ct);
        var pipelines = await db.Pipelines.AsNoTracking().ToListAsync(ct);
        var stages = await db.Stages.AsNoTracking().ToListAsync(ct);
        var lists = await db.StatusLists.AsNoTracking().ToListAsync(ct);
        var options = await db.StatusOptions.AsNoTracking().ToListAsync(ct);

        var stagesByPipeline = stages.ToLookup(s => s.PipelineId);
        var pipelinesByEntity = pipelines.ToLookup(p => p.EntityTypeId);
        var fieldsByEntity = fields.ToLookup(f => f.EntityTypeId);
        var optionsByList = options.ToLookup(o => o.StatusListId);

        return new TenantMetadata(tenantId, version,
            entities.Select(e => new EntityMeta(e, fieldsByEntity[e.Id],
                pipelinesByEntity[e.Id].Select(p => new PipelineMeta(p, stagesByPipeline[p.Id])))),
            lists.Select(l => new StatusListMeta(l, optionsByList[l.Id])));
    }

    /// <summary>
    /// Marks the tenant's metadata as changed; call inside the transaction that changes it. Returns the new version
    /// when the statement could say it (PostgreSQL: <c>UPDATE … RETURNING</c>, one round trip instead of a bump and
    /// a read; a first version: 1), else null (SQLite: read it with <see cref="CurrentVersionAsync"/> if needed).
    /// The row stays locked by the bump until the transaction ends, so no other save can move it meanwhile.
    /// </summary>
    public static async Task<long?> BumpVersionAsync(CrmDbContext db, CancellationToken ct = default)
    {
        if (db.Database.IsNpgsql() && db.TenantId is { } tenantId)
        {
            var bumped = await db.Database.SqlQueryRaw<long>(
                "UPDATE tenant_settings SET metadata_version = metadata_version + 1 WHERE tenant_id = {0} RETURNING metadata_version AS \"Value\"", tenantId).ToListAsync(ct);
            if (bumped.Count > 0) return bumped[0];
        }
        else if (await db.TenantSettings.ExecuteUpdateAsync(s => s.SetProperty(x => x.MetadataVersion, x => x.MetadataVersion + 1), ct) > 0)
            return null;
        db.TenantSettings.Add(new TenantSettings { MetadataVersion = 1 });
        await db.SaveChangesAsync(ct);
        return 1;
    }
}
