using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Records;

public sealed record NamedItem(Guid Id, string Name, string? Detail = null);

/// <summary>
/// Names for ids (record titles, member names) and search-as-you-type for lookup and member pickers. Always one
/// query per batch, never one per value; only records and members of the actor's workspace are found.
/// </summary>
public sealed class RecordDirectory(ICrmDbContextFactory factory, MetadataStore metadataStore, Permissions.IAccessResolver access)
{
    public async Task<IReadOnlyList<NamedItem>> SearchRecordsAsync(Actor actor, string entityKey, string? text, int take = 20, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return [];
        // A picker offers only records the actor may read.
        var rights = await access.GetAsync(actor, entity.Entity.Id, ct);
        var query = Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id), db, rights);
        if (!string.IsNullOrWhiteSpace(text))
        {
            var needle = text.Trim().ToLowerInvariant();
            query = query.Where(r => r.SearchText.Contains(needle));
        }
        return await query.OrderBy(r => r.Title).Take(Math.Clamp(take, 1, 100)).Select(r => new NamedItem(r.Id, r.Title, null)).ToListAsync(ct);
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
        var names = new Dictionary<Guid, string>();
        if (wanted.Count == 0) return names;
        await using var db = factory.CreateForTenant(actor.TenantId);
        foreach (var r in await db.Records.AsNoTracking().Where(r => wanted.Contains(r.Id)).Select(r => new { r.Id, r.Title }).ToListAsync(ct))
            names[r.Id] = r.Title;
        var rest = wanted.Where(id => !names.ContainsKey(id)).ToList();
        if (rest.Count > 0)
            foreach (var m in await db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId && rest.Contains(m.UserId)).Select(m => new { m.UserId, m.User!.DisplayName }).ToListAsync(ct))
                names[m.UserId] = m.DisplayName;
        return names;
    }
}
