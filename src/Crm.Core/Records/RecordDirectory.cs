using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Records;

public sealed record NamedItem(Guid Id, string Name, string? Detail = null);

/// <summary>A record picked by a lookup as the actor may see it (<see cref="RecordDirectory.LinkedAsync"/>).</summary>
public sealed record LinkedRecord(EntityMeta Entity, Record Record, System.Text.Json.Nodes.JsonObject Values, Permissions.EntityFieldView Fields, IReadOnlyDictionary<Guid, string> Names);

/// <summary>
/// Names for ids (record titles, member names) and search-as-you-type for lookup and member pickers. Always one
/// query per batch, never one per value; only records and members of the actor's workspace are found.
/// </summary>
public sealed class RecordDirectory(ICrmDbContextFactory factory, MetadataStore metadataStore, Permissions.IAccessResolver access)
{
    public Task<IReadOnlyList<NamedItem>> SearchRecordsAsync(Actor actor, string entityKey, string? text, int take = 20, CancellationToken ct = default)
        => SearchRecordsAsync(actor, entityKey, text, null, take, ct);

    /// <summary>
    /// Records of <paramref name="entityKey"/> for a picker, narrowed by a lookup's pick filter (list filters, "$form."
    /// values already resolved by <see cref="LinkedFields.ResolveFilter"/>), applied in SQL as in lists.
    /// </summary>
    public async Task<IReadOnlyList<NamedItem>> SearchRecordsAsync(Actor actor, string entityKey, string? text, IReadOnlyList<Views.FilterSpec>? filter, int take = 20, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return [];
        // A picker offers only records the actor may read.
        var rights = await access.GetAsync(actor, entity.Entity.Id, ct);
        var query = Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id), db, rights);
        if (filter is { Count: > 0 })
            query = RecordFilters.Apply(query, entity, filter, actor.UserId, DateTime.UtcNow, Tenancy.WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone));
        if (!string.IsNullOrWhiteSpace(text))
        {
            var needle = text.Trim().ToLowerInvariant();
            query = query.Where(r => r.SearchText.Contains(needle));
        }
        return await query.OrderBy(r => r.Title).Take(Math.Clamp(take, 1, 100)).Select(r => new NamedItem(r.Id, r.Title, null)).ToListAsync(ct);
    }

    /// <summary>
    /// The record a lookup picked, for filling and showing linked fields: null when it is not of
    /// <paramref name="entityKey"/>, not in the actor's workspace or not one the actor may read; its values without
    /// the fields the actor may not read, with the names its references show.
    /// </summary>
    public async Task<LinkedRecord?> LinkedAsync(Actor actor, string entityKey, Guid id, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return null;
        var rights = await access.GetAsync(actor, entity.Entity.Id, ct);
        var entityId = entity.Entity.Id;
        var record = await Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.Id == id && r.EntityTypeId == entityId), db, rights).FirstOrDefaultAsync(ct);
        if (record is null) return null;
        var view = Permissions.EntityFieldViews.For(entity, rights);
        var values = RecordWriter.ParseValues(record.Values);
        foreach (var key in values.Select(kv => kv.Key).ToList())
            if (!view.CanSee(key)) values.Remove(key);
        var ids = values.SelectMany(kv => entity.Field(kv.Key) is { } f ? Fields.FieldTypeRegistry.Get(f.Type).ReferencedIds(kv.Value) : []).ToList();
        var names = ids.Count == 0 ? new Dictionary<Guid, string>() : await NamesAsync(db, actor, ids, ct);
        return new LinkedRecord(entity, record, values, view, names);
    }

    public async Task<IReadOnlyList<NamedItem>> MembersAsync(Actor actor, string? text = null, CancellationToken ct = default)
    {
        await using var db = factory.CreateGlobal();
        var query = db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId);
        if (!string.IsNullOrWhiteSpace(text))
        {
            var needle = text.Trim().ToLower();
            query = query.Where(m => m.User!.DisplayName.ToLower().Contains(needle) || m.User.Email!.ToLower().Contains(needle));
        }
        return await query.OrderBy(m => m.User!.DisplayName).Select(m => new NamedItem(m.UserId, m.User!.DisplayName, m.User.Email)).ToListAsync(ct);
    }

    /// <summary>Titles of records and names of members for the given ids (unknown ids are left out).</summary>
    /// <remarks>
    /// Not narrowed by record access: the ids come from values of records the actor may read (a lookup shows its
    /// target's title, as the value of a visible field); opening a target the actor may not read is "not found".
    /// </remarks>
    public async Task<IReadOnlyDictionary<Guid, string>> NamesAsync(Actor actor, IEnumerable<Guid> ids, CancellationToken ct = default)
    {
        var wanted = ids.Distinct().ToList();
        if (wanted.Count == 0) return new Dictionary<Guid, string>();
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await NamesAsync(db, actor, wanted, ct);
    }

    /// <summary>
    /// The same through <paramref name="db"/> (a context of the actor's workspace the caller holds): record titles,
    /// members' names and department names in one statement (UNION ALL); a record's title wins over a member's
    /// name, which wins over a department's, as when they were read one after the other.
    /// </summary>
    public static async Task<IReadOnlyDictionary<Guid, string>> NamesAsync(CrmDbContext db, Actor actor, IEnumerable<Guid> ids, CancellationToken ct = default)
    {
        var wanted = ids.Distinct().ToList();
        var names = new Dictionary<Guid, string>();
        if (wanted.Count == 0) return names;
        var tenantId = actor.TenantId;
        var rows = await db.Records.AsNoTracking().Where(r => wanted.Contains(r.Id)).Select(r => new { Kind = 0, r.Id, Name = r.Title })
            .Concat(db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && wanted.Contains(m.UserId)).Select(m => new { Kind = 1, Id = m.UserId, Name = m.User!.DisplayName }))
            .Concat(db.Departments.AsNoTracking().Where(d => wanted.Contains(d.Id)).Select(d => new { Kind = 2, d.Id, d.Name }))
            .ToListAsync(ct);
        foreach (var row in rows.OrderBy(r => r.Kind)) names.TryAdd(row.Id, row.Name);
        return names;
    }

    /// <summary>
    /// The workspace's departments in tree order (each under its parent, siblings by their order and name) with
    /// their depth, for department fields' pickers and filters. Names are not secret: any member may pick them.
    /// </summary>
    public async Task<IReadOnlyList<DepartmentChoice>> DepartmentsAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var all = await db.Departments.AsNoTracking().Select(d => new { d.Id, d.Name, d.ParentId, d.SortOrder }).ToListAsync(ct);
        var children = all.ToLookup(d => d.ParentId);
        var ids = all.Select(d => d.Id).ToHashSet();
        var result = new List<DepartmentChoice>();
        void Walk(Guid? parent, int depth, string path)
        {
            foreach (var d in children[parent].OrderBy(d => d.SortOrder).ThenBy(d => d.Name, StringComparer.Ordinal))
            {
                var full = path.Length == 0 ? d.Name : path + " / " + d.Name;
                result.Add(new DepartmentChoice(d.Id, d.Name, full, depth));
                if (depth < 20) Walk(d.Id, depth + 1, full);
            }
        }
        Walk(null, 0, "");
        // A department whose parent is gone still appears, at the top.
        foreach (var d in all.Where(d => d.ParentId is { } p && !ids.Contains(p))) { result.Add(new DepartmentChoice(d.Id, d.Name, d.Name, 0)); Walk(d.Id, 1, d.Name); }
        return result;
    }
}

/// <summary>A department offered by a department field: its name, its path from the top ("华东 / 一组") and its depth.</summary>
public sealed record DepartmentChoice(Guid Id, string Name, string Path, int Depth);
