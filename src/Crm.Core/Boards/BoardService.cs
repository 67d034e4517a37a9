using System.Linq.Expressions;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Activities;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Boards;

/// <summary>
/// The Kanban query and the card move. A board load is a handful of statements on one connection: one GROUP BY for
/// every column's count, amount sum and probability-weighted sum (stages joined for their probability), one
/// UNION ALL of "first N cards by rank" per column (each an index range scan on
/// (tenant, entity type, pipeline, stage, rank) for stage boards), overdue tasks of the loaded cards and the names
/// they show. Records are never loaded into memory to be counted or summed.
/// </summary>
public sealed class BoardService(ICrmDbContextFactory factory, MetadataStore metadataStore, RecordService records, IStringLocalizer<CoreStrings> t, TimeProvider clock, IAccessResolver access)
{
    public const int DefaultPageSize = 50;

    /// <summary>
    /// Loads the board: totals of every column and cards of <paramref name="columns"/> (all when null), each
    /// column's first <see cref="BoardRequest.PageSize"/> cards or the number given in <paramref name="takes"/>.
    /// Columns not in <paramref name="columns"/> come back with their totals and no cards. Null when the entity type
    /// is unknown or has no field to group by.
    /// </summary>
    public async Task<BoardData?> LoadAsync(Actor actor, BoardRequest request, IReadOnlyCollection<string>? columns = null,
        IReadOnlyDictionary<string, int>? takes = null, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await db.Database.OpenConnectionAsync(ct); // one connection (and one tenant session setting) for every statement
        var stamp = await AccessResolver.StampAsync(db, actor, ct); // the metadata version and the member's role in one statement
        var metadata = await metadataStore.GetAsync(db, stamp.MetadataVersion, ct);
        if (metadata.Entity(request.EntityKey) is not { Entity.IsArchived: false } entity) return null;
        var fields = await access.FieldViewAsync(db, actor, entity, stamp, ct);
        // Grouping by a hidden field would show its values as columns (and their counts and sums): refused, naming it.
        if (!fields.CanUse(request.GroupBy) && entity.Field(HiddenFieldRef.BoundKey(entity, request.GroupBy!) ?? request.GroupBy) is not null)
        {
            var fallback = BoardLayout.Resolve(entity, null, request.Pipeline, fields.CanSee);
            return fallback is null ? null
                : new BoardData(fallback, [], new Dictionary<Guid, string>()) { HiddenField = HiddenFieldRef.Of(entity, request.GroupBy!), AmountHidden = fields.AmountHidden };
        }
        request = Restrict(request, fields);
        if (BoardLayout.Resolve(entity, request.GroupBy, request.Pipeline, fields.CanSee) is not { } layout) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        var query = Filtered(db, layout, request, actor, now, fields);

        // Maintained totals (PostgreSQL) answer only for the whole column: no filter, no search, every record readable.
        var whole = request.AllFilters().Count == 0 && string.IsNullOrWhiteSpace(request.Search)
                    && Permissions.RecordScope.Predicate(db, fields.Access) is null;
        // Only someone who may change records of the type starts keeping a slot's totals (or folds them): a board
        // load of a viewer writes nothing (docs/decisions.md, "read-only boards (l10nfix)").
        var mayWrite = fields.Access.CanCreate || !fields.Access.Edit.IsNone || !fields.Access.Delete.IsNone;
        var totals = await TotalsAsync(db, query, layout, whole, mayWrite, ct);
        // Column totals and weighted values are sums of the amount: none for someone the amount is hidden from.
        if (fields.AmountHidden)
            foreach (var k in totals.Keys.ToList()) totals[k] = totals[k] with { Sum = null, Weighted = null };
        var shown = layout.Columns.Where(c => (!c.IsArchived && !c.IsNoValue) || totals.ContainsKey(c.Key)).ToList();

        var pages = new List<IQueryable<CardRow>>();
        foreach (var column in shown)
        {
            if (columns is not null && !columns.Contains(column.Key)) continue;
            if (!totals.TryGetValue(column.Key, out var total) || total.Count == 0) continue;
            var take = Math.Max(1, takes?.GetValueOrDefault(column.Key) is > 0 and var n ? n : request.PageSize);
            pages.Add(Page(query, layout, column, 0, take));
        }
        var rows = pages.Count == 0 ? [] : await pages.Aggregate((a, b) => a.Concat(b)).ToListAsync(ct);
        var cards = await CardsAsync(db, layout, rows, now, fields, ct);
        var names = await NamesAsync(db, actor, layout, request, cards, ct);

        var byColumn = cards.ToLookup(c => c.ColumnKey);
        var data = shown.Select(c =>
        {
            var total = totals.GetValueOrDefault(c.Key) ?? new Totals(0, null, null);
            return new BoardColumnData(c, total.Count, total.Sum, total.Weighted, byColumn[c.Key].OrderBy(x => x.Rank).ThenBy(x => x.Id).ToList());
        }).ToList();
        return new BoardData(layout, data, names) { AmountHidden = fields.AmountHidden };
    }

