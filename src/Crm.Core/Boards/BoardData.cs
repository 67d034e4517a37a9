using System.Text.Json.Nodes;
using Crm.Core.Metadata;

namespace Crm.Core.Boards;

/// <summary>A board as loaded: its columns in order with their totals and first cards, and names of referenced ids.</summary>
public sealed record BoardData(BoardLayout Layout, IReadOnlyList<BoardColumnData> Columns, IReadOnlyDictionary<Guid, string> Names)
{
    /// <summary>
    /// Set when the board was asked to group by a field hidden from the viewer: it is refused (no columns, no totals)
    /// and <see cref="Layout"/> is the default grouping the viewer may switch to.
    /// </summary>
    public Permissions.HiddenFieldRef? HiddenField { get; init; }
    /// <summary>The amount is hidden from the viewer: cards carry none and columns no sums.</summary>
    public bool AmountHidden { get; init; }

    public BoardColumnData? Column(string key) => Columns.FirstOrDefault(c => c.Column.Key == key);
}

/// <summary>
/// One column: how many records it holds, the sum of their amounts and the probability-weighted sum (each record's
/// amount × its stage's probability), all computed by the database, and the cards loaded so far.
/// </summary>
public sealed record BoardColumnData(BoardColumnDef Column, int Count, decimal? Sum, decimal? Weighted, IReadOnlyList<BoardCard> Cards)
{
    public bool HasMore => Cards.Count < Count;
}

/// <summary>A card: what the board needs to show and move one record.</summary>
public sealed record BoardCard(
    Guid Id,
    string Title,
    string ColumnKey,
    double Rank,
    long Version,
    Guid? OwnerId,
    decimal? Amount,
    DateOnly? CloseDate,
    Guid? StageId,
    JsonObject Values,
    /// <summary>Whole days in the current stage (null when the record has no stage).</summary>
    int? DaysInStage,
    /// <summary>Days in stage exceed the stage's limit.</summary>
    bool IsStale,
    /// <summary>Open tasks of the record whose due time has passed.</summary>
    int OverdueTasks);

/// <summary>Cards of one column after "load more".</summary>
public sealed record BoardPage(IReadOnlyList<BoardCard> Cards, IReadOnlyDictionary<Guid, string> Names);
