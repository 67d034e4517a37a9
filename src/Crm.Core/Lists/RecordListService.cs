using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Lists;

/// <summary>What a list asks for: conditions, order, quick search text and one page.</summary>
public sealed record RecordQuery
{
    public IReadOnlyList<FilterSpec> Filters { get; init; } = [];
    public IReadOnlyList<SortSpec> Sort { get; init; } = [];
    /// <summary>Quick search over the title and text fields.</summary>
    public string? Search { get; init; }
    public int Skip { get; init; }
    public int Take { get; init; } = 25;

    public const int MaxTake = 500;

    public static RecordQuery From(ViewDefinition view, int page = 0) => new()
    {
        Filters = view.Filters, Sort = view.Sort, Search = view.Search, Skip = page * view.PageSize, Take = view.PageSize,
    };
}

/// <summary>One row of a list: the record's identity and its values (display happens in the UI's culture).</summary>
public sealed record RecordListItem(Guid Id, string Title, JsonObject Values, long Version, Guid? OwnerId, Guid? PipelineId, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>A page of a list, the number of matching records, and the names of every member and record the page refers to.</summary>
public sealed record RecordListPage(int Total, IReadOnlyList<RecordListItem> Items, IReadOnlyDictionary<Guid, string> Names);

/// <summary>
/// The query behind record lists: filters, sort, quick search and paging all run in SQL through
/// <see cref="RecordFilters"/> (count + one page, never the whole set), so a list of 100,000 records costs one
/// page. Names of referenced members and records come from one <see cref="RecordDirectory.NamesAsync"/> call per page.
/// </summary>
public sealed class RecordListService(ICrmDbContextFactory factory, MetadataStore metadataStore, TimeProvider clock, IAccessResolver access)
{
    public async Task<RecordListPage> QueryAsync(Actor actor, string entityKey, RecordQuery query, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        // One connection (one tenant setting) for every statement of the list, and two statements in all when the
        // page names no one but owners (cf14d): the metadata version with the member's role, then the page with
        // its total and its owners' names.
        await db.Database.OpenConnectionAsync(ct);
        var stamp = await AccessResolver.StampAsync(db, actor, ct);
        var entity = (await metadataStore.GetAsync(db, stamp.MetadataVersion, ct)).Entity(entityKey);
        if (entity is null) return new RecordListPage(0, [], new Dictionary<Guid, string>());

        // Hidden fields: conditions and sort on them are dropped, the quick search does not match them, the rows
        // come without their values.
        var fields = await access.FieldViewAsync(db, actor, entity, stamp, ct);
        query = Restrict(query, fields);
        var now = clock.GetUtcNow().UtcDateTime;
        var matching = Matching(db, entity, query, actor.UserId, now, Tenancy.WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone), fields.Access, fields);
        var tenantId = actor.TenantId;
        // The total rides on the page as an uncorrelated subquery (computed once: an InitPlan on PostgreSQL); the
        // owners' names come from a join after the page's LIMIT (25 lookups, not one per row skipped by OFFSET).
        var rows = await (
                from r in Page(matching, entity, query)
                join m in db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId) on r.OwnerId equals (Guid?)m.UserId into owners
                from m in owners.DefaultIfEmpty()
                select new { r.Id, r.Title, r.Values, r.Version, r.OwnerId, r.PipelineId, r.CreatedAt, r.UpdatedAt, Total = matching.Count(), OwnerName = m == null ? null : m.User!.DisplayName })
            .ToListAsync(ct);
        // An empty page has no row to carry the total: counted apart (only past the last page; on the first, none match).
        var total = rows.Count > 0 ? rows[0].Total : query.Skip > 0 ? await matching.CountAsync(ct) : 0;
        var items = rows.Select(r => new RecordListItem(r.Id, fields.Title(r.Title), fields.Visible(RecordWriter.ParseValues(r.Values)), r.Version,
            fields.OwnerHidden ? null : r.OwnerId, r.PipelineId, r.CreatedAt, r.UpdatedAt)).ToList();

        var names = new Dictionary<Guid, string>();
        var referenced = ReferencedIds(entity, items);
        if (!fields.OwnerHidden)
            foreach (var row in rows)
            {
                if (row.OwnerId is not { } owner) continue;
                // An owner who is no longer a member has no name (NamesAsync would not find one either).
                if (row.OwnerName is { } name) names.TryAdd(owner, name);
                referenced.Remove(owner);
            }
        // Members, records and departments named by the values (member and lookup fields) other than the owners.
        if (referenced.Count > 0)
            foreach (var (id, name) in await RecordDirectory.NamesAsync(db, actor, referenced, ct)) names.TryAdd(id, name);
        return new RecordListPage(total, items, names);
    }

    /// <summary>
    /// The records of <paramref name="entity"/> that match the filters and the quick search (no order, no paging),
    /// among those <paramref name="rights"/> may read (<see cref="RecordScope"/>; null only for system reads); the
    /// quick search looks only through the fields in <paramref name="fields"/> that the actor sees.
    /// </summary>
    public static IQueryable<Record> Matching(CrmDbContext db, EntityMeta entity, RecordQuery query, Guid currentUserId, DateTime utcNow, TimeZoneInfo? zone, EntityAccess? rights, EntityFieldView? fields = null)
    {
        var records = db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id);
        if (rights is not null) records = RecordScope.Apply(records, db, rights);
        records = RecordFilters.Apply(records, entity, query.Filters, currentUserId, utcNow, zone);
        return fields is null ? RecordFilters.Search(records, query.Search) : RecordFilters.Search(records, query.Search, fields);
    }

    /// <summary>The query without conditions and sort on fields hidden from the actor (a saved view that uses them still opens).</summary>
    public static RecordQuery Restrict(RecordQuery query, EntityFieldView fields) => !fields.IsRestricted ? query : query with
    {
        Filters = query.Filters.Where(f => fields.CanUse(f.Field)).ToList(),
        Sort = query.Sort.Where(s => fields.CanUse(s.Field)).ToList(),
    };

    /// <summary>One sorted page of <paramref name="matching"/> (ORDER BY … LIMIT … OFFSET in SQL).</summary>
    public static IQueryable<Record> Page(IQueryable<Record> matching, EntityMeta entity, RecordQuery query)
        => RecordFilters.Sort(matching, entity, query.Sort)
            .Skip(Math.Max(0, query.Skip))
            .Take(Math.Clamp(query.Take, 1, RecordQuery.MaxTake));

    /// <summary>Owners, members and lookups on the page: the ids whose names the list shows.</summary>
    public static HashSet<Guid> ReferencedIds(EntityMeta entity, IEnumerable<RecordListItem> items)
    {
        var fields = entity.AllFields.Select(f => (f.Key, Type: FieldTypeRegistry.Find(f.Type))).Where(f => f.Type?.ShowsNames == true).ToList();
        var ids = new HashSet<Guid>();
        foreach (var item in items)
        {
            if (item.OwnerId is { } owner) ids.Add(owner);
            foreach (var (key, type) in fields) ids.UnionWith(type!.ReferencedIds(item.Values[key]));
        }
        return ids;
    }
}