    /// <summary>The next cards of one column ("load more" and scrolling), after the <paramref name="skip"/> already shown.</summary>
    public async Task<BoardPage> LoadMoreAsync(Actor actor, BoardRequest request, string columnKey, int skip, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await db.Database.OpenConnectionAsync(ct);
        var stamp = await AccessResolver.StampAsync(db, actor, ct);
        var metadata = await metadataStore.GetAsync(db, stamp.MetadataVersion, ct);
        if (metadata.Entity(request.EntityKey) is not { } entity) return new BoardPage([], new Dictionary<Guid, string>());
        var fields = await access.FieldViewAsync(db, actor, entity, stamp, ct);
        request = Restrict(request, fields);
        if (BoardLayout.Resolve(entity, request.GroupBy, request.Pipeline, fields.CanSee) is not { } layout || layout.Column(columnKey) is not { } column)
            return new BoardPage([], new Dictionary<Guid, string>());
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = await Page(Filtered(db, layout, request, actor, now, fields), layout, column, Math.Max(0, skip), request.PageSize).ToListAsync(ct);
        var cards = await CardsAsync(db, layout, rows, now, fields, ct);
        return new BoardPage(cards.OrderBy(c => c.Rank).ThenBy(c => c.Id).ToList(), await NamesAsync(db, actor, layout, request, cards, ct));
    }

    /// <summary>The column a record is in on this board now (null when it is not on it: other pipeline, filtered out, deleted).</summary>
    public async Task<string?> ColumnOfAsync(Actor actor, BoardRequest request, Guid recordId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        if (metadata.Entity(request.EntityKey) is not { } entity) return null;
        var fields = await access.FieldViewAsync(actor, entity, ct);
        request = Restrict(request, fields);
        if (BoardLayout.Resolve(entity, request.GroupBy, request.Pipeline, fields.CanSee) is not { } layout) return null;
        var row = await Filtered(db, layout, request, actor, clock.GetUtcNow().UtcDateTime, fields).Where(r => r.Id == recordId)
            .Select(r => new { r.StageId, r.StatusOptionId, r.Values }).FirstOrDefaultAsync(ct);
        return row is null ? null : ColumnKey(layout, row.StageId, row.StatusOptionId, RecordWriter.ParseValues(row.Values));
    }

