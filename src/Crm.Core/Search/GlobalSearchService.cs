using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Search;

/// <summary>A record found by the search box; <see cref="MatchField"/> names the text field that matched when the title did not.</summary>
public sealed record SearchHit(Guid Id, string EntityKey, string Title, string? MatchField, string? MatchText);

/// <summary>The hits of one entity type and how many records of that type match in all.</summary>
public sealed record SearchGroup(EntityMeta Entity, int Total, IReadOnlyList<SearchHit> Hits);

public sealed record SearchResults(string Text, IReadOnlyList<SearchGroup> Groups)
{
    public int Total => Groups.Sum(g => g.Total);
    public static SearchResults Empty(string text) => new(text, []);
}

/// <summary>
/// The global search box: records of every active entity type of the workspace whose title or text fields
/// contain the words typed (the record's lower-cased search text, kept by the record writer). Two queries
/// whatever the number of types: the counts per type, and the first hits of each type (titles starting with the
/// text first, then by title) as one UNION ALL.
/// </summary>
public sealed class GlobalSearchService(ICrmDbContextFactory factory, MetadataStore metadataStore, IAccessResolver access)
{
    public const int MinLength = 1;
    public const int MaxLength = 100;

    public async Task<SearchResults> SearchAsync(Actor actor, string? text, int perType = 5, CancellationToken ct = default)
    {
        var needle = (text ?? "").Trim().ToLowerInvariant();
        if (needle.Length < MinLength) return SearchResults.Empty(text ?? "");
        if (needle.Length > MaxLength) needle = needle[..MaxLength];
        perType = Math.Clamp(perType, 1, 50);

        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var active = metadata.EntityTypes.Where(e => !e.Entity.IsArchived).ToList();
        if (active.Count == 0) return SearchResults.Empty(text!);
        var typeIds = active.Select(e => e.Entity.Id).ToList();

        // Types where a text field (or the title) is hidden from the actor match on the visible fields one by one;
        // the others on the stored search text (see RecordFilters.Search).
        var rights = await access.GetAllAsync(actor, typeIds, ct);
        var views = active.ToDictionary(e => e.Entity.Id, e => e.For(rights[e.Entity.Id]));
        var plain = views.Values.Where(v => !v.SearchTextLeaks).Select(v => v.Entity.Entity.Id).ToList();
        System.Linq.Expressions.Expression<Func<Record, bool>> predicate = r => plain.Contains(r.EntityTypeId) && r.SearchText.Contains(needle);
        foreach (var view in views.Values.Where(v => v.SearchTextLeaks))
        {
            var typeId = view.Entity.Entity.Id;
            var visible = RecordFilters.VisibleTextContains(view, needle);
            predicate = RecordFilters.Or(predicate, And(r => r.EntityTypeId == typeId, visible));
        }
        // Only records the searcher may read, each type by its own scope (counts included: no leak of hidden matches).
        var matching = Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(predicate), db, rights);
        var counts = await matching.GroupBy(r => r.EntityTypeId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        if (counts.Count == 0) return SearchResults.Empty(text!);

        // The first hits of each type that has any: one UNION ALL of small "ORDER BY … LIMIT n" queries.
        var prefix = needle;
        IQueryable<HitRow>? union = null;
        foreach (var typeId in counts.Select(c => c.Key))
        {
            var ofType = matching.Where(r => r.EntityTypeId == typeId)
                .Select(r => new HitRow { Id = r.Id, EntityTypeId = r.EntityTypeId, Title = r.Title, Values = r.Values, Rank = r.Title.ToLower().StartsWith(prefix) ? 0 : 1 })
                .OrderBy(r => r.Rank).ThenBy(r => r.Title).ThenBy(r => r.Id)
                .Take(perType);
            union = union is null ? ofType : union.Concat(ofType);
        }
        var top = await union!.ToListAsync(ct);

        var groups = new List<SearchGroup>();
        foreach (var entity in active)
        {
            var count = counts.FirstOrDefault(c => c.Key == entity.Entity.Id)?.Count ?? 0;
            if (count == 0) continue;
            var hits = top.Where(h => h.EntityTypeId == entity.Entity.Id)
                .OrderBy(h => h.Rank).ThenBy(h => h.Title, StringComparer.CurrentCulture)
                .Select(h => Hit(views[entity.Entity.Id], h.Id, h.Title, h.Values, needle))
                .ToList();
            groups.Add(new SearchGroup(entity, count, hits));
        }
        return new SearchResults(text!, groups);
    }

    private static System.Linq.Expressions.Expression<Func<Record, bool>> And(System.Linq.Expressions.Expression<Func<Record, bool>> a, System.Linq.Expressions.Expression<Func<Record, bool>> b)
        => System.Linq.Expressions.Expression.Lambda<Func<Record, bool>>(
            System.Linq.Expressions.Expression.AndAlso(a.Body, new ParameterSwap(b.Parameters[0], a.Parameters[0]).Visit(b.Body)!), a.Parameters);

    private sealed class ParameterSwap(System.Linq.Expressions.ParameterExpression from, System.Linq.Expressions.Expression to) : System.Linq.Expressions.ExpressionVisitor
    {
        protected override System.Linq.Expressions.Expression VisitParameter(System.Linq.Expressions.ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }

    private sealed class HitRow
    {
        public Guid Id { get; init; }
        public Guid EntityTypeId { get; init; }
        public string Title { get; init; } = "";
        public string Values { get; init; } = "";
        public int Rank { get; init; }
    }

    /// <summary>The hit, with the first searchable field that contains the text when the title does not.</summary>
    private static SearchHit Hit(EntityFieldView fields, Guid id, string title, string values, string needle)
    {
        var entity = fields.Entity;
        title = fields.Title(title);
        if (!fields.TitleHidden && title.Contains(needle, StringComparison.OrdinalIgnoreCase)) return new SearchHit(id, entity.Key, title, null, null);
        var parsed = RecordWriter.ParseValues(values);
        foreach (var field in fields.SearchableFields.Where(f => f.Key != entity.Entity.TitleFieldKey))
        {
            if (parsed[field.Key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Contains(needle, StringComparison.OrdinalIgnoreCase))
                return new SearchHit(id, entity.Key, title, field.Key, Excerpt(s, needle));
        }
        return new SearchHit(id, entity.Key, title, null, null);
    }

    /// <summary>Up to 80 characters of <paramref name="text"/> around the match.</summary>
    public static string Excerpt(string text, string needle, int width = 80)
    {
        text = text.ReplaceLineEndings(" ");
        if (text.Length <= width) return text;
        var at = Math.Max(0, text.IndexOf(needle, StringComparison.OrdinalIgnoreCase));
        var start = Math.Clamp(at - (width - needle.Length) / 2, 0, text.Length - width);
        return (start > 0 ? "…" : "") + text.Substring(start, width).Trim() + (start + width < text.Length ? "…" : "");
    }
}
