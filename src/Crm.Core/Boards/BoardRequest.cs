using System.Text.Json.Nodes;
using Crm.Core.Views;

namespace Crm.Core.Boards;

/// <summary>
/// What a board shows: the entity type, its group-by field and pipeline, the card fields, the saved view's own
/// filters and the quick filters of the toolbar (owner, "mine", text search, select fields). Immutable: the
/// toolbar makes a new request for every change.
/// </summary>
public sealed record BoardRequest(string EntityKey)
{
    public string? GroupBy { get; init; }
    public string? Pipeline { get; init; }
    public IReadOnlyList<string> CardFields { get; init; } = [];
    /// <summary>Filters of the saved view the board was opened with.</summary>
    public IReadOnlyList<FilterSpec> ViewFilters { get; init; } = [];
    public string? Search { get; init; }
    /// <summary>Only records the current user owns.</summary>
    public bool Mine { get; init; }
    /// <summary>Only records owned by one of these members (empty: anyone).</summary>
    public IReadOnlyList<Guid> Owners { get; init; } = [];
    /// <summary>Select-field quick filters: field key → accepted option keys.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Choices { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    /// <summary>Cards per column on the first load and per "load more".</summary>
    public int PageSize { get; init; } = BoardService.DefaultPageSize;

    /// <summary>All filters as <see cref="FilterSpec"/>s, the form shared with lists and reports.</summary>
    public IReadOnlyList<FilterSpec> AllFilters()
    {
        var filters = new List<FilterSpec>(ViewFilters);
        if (Mine) filters.Add(new FilterSpec("$owner", "eq", JsonValue.Create("$me")));
        if (Owners.Count > 0) filters.Add(new FilterSpec("$owner", "in", new JsonArray(Owners.Select(o => (JsonNode?)JsonValue.Create(o.ToString())).ToArray())));
        foreach (var (field, keys) in Choices.Where(c => c.Value.Count > 0))
            filters.Add(new FilterSpec(field, "in", new JsonArray(keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray())));
        return filters;
    }

    /// <summary>The board as a saved view definition (quick filters become the view's filters).</summary>
    public ViewDefinition ToDefinition() => new()
    {
        GroupBy = GroupBy,
        Pipeline = Pipeline,
        CardFields = CardFields.ToList(),
        Filters = AllFilters().ToList(),
        Search = string.IsNullOrWhiteSpace(Search) ? null : Search.Trim(),
    };

    public static BoardRequest FromView(string entityKey, ViewDefinition definition) => new(entityKey)
    {
        GroupBy = definition.GroupBy,
        Pipeline = definition.Pipeline,
        CardFields = definition.CardFields.ToList(),
        ViewFilters = definition.Filters.ToList(),
        Search = definition.Search,
    };
}