    /// <summary>
    /// Moves a card: the group field takes the target column's value (plus the final amount for a won stage, the
    /// lost reason for a lost one) and the rank goes between the new neighbours, through <see cref="RecordService"/>
    /// with the version the card showed. A record changed meanwhile comes back as a conflict with its current state;
    /// nothing is overwritten.
    /// </summary>
    public async Task<BoardMoveResult> MoveAsync(Actor actor, BoardMove move, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        var metadata = await metadataStore.GetAsync(actor.TenantId, ct);
        if (metadata.Entity(move.Board.EntityKey) is not { } entity || BoardLayout.Resolve(entity, move.Board.GroupBy, move.Board.Pipeline) is not { } layout
            || layout.Column(move.ToColumn) is not { } column)
            return BoardMoveResult.Fail(BoardMoveOutcome.Invalid, RecordWriter.RecordErrorKey, t["Board.UnknownColumn", move.ToColumn]);

        var values = new JsonObject { [layout.GroupField.Key] = column.IsNoValue ? null : JsonValue.Create(column.Key) };
        if (column.IsWon && entity.AmountField is { } amountField)
        {
            if (move.WonAmount is not { } amount) return BoardMoveResult.Fail(BoardMoveOutcome.NeedsAmount, amountField.Key, t["Validation.Required", amountField.Label.Get()]);
            values[amountField.Key] = JsonValue.Create(amount);
        }
        if (column.IsLost && entity.LostReasonField is { } reasonField)
        {
            if (string.IsNullOrWhiteSpace(move.LostReason)) return BoardMoveResult.Fail(BoardMoveOutcome.NeedsLostReason, reasonField.Key, t["Validation.Required", reasonField.Label.Get()]);
            values[reasonField.Key] = JsonValue.Create(move.LostReason);
        }

        double rank;
        await using (var db = factory.CreateForTenant(actor.TenantId))
        {
            var ids = new[] { move.AfterId, move.BeforeId, (Guid?)move.RecordId }.Where(i => i is not null).Select(i => i!.Value).ToList();
            var ranks = await db.Records.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.Rank }).ToDictionaryAsync(r => r.Id, r => r.Rank, ct);
            if (!ranks.TryGetValue(move.RecordId, out var current))
                return BoardMoveResult.Fail(BoardMoveOutcome.NotFound, RecordWriter.RecordErrorKey, t["Record.NotFound"]);
            double? Rank(Guid? id) => id is { } g && g != move.RecordId && ranks.TryGetValue(g, out var r) ? r : null;
            rank = BoardRanks.Between(Rank(move.AfterId), Rank(move.BeforeId), current);
        }

        var input = new RecordInput(values) { ExpectedVersion = move.ExpectedVersion, Rank = rank, Pipeline = layout.Pipeline?.Key };
        var result = await records.UpdateAsync(actor, move.RecordId, input, ct);
        if (result.Succeeded) return new BoardMoveResult(BoardMoveOutcome.Moved, result.Errors, result.Record);
        if (result.Conflict is not null) return new BoardMoveResult(BoardMoveOutcome.Conflict, result.Errors, result.Conflict);
        return new BoardMoveResult(result.NotFound ? BoardMoveOutcome.NotFound : BoardMoveOutcome.Invalid, result.Errors);
    }

    /// <summary>The values a record created in <paramref name="columnKey"/> starts with (defaults plus the column's value).</summary>
    public static JsonObject NewRecordValues(BoardLayout layout, string columnKey, Guid userId, DateTime utcNow)
    {
        var values = RecordDefaults.For(layout.Entity, userId, utcNow, layout.Pipeline);
        if (layout.Column(columnKey) is { IsNoValue: false } column) values[layout.GroupField.Key] = column.Key;
        else values.Remove(layout.GroupField.Key);
        return values;
    }

    // ---- query parts -------------------------------------------------------------------------------------------

    /// <summary>The request as the person may run it: grouping, card fields and conditions on hidden fields are dropped.</summary>
    public static BoardRequest Restrict(BoardRequest request, EntityFieldView fields) => !fields.IsRestricted ? request : request with
    {
        GroupBy = fields.CanUse(request.GroupBy) ? request.GroupBy : null,
        CardFields = request.CardFields.Where(fields.CanUse).ToList(),
        ViewFilters = request.ViewFilters.Where(f => fields.CanUse(f.Field)).ToList(),
        Owners = fields.OwnerHidden ? [] : request.Owners,
        Mine = request.Mine && !fields.OwnerHidden,
        Choices = request.Choices.Where(c => fields.CanUse(c.Key)).ToDictionary(c => c.Key, c => c.Value),
    };

    private static IQueryable<Record> Filtered(CrmDbContext db, BoardLayout layout, BoardRequest request, Actor actor, DateTime now, EntityFieldView fields)
    {
        var entityId = layout.Entity.Entity.Id;
        var query = Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.EntityTypeId == entityId), db, fields.Access);
        if (layout.Kind == BoardGroupKind.Stage)
        {
            var pipelineId = layout.Pipeline!.Pipeline.Id;
            query = query.Where(r => r.PipelineId == pipelineId);
        }
        query = RecordFilters.Apply(query, layout.Entity, request.AllFilters(), actor.UserId, now, Tenancy.WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone));
        return RecordFilters.Search(query, request.Search, fields);
    }

    private sealed record Totals(int Count, decimal? Sum, decimal? Weighted);

    /// <summary>
    /// Per column: count, sum of amounts and sum of amount × stage probability / 100, in one statement. Records are
    /// grouped by (column, stage) first; only those few groups are joined to the stages for their probability and
    /// summed per column, so the join never touches the records one by one.
    /// </summary>
    private static async Task<Dictionary<string, Totals>> TotalsAsync(CrmDbContext db, IQueryable<Record> query, BoardLayout layout, bool whole, bool mayWrite,
        CancellationToken ct)
    {
        var stages = db.Stages.AsNoTracking();
        var result = new Dictionary<string, Totals>();
        void Add(string key, int count, decimal? sum, decimal? weighted)
        {
            var old = result.GetValueOrDefault(key) ?? new Totals(0, null, null);
            result[key] = new Totals(old.Count + count, Plus(old.Sum, sum), Plus(old.Weighted, weighted));
        }
        switch (layout.Kind)
        {
            case BoardGroupKind.Stage:
                // Every record of a stage column has that stage: the weighted sum is the column's sum × its probability.
                foreach (var g in await query.GroupBy(r => r.StageId).Select(g => new { g.Key, Count = g.Count(), Sum = g.Sum(r => r.Amount) })
                             .LeftJoin(stages, g => g.Key, s => (Guid?)s.Id, (g, s) => new { g.Key, g.Count, g.Sum, Weighted = g.Sum * (s == null ? 0 : s.Probability) / 100m })
                             .ToListAsync(ct))
                    if (layout.Columns.FirstOrDefault(c => c.Id == g.Key) is { } column) Add(column.Key, g.Count, g.Sum, g.Weighted);
                break;
            case BoardGroupKind.Status:
                foreach (var g in await query.GroupBy(r => new { r.StatusOptionId, r.StageId }).Select(g => new { g.Key.StatusOptionId, g.Key.StageId, Count = g.Count(), Sum = g.Sum(r => r.Amount) })
                             .LeftJoin(stages, g => g.StageId, s => (Guid?)s.Id, (g, s) => new { g.StatusOptionId, g.Count, g.Sum, Probability = s == null ? 0 : s.Probability })
                             .GroupBy(x => x.StatusOptionId)
                             .Select(x => new { x.Key, Count = x.Sum(y => y.Count), Sum = x.Sum(y => y.Sum), Weighted = x.Sum(y => y.Sum * y.Probability) / 100m })
                             .ToListAsync(ct))
                    Add(layout.Columns.FirstOrDefault(c => c.Id == g.Key && !c.IsNoValue)?.Key ?? BoardLayout.NoValueKey, g.Count, g.Sum, g.Weighted);
                break;
            case BoardGroupKind.Choice when whole && db.Database.IsNpgsql() && MaintainedTotals.SlotOf(layout.GroupField) is { } slot
                                            && await MaintainedTotals.ReadAsync(db, layout.Entity.Entity.Id, slot, mayWrite, ct) is { } kept:
                // The totals PostgreSQL keeps per slot value and stage (MaintainedTotals): a few dozen rows, not a GROUP BY over every
                // record. Not kept yet and the reader may not write: the GROUP BY below (nothing written for a viewer).
                var probabilities = layout.Entity.Owner.EntityTypes.SelectMany(e => e.AllPipelines).SelectMany(p => p.AllStages).ToDictionary(s => s.Id, s => s.Probability);
                foreach (var g in kept.GroupBy(r => r.Value))
                {
                    // As the GROUP BY's SUM reads (EF sums a nullable column as 0 when every value is null): 0, not null, for
                    // a column whose records have no amount; a column without records has no row at all (no totals).
                    var sum = g.Sum(r => r.Amount);
                    var weighted = g.Sum(r => r.Amount * (r.StageId is { } id && probabilities.TryGetValue(id, out var p) ? p : 0)) / 100m;
                    Add(layout.Columns.FirstOrDefault(c => c.Key == g.Key && !c.IsNoValue)?.Key ?? BoardLayout.NoValueKey, (int)g.Sum(r => r.Records), sum, weighted);
                }
                break;
            default:
                // The select's typed index copy where it has one (Records.IndexSlots), else its JSON value.
                foreach (var g in await query.Select(IndexSlots.With(IndexSlots.TextOf(layout.GroupField), (r, o) => new { Option = o, r.StageId, r.Amount }))
                             .GroupBy(r => new { r.Option, r.StageId })
                             .Select(g => new { g.Key.Option, g.Key.StageId, Count = g.Count(), Sum = g.Sum(r => r.Amount) })
                             .LeftJoin(stages, g => g.StageId, s => (Guid?)s.Id, (g, s) => new { g.Option, g.Count, g.Sum, Probability = s == null ? 0 : s.Probability })
                             .GroupBy(x => x.Option)
                             .Select(x => new { x.Key, Count = x.Sum(y => y.Count), Sum = x.Sum(y => y.Sum), Weighted = x.Sum(y => y.Sum * y.Probability) / 100m })
                             .ToListAsync(ct))
                    Add(layout.Columns.FirstOrDefault(c => c.Key == g.Key && !c.IsNoValue)?.Key ?? BoardLayout.NoValueKey, g.Count, g.Sum, g.Weighted);
                break;
        }
        if (layout.Entity.AmountField is null)
            foreach (var k in result.Keys.ToList()) result[k] = result[k] with { Sum = null, Weighted = null };
        return result;
    }

    private static decimal? Plus(decimal? a, decimal? b) => a is null ? b : b is null ? a : a + b;

    private sealed class CardRow
    {
        public Guid Id { get; init; }
        public string Title { get; init; } = "";
        public Guid? OwnerId { get; init; }
        public decimal? Amount { get; init; }
        public DateOnly? CloseDate { get; init; }
        public Guid? StageId { get; init; }
        public Guid? StatusOptionId { get; init; }
        public string Values { get; init; } = "{}";
        public double Rank { get; init; }
        public long Version { get; init; }
        public DateTime? StageEnteredAt { get; init; }
    }

    /// <summary>
    /// A column's cards in rank order. Ordered by rank alone so the index on (…, stage, rank) returns them in order
    /// and the LIMIT stops after one page: adding the id as a tie-breaker made PostgreSQL read and sort the whole
    /// column (14,000 rows per stage in the benchmark) because it cannot tell how many rows a stage holds.
    /// Ties (only after ~50 halvings of one gap) are ordered by id in memory.
    /// </summary>
    private static IQueryable<CardRow> Page(IQueryable<Record> query, BoardLayout layout, BoardColumnDef column, int skip, int take)
    {
        var page = query.Where(InColumn(layout, column)).OrderBy(r => r.Rank).AsQueryable();
        if (skip > 0) page = page.Skip(skip);
        return page.Take(take).Select(r => new CardRow
        {
            Id = r.Id, Title = r.Title, OwnerId = r.OwnerId, Amount = r.Amount, CloseDate = r.CloseDate, StageId = r.StageId,
            StatusOptionId = r.StatusOptionId, Values = r.Values, Rank = r.Rank, Version = r.Version, StageEnteredAt = r.StageEnteredAt,
        });
    }

    private static Expression<Func<Record, bool>> InColumn(BoardLayout layout, BoardColumnDef column)
    {
        switch (layout.Kind)
        {
            case BoardGroupKind.Stage:
                var stageId = column.Id;
                return r => r.StageId == stageId;
            case BoardGroupKind.Status:
                if (!column.IsNoValue)
                {
                    var optionId = column.Id;
                    return r => r.StatusOptionId == optionId;
                }
                var known = layout.Columns.Where(c => !c.IsNoValue).Select(c => c.Id).ToList();
                return r => r.StatusOptionId == null || !known.Contains(r.StatusOptionId);
            default:
                var value = IndexSlots.TextOf(layout.GroupField);
                if (!column.IsNoValue)
                {
                    var option = column.Key;
                    return IndexSlots.With(value, (r, o) => o == option);
                }
                var keys = layout.Columns.Where(c => !c.IsNoValue).Select(c => c.Key).ToList();
                return IndexSlots.With(value, (r, o) => o == null || !keys.Contains(o));
        }
    }

    private static string ColumnKey(BoardLayout layout, Guid? stageId, Guid? statusOptionId, JsonObject values) => layout.Kind switch
    {
        BoardGroupKind.Stage => layout.Columns.FirstOrDefault(c => c.Id == stageId)?.Key ?? BoardLayout.NoValueKey,
        BoardGroupKind.Status => layout.Columns.FirstOrDefault(c => c.Id == statusOptionId && !c.IsNoValue)?.Key ?? BoardLayout.NoValueKey,
        _ => values[layout.GroupField.Key] is JsonValue v && v.TryGetValue<string>(out var k) && layout.Column(k) is { IsNoValue: false } ? k : BoardLayout.NoValueKey,
    };

    private static async Task<List<BoardCard>> CardsAsync(CrmDbContext db, BoardLayout layout, List<CardRow> rows, DateTime now, EntityFieldView fields, CancellationToken ct)
    {
        if (rows.Count == 0) return [];
        var ids = rows.Select(r => r.Id).ToList();
        var overdue = await db.Activities.AsNoTracking()
            .Where(a => ids.Contains(a.RecordId) && a.Kind == ActivityKind.Task && a.CompletedAt == null && a.DueAt != null && a.DueAt < now)
            .GroupBy(a => a.RecordId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var metadata = layout.Entity.Owner;
        return rows.Select(r =>
        {
            var all = RecordWriter.ParseValues(r.Values);
            var values = fields.Visible(all);
            var stage = r.StageId is { } sid ? metadata.Stage(sid)?.Stage : null;
            int? days = stage is not null && r.StageEnteredAt is { } entered ? (int)Math.Floor((now - entered).TotalDays) : null;
            var stale = stage is { Kind: StageKind.Open, StaleAfterDays: { } limit } && days > limit;
            // The column comes from the (visible) group field; amount, owner and close date only when they are visible.
            return new BoardCard(r.Id, fields.Title(r.Title), ColumnKey(layout, r.StageId, r.StatusOptionId, all), r.Rank, r.Version,
                fields.OwnerHidden ? null : r.OwnerId, fields.AmountHidden ? null : r.Amount,
                fields.CloseDateHidden ? null : r.CloseDate, r.StageId, values, days, stale, overdue.GetValueOrDefault(r.Id));
        }).ToList();
    }

    /// <summary>Display names of the owners and of the members and records the card fields point at (two queries at most).</summary>
    private static async Task<IReadOnlyDictionary<Guid, string>> NamesAsync(CrmDbContext db, Actor actor, BoardLayout layout, BoardRequest request, List<BoardCard> cards, CancellationToken ct)
    {
        var names = new Dictionary<Guid, string>();
        var referenceFields = request.CardFields.Select(k => layout.Entity.Field(k)).Where(f => FieldTypeRegistry.Find(f?.Type)?.ShowsNames == true).Select(f => f!).ToList();
        var members = cards.Where(c => c.OwnerId is not null).Select(c => c.OwnerId!.Value).ToHashSet();
        var targets = new HashSet<Guid>();
        foreach (var card in cards)
            foreach (var f in referenceFields)
                foreach (var id in FieldTypeRegistry.Get(f.Type).ReferencedIds(card.Values[f.Key]))
                    (f.Type == FieldTypes.Member ? members : targets).Add(id);
        if (targets.Count > 0)
        {
            // Records and departments (a department field's names).
            var ids = targets.ToList();
            foreach (var r in await db.Records.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.Title }).ToListAsync(ct))
                names[r.Id] = r.Title;
            ids = ids.Where(id => !names.ContainsKey(id)).ToList();
            if (ids.Count > 0)
                foreach (var d in await db.Departments.AsNoTracking().Where(d => ids.Contains(d.Id)).Select(d => new { d.Id, d.Name }).ToListAsync(ct))
                    names[d.Id] = d.Name;
        }
        if (members.Count > 0)
        {
            var ids = members.ToList();
            var tenantId = actor.TenantId;
            foreach (var m in await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && ids.Contains(m.UserId))
                         .Select(m => new { m.UserId, m.User!.DisplayName }).ToListAsync(ct))
                names[m.UserId] = m.DisplayName;
        }
        return names;
    }
}

public sealed record BoardMove(BoardRequest Board, Guid RecordId, long ExpectedVersion, string ToColumn, Guid? AfterId = null, Guid? BeforeId = null)
{
    /// <summary>The final amount, asked for when the card is dropped on a won stage.</summary>
    public decimal? WonAmount { get; init; }
    /// <summary>The lost reason (an option key), asked for when the card is dropped on a lost stage.</summary>
    public string? LostReason { get; init; }
}

public enum BoardMoveOutcome
{
    Moved,
    /// <summary>The record changed since the card was shown; <see cref="BoardMoveResult.Record"/> is its current state.</summary>
    Conflict,
    NeedsAmount,
    NeedsLostReason,
    Invalid,
    NotFound,
}

public sealed record BoardMoveResult(BoardMoveOutcome Outcome, ValidationErrors Errors, Record? Record = null)
{
    public bool Succeeded => Outcome == BoardMoveOutcome.Moved;

    internal static BoardMoveResult Fail(BoardMoveOutcome outcome, string key, string message)
    {
        var errors = new ValidationErrors();
        errors.Add(key, message);
        return new BoardMoveResult(outcome, errors);
    }
}
