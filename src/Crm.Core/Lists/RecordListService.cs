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
        // One connection (one tenant setting) for every statement of the list: the metadata version, the rights,
        // the count, the page and the names (each of them opened its own before: twice the round trips).
        await db.Database.OpenConnectionAsync(ct);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return new RecordListPage(0, [], new Dictionary<Guid, string>());

        // Hidden fields: conditions and sort on them are dropped, the quick search does not match them, the rows
        // come without their values.
        var fields = await access.FieldViewAsync(db, actor, entity, ct);
        query = Restrict(query, fields);
        var now = clock.GetUtcNow().UtcDateTime;
        var matching = Matching(db, entity, query, actor.UserId, now, Tenancy.WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone), fields.Access, fields);
        var total = await matching.CountAsync(ct);
        var rows = await Page(matching, entity, query)
            .Select(r => new { r.Id, r.Title, r.Values, r.Version, r.OwnerId, r.PipelineId, r.CreatedAt, r.UpdatedAt })
            .ToListAsync(ct);
        var items = rows.Select(r => new RecordListItem(r.Id, fields.Title(r.Title), fields.Visible(RecordWriter.ParseValues(r.Values)), r.Version,
            fields.OwnerHidden ? null : r.OwnerId, r.PipelineId, r.CreatedAt, r.UpdatedAt)).ToList();

        var referenced = ReferencedIds(entity, items);
        var names = referenced.Count == 0 ? new Dictionary<Guid, string>() : await RecordDirectory.NamesAsync(db, actor, referenced, ct);
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
