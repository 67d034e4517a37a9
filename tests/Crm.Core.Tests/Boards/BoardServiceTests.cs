using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Boards;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Boards;

/// <summary>The board query and the card move, on both databases, checked against the records themselves.</summary>
public class BoardServiceTests
{
    private static readonly BoardRequest Opportunities = new("opportunity") { GroupBy = "stage", Pipeline = "b2b", CardFields = ["amount", "expected_close", "owner", "company"] };

    private static async Task<Workspace> B2bAsync(string provider, TimeProvider? clock = null)
    {
        var ws = await Workspace.CreateAsync(provider, clock);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        return ws;
    }

    private static async Task<List<Record>> RecordsAsync(Workspace ws, string entityKey)
    {
        var entity = (await ws.MetadataAsync()).Entity(entityKey)!;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id).ToListAsync();
    }

    private static string? Text(Record r, string key) => RecordWriter.ParseValues(r.Values)[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static async Task<Record> CreateOpportunityAsync(Workspace ws, string name, string stage, decimal amount, Actor? actor = null)
    {
        var company = (await RecordsAsync(ws, "company")).First();
        var input = RecordInput.Of(("name", name), ("company", company.Id.ToString()), ("amount", amount), ("expected_close", "2026-12-31"), ("stage", stage)) with { Pipeline = "b2b" };
        var result = await ws.Records.CreateAsync(actor ?? ws.Owner, "opportunity", input);
        Assert.True(result.Succeeded, result.Errors.ToString());
        return result.Record!;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Columns_follow_the_pipeline_with_counts_sums_and_weighted_sums_of_the_records(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var meta = await ws.MetadataAsync();
        var pipeline = meta.Entity("opportunity")!.Pipeline("b2b")!;
        var all = (await RecordsAsync(ws, "opportunity")).Where(r => r.PipelineId == pipeline.Pipeline.Id).ToList();
        Assert.True(all.Count >= 10);

        var board = await ws.Get<BoardService>().LoadAsync(ws.Owner, Opportunities);

        Assert.NotNull(board);
        Assert.Equal(pipeline.Stages.Select(s => s.Key), board.Columns.Select(c => c.Column.Key));
        foreach (var column in board.Columns)
        {
            var stage = pipeline.Stage(column.Column.Key)!;
            var inStage = all.Where(r => r.StageId == stage.Id).ToList();
            Assert.Equal(inStage.Count, column.Count);
            Assert.Equal(inStage.Count, column.Cards.Count);
            Assert.Equal(inStage.Sum(r => r.Amount ?? 0), column.Sum ?? 0, 2);
            Assert.Equal(inStage.Sum(r => (r.Amount ?? 0) * stage.Probability / 100m), column.Weighted ?? 0, 2);
            Assert.Equal(inStage.OrderBy(r => r.Rank).ThenBy(r => r.Id).Select(r => r.Id), column.Cards.Select(c => c.Id));
            Assert.All(column.Cards, c => Assert.Equal(column.Column.Key, c.ColumnKey));
        }
        Assert.Contains(board.Columns, c => c.Count > 0 && c.Sum > 0 && c.Weighted > 0);
        // Owner names are loaded with the cards, in one go.
        Assert.Equal(ws.Owner.DisplayName, board.Names[ws.Owner.UserId]);
        var company = board.Columns.SelectMany(c => c.Cards).Select(c => Guid.Parse(c.Values["company"]!.GetValue<string>())).First();
        Assert.True(board.Names.ContainsKey(company));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_column_loads_fifty_cards_first_and_the_rest_on_demand_in_rank_order(string provider)
    {
        await using var ws = await B2bAsync(provider);
        for (var i = 0; i < 56; i++) await CreateOpportunityAsync(ws, $"Bulk {i:00}", "proposal", 1000 + i);
        var service = ws.Get<BoardService>();

        var board = (await service.LoadAsync(ws.Owner, Opportunities))!;
        var proposal = board.Column("proposal")!;
        Assert.True(proposal.Count >= 56);
        Assert.Equal(BoardService.DefaultPageSize, proposal.Cards.Count);
        Assert.True(proposal.HasMore);

        var more = await service.LoadMoreAsync(ws.Owner, Opportunities, "proposal", proposal.Cards.Count);
        Assert.Equal(proposal.Count - 50, more.Cards.Count);
        var ranks = proposal.Cards.Concat(more.Cards).Select(c => c.Rank).ToList();
        Assert.Equal(ranks.Order().ToList(), ranks);
        Assert.Equal(proposal.Count, proposal.Cards.Concat(more.Cards).Select(c => c.Id).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Moving_a_card_changes_the_stage_appends_a_transition_and_ranks_it_between_its_neighbours(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var service = ws.Get<BoardService>();
        var board = (await service.LoadAsync(ws.Owner, Opportunities))!;
        var card = board.Column("first_contact")!.Cards.First();
        var qualify = board.Column("qualify")!.Cards;
        Assert.True(qualify.Count >= 2);

        var result = await service.MoveAsync(ws.Owner, new BoardMove(Opportunities, card.Id, card.Version, "qualify", qualify[0].Id, qualify[1].Id));

        Assert.True(result.Succeeded, result.Errors.ToString());
        var after = (await service.LoadAsync(ws.Owner, Opportunities))!;
        Assert.Equal(card.Id, after.Column("qualify")!.Cards[1].Id);
        Assert.DoesNotContain(after.Column("first_contact")!.Cards, c => c.Id == card.Id);
        Assert.Equal(board.Column("qualify")!.Count + 1, after.Column("qualify")!.Count);
        Assert.Equal(board.Column("first_contact")!.Sum - card.Amount, after.Column("first_contact")!.Sum);

        var meta = await ws.MetadataAsync();
        var pipeline = meta.Entity("opportunity")!.Pipeline("b2b")!;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var record = await db.Records.AsNoTracking().SingleAsync(r => r.Id == card.Id);
        Assert.Equal(pipeline.Stage("qualify")!.Id, record.StageId);
        Assert.Equal("qualify", Text(record, "stage"));
        Assert.Equal(card.Version + 1, record.Version);
        Assert.InRange(record.Rank, qualify[0].Rank, qualify[1].Rank);
        var transition = await db.Transitions.AsNoTracking().Where(x => x.RecordId == card.Id).OrderByDescending(x => x.At).FirstAsync();
        Assert.Equal(pipeline.Stage("first_contact")!.Id, transition.FromId);
        Assert.Equal(pipeline.Stage("qualify")!.Id, transition.ToId);
        Assert.Equal(TransitionKind.Stage, transition.Kind);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Reordering_inside_a_column_keeps_the_order_and_adds_no_transition(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var service = ws.Get<BoardService>();
        var cards = (await service.LoadAsync(ws.Owner, Opportunities))!.Column("qualify")!.Cards;
        Assert.True(cards.Count >= 3);
        var last = cards[^1];
        await using var db0 = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var transitionsBefore = await db0.Transitions.CountAsync(x => x.RecordId == last.Id);

        var result = await service.MoveAsync(ws.Owner, new BoardMove(Opportunities, last.Id, last.Version, "qualify", null, cards[0].Id));

        Assert.True(result.Succeeded, result.Errors.ToString());
        var after = (await service.LoadAsync(ws.Owner, Opportunities))!.Column("qualify")!.Cards;
        Assert.Equal(last.Id, after[0].Id);
        Assert.Equal(cards.Take(cards.Count - 1).Select(c => c.Id), after.Skip(1).Select(c => c.Id));
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(transitionsBefore, await db.Transitions.CountAsync(x => x.RecordId == last.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_move_based_on_an_old_version_is_a_conflict_and_changes_nothing(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var service = ws.Get<BoardService>();
        var card = (await service.LoadAsync(ws.Owner, Opportunities))!.Column("first_contact")!.Cards.First();
        // Someone else edits the record after the board was shown.
        var other = await ws.MemberAsync(MemberRole.Member);
        var edit = await ws.Records.UpdateAsync(other, card.Id, RecordInput.Of(("next_step", "call back")));
        Assert.True(edit.Succeeded, edit.Errors.ToString());

        var result = await service.MoveAsync(ws.Owner, new BoardMove(Opportunities, card.Id, card.Version, "proposal"));

        Assert.Equal(BoardMoveOutcome.Conflict, result.Outcome);
        Assert.NotNull(result.Record);
        Assert.Equal(card.Version + 1, result.Record.Version);
        Assert.Equal("call back", Text(result.Record, "next_step"));
        Assert.False(result.Errors.IsEmpty);
        Assert.Equal("first_contact", await service.ColumnOfAsync(ws.Owner, Opportunities, card.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Won_asks_for_the_final_amount_and_lost_for_a_reason(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var service = ws.Get<BoardService>();
        var cards = (await service.LoadAsync(ws.Owner, Opportunities))!.Column("negotiation")!.Cards;
        Assert.True(cards.Count >= 1);
        var won = cards[0];

        var refused = await service.MoveAsync(ws.Owner, new BoardMove(Opportunities, won.Id, won.Version, "won"));
        Assert.Equal(BoardMoveOutcome.NeedsAmount, refused.Outcome);
        var moved = await service.MoveAsync(ws.Owner, new BoardMove(Opportunities, won.Id, won.Version, "won") { WonAmount = 123456.78m });
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        Assert.Equal(123456.78m, moved.Record!.Amount);

        var lost = await CreateOpportunityAsync(ws, "Will be lost", "proposal", 5000);
        var noReason = await service.MoveAsync(ws.Owner, new BoardMove(Opportunities, lost.Id, lost.Version, "lost"));
        Assert.Equal(BoardMoveOutcome.NeedsLostReason, noReason.Outcome);
        var badReason = await service.MoveAsync(ws.Owner, new BoardMove(Opportunities, lost.Id, lost.Version, "lost") { LostReason = "no_such_reason" });
        Assert.Equal(BoardMoveOutcome.Invalid, badReason.Outcome);
        Assert.NotEmpty(badReason.Errors.For("lost_reason"));
        var lostMove = await service.MoveAsync(ws.Owner, new BoardMove(Opportunities, lost.Id, lost.Version, "lost") { LostReason = "chose_competitor" });
        Assert.True(lostMove.Succeeded, lostMove.Errors.ToString());
        Assert.Equal("chose_competitor", Text(lostMove.Record!, "lost_reason"));
        Assert.Equal("lost", await service.ColumnOfAsync(ws.Owner, Opportunities, lost.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_sees_the_board_but_cannot_move_cards(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var service = ws.Get<BoardService>();
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        var board = await service.LoadAsync(viewer, Opportunities);
        var card = board!.Column("first_contact")!.Cards.First();

        await Assert.ThrowsAsync<ForbiddenException>(() => service.MoveAsync(viewer, new BoardMove(Opportunities, card.Id, card.Version, "qualify")));
        Assert.Equal("first_contact", await service.ColumnOfAsync(ws.Owner, Opportunities, card.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Cards_mark_stale_deals_and_overdue_tasks(string provider)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var ws = await B2bAsync(provider, clock);
        var fresh = await CreateOpportunityAsync(ws, "Fresh deal", "first_contact", 100);
        clock.Advance(TimeSpan.FromDays(15)); // first_contact allows 14 days
        var newer = await CreateOpportunityAsync(ws, "Newer deal", "first_contact", 100);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            db.Activities.Add(new Activity { RecordId = newer.Id, EntityTypeId = newer.EntityTypeId, Kind = ActivityKind.Task, Subject = "Send offer", DueAt = clock.GetUtcNow().UtcDateTime.AddHours(-1) });
            db.Activities.Add(new Activity { RecordId = newer.Id, EntityTypeId = newer.EntityTypeId, Kind = ActivityKind.Task, Subject = "Done already", DueAt = clock.GetUtcNow().UtcDateTime.AddDays(-2), CompletedAt = clock.GetUtcNow().UtcDateTime });
            db.Activities.Add(new Activity { RecordId = fresh.Id, EntityTypeId = fresh.EntityTypeId, Kind = ActivityKind.Task, Subject = "Later", DueAt = clock.GetUtcNow().UtcDateTime.AddDays(3) });
            await db.SaveChangesAsync();
        }

        var cards = (await ws.Get<BoardService>().LoadAsync(ws.Owner, Opportunities))!.Column("first_contact")!.Cards;

        var old = cards.Single(c => c.Id == fresh.Id);
        Assert.True(old.IsStale);
        Assert.Equal(15, old.DaysInStage);
        Assert.Equal(0, old.OverdueTasks);
        var young = cards.Single(c => c.Id == newer.Id);
        Assert.False(young.IsStale);
        Assert.Equal(1, young.OverdueTasks);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Quick_filters_narrow_every_column_in_sql(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var member = await ws.MemberAsync(MemberRole.Member);
        var mine = await CreateOpportunityAsync(ws, "Zebra unique deal", "qualify", 777, member);
        var service = ws.Get<BoardService>();
        var all = await RecordsAsync(ws, "opportunity");

        var byMember = (await service.LoadAsync(member, Opportunities with { Mine = true }))!;
        Assert.Equal(1, byMember.Columns.Sum(c => c.Count));
        Assert.Equal(mine.Id, byMember.Column("qualify")!.Cards.Single().Id);

        var search = (await service.LoadAsync(ws.Owner, Opportunities with { Search = "zebra UNIQUE" }))!;
        Assert.Equal(mine.Id, search.Columns.SelectMany(c => c.Cards).Single().Id);

        var owners = (await service.LoadAsync(ws.Owner, Opportunities with { Owners = [ws.Owner.UserId] }))!;
        Assert.Equal(all.Count(r => r.OwnerId == ws.Owner.UserId && r.PipelineId == mine.PipelineId), owners.Columns.Sum(c => c.Count));

        var source = all.Select(r => Text(r, "source")).First(s => s is not null)!;
        var bySource = (await service.LoadAsync(ws.Owner, Opportunities with { Choices = new Dictionary<string, IReadOnlyList<string>> { ["source"] = [source] } }))!;
        Assert.Equal(all.Count(r => Text(r, "source") == source && r.PipelineId == mine.PipelineId), bySource.Columns.Sum(c => c.Count));
        Assert.True(bySource.Columns.Sum(c => c.Count) < all.Count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_board_can_group_by_a_select_field_and_moving_sets_that_field(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var service = ws.Get<BoardService>();
        var request = Opportunities with { GroupBy = "source" };
        var all = await RecordsAsync(ws, "opportunity");
        var meta = await ws.MetadataAsync();
        var field = meta.Entity("opportunity")!.Field("source")!;

        var board = (await service.LoadAsync(ws.Owner, request))!;

        Assert.Equal(BoardGroupKind.Choice, board.Layout.Kind);
        Assert.Equal(field.Settings.Options!.Select(o => o.Key), board.Columns.Where(c => !c.Column.IsNoValue).Select(c => c.Column.Key));
        Assert.Equal(all.Count, board.Columns.Sum(c => c.Count));
        foreach (var column in board.Columns.Where(c => !c.Column.IsNoValue))
            Assert.Equal(all.Count(r => Text(r, "source") == column.Column.Key), column.Count);
        // Weighted sums still use each record's own stage probability.
        var stages = meta.Entity("opportunity")!.AllPipelines.SelectMany(p => p.AllStages).ToDictionary(s => s.Id, s => s.Probability);
        var first = board.Columns.First(c => c.Count > 0);
        Assert.Equal(all.Where(r => (Text(r, "source") ?? BoardLayout.NoValueKey) == first.Column.Key).Sum(r => (r.Amount ?? 0) * (r.StageId is { } s ? stages[s] : 0) / 100m), first.Weighted ?? 0, 2);

        var card = first.Cards[0];
        var target = board.Columns.First(c => c.Column.Key != first.Column.Key && !c.Column.IsNoValue).Column.Key;
        var result = await service.MoveAsync(ws.Owner, new BoardMove(request, card.Id, card.Version, target));
        Assert.True(result.Succeeded, result.Errors.ToString());
        Assert.Equal(target, Text(result.Record!, "source"));
    }

    /// <summary>Every column's count, amount sum and weighted sum as the records say (stage probability of each record).</summary>
    private static async Task AssertTotalsMatchTheRecordsAsync(Workspace ws, BoardData board, string field)
    {
        var meta = await ws.MetadataAsync();
        var stages = meta.Entity("opportunity")!.AllPipelines.SelectMany(p => p.AllStages).ToDictionary(s => s.Id, s => s.Probability);
        var all = await RecordsAsync(ws, "opportunity");
        var keys = board.Columns.Where(c => !c.Column.IsNoValue).Select(c => c.Column.Key).ToHashSet();
        foreach (var column in board.Columns)
        {
            var mine = all.Where(r => (Text(r, field) is { } v && keys.Contains(v) ? v : BoardLayout.NoValueKey) == column.Column.Key).ToList();
            Assert.Equal(mine.Count, column.Count);
            // A column with records sums their amounts (0 when none has one); a column without records has no sums.
            Assert.Equal(mine.Count == 0 ? null : mine.Sum(r => r.Amount ?? 0), column.Sum);
            Assert.Equal(mine.Count == 0 ? null : mine.Sum(r => (r.Amount ?? 0) * (r.StageId is { } s ? stages[s] : 0)) / 100m, column.Weighted);
        }
        Assert.Equal(all.Count, board.Columns.Sum(c => c.Count));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Totals_of_a_select_board_stay_equal_to_the_records_after_creates_updates_moves_deletes_and_bulk_statements(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var service = ws.Get<BoardService>();
        var request = Opportunities with { GroupBy = "source" };
        var field = (await ws.MetadataAsync()).Entity("opportunity")!.Field("source")!;
        Assert.NotNull(MaintainedTotals.SlotOf(field)); // the select has a text slot: PostgreSQL keeps its totals

        var board = (await service.LoadAsync(ws.Owner, request))!;
        await AssertTotalsMatchTheRecordsAsync(ws, board, "source");
        var keys = board.Columns.Where(c => !c.Column.IsNoValue).Select(c => c.Column.Key).ToList();

        // A create, an update of the group value and the amount, a value removed, a move, a delete.
        var created = await CreateOpportunityAsync(ws, "新商机", "qualify", 12_345.67m);
        var set = await ws.Records.UpdateAsync(ws.Owner, created.Id, RecordInput.Of(("source", keys[0])));
        Assert.True(set.Succeeded, set.Errors.ToString());
        var deals = await RecordsAsync(ws, "opportunity");
        var other = deals.First(r => r.Id != created.Id && r.Amount is not null);
        var changed = await ws.Records.UpdateAsync(ws.Owner, other.Id, RecordInput.Of(("source", keys[^1]), ("amount", 777.77m)));
        Assert.True(changed.Succeeded, changed.Errors.ToString());
        var third = deals.First(r => r.Id != created.Id && r.Id != other.Id);
        var cleared = await ws.Records.UpdateAsync(ws.Owner, third.Id, new RecordInput(new JsonObject { ["source"] = null }));
        Assert.True(cleared.Succeeded, cleared.Errors.ToString());
        board = (await service.LoadAsync(ws.Owner, request))!;
        var card = board.Columns.First(c => c.Cards.Count > 0).Cards[0];
        var moved = await service.MoveAsync(ws.Owner, new BoardMove(request, card.Id, card.Version, keys.First(k => k != board.Columns.First(c => c.Cards.Count > 0).Column.Key)));
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [deals.First(r => r.Id != created.Id && r.Id != other.Id && r.Id != third.Id && r.Id != card.Id).Id]));
        await AssertTotalsMatchTheRecordsAsync(ws, (await service.LoadAsync(ws.Owner, request))!, "source");

        // Statements that bypass the record writer (slot rewrites, maintenance): one statement over many rows, and
        // many single-row statements (more delta rows than a read leaves unfolded).
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var entityId = field.EntityTypeId;
            await db.Records.Where(r => r.EntityTypeId == entityId && r.Amount != null).ExecuteUpdateAsync(u => u.SetProperty(r => r.Amount, r => r.Amount + 1));
            // A record without an amount (the form requires one; a rewrite need not): its column sums no amount.
            await db.Records.Where(r => r.Id == third.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.Amount, (decimal?)null));
            var ids = await db.Records.Where(r => r.EntityTypeId == entityId && r.Amount != null).Select(r => r.Id).Take(3).ToListAsync();
            for (var i = 0; i < MaintainedTotals.CompactAfter / ids.Count + 2; i++)
                foreach (var id in ids)
                    await db.Records.Where(r => r.Id == id).ExecuteUpdateAsync(u => u.SetProperty(r => r.Amount, r => r.Amount + 2)); // whole numbers: SQLite adds decimals as doubles
        }
        await AssertTotalsMatchTheRecordsAsync(ws, (await service.LoadAsync(ws.Owner, request))!, "source");
        if (provider == Providers.Postgres)
        {
            // The read that found more than CompactAfter delta rows folded them: one row per (value, stage) now.
            await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
            var rows = await db.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM record_totals").SingleAsync();
            var groups = await db.Records.Where(r => r.EntityTypeId == field.EntityTypeId).Select(r => new { r.StageId, r.Values }).ToListAsync();
            Assert.InRange(rows, 1, groups.Count);
            Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM record_totals_slots").SingleAsync());
        }
        // The same board through the GROUP BY (a filter that every record passes) gives the same totals.
        var viaSql = (await service.LoadAsync(ws.Owner, request with { ViewFilters = [new FilterSpec("name", "notEmpty")] }))!;
        var kept = (await service.LoadAsync(ws.Owner, request))!;
        Assert.Equal(viaSql.Columns.Select(c => (c.Column.Key, c.Count, c.Sum, c.Weighted)), kept.Columns.Select(c => (c.Column.Key, c.Count, c.Sum, c.Weighted)));
    }

    /// <summary>The kept totals' rows as they are: counts and the row versions (xmin) of every row, which any write changes.</summary>
    private static async Task<string> KeptTotalsStateAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Database.SqlQueryRaw<string>("""
            SELECT (SELECT count(*) FROM record_totals_slots)::text || '/' || (SELECT count(*) FROM record_totals)::text || '/'
                   || coalesce((SELECT string_agg(r, ',' ORDER BY r) FROM (SELECT xmin::text || ':' || coalesce(value, '') || ':' || coalesce(stage_id::text, '') || ':' || records AS r FROM record_totals) t), '')
                   || '/' || coalesce((SELECT string_agg(xmin::text, ',' ORDER BY xmin::text) FROM record_totals_slots), '') AS "Value"
            """).SingleAsync();
    }

    [Fact]
    public async Task A_viewers_board_load_writes_no_kept_totals_and_takes_the_group_by_until_a_writer_keeps_them()
    {
        // PostgreSQL only: the kept totals are PostgreSQL's (SQLite always takes the GROUP BY).
        await using var ws = await B2bAsync(Providers.Postgres);
        var service = ws.Get<BoardService>();
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        var request = Opportunities with { GroupBy = "source" };
        Assert.NotNull(MaintainedTotals.SlotOf((await ws.MetadataAsync()).Entity("opportunity")!.Field("source")!));

        // The first load is a viewer's: right totals, from the GROUP BY, and nothing written.
        Assert.Equal("0/0//", await KeptTotalsStateAsync(ws));
        await AssertTotalsMatchTheRecordsAsync(ws, (await service.LoadAsync(viewer, request))!, "source");
        await AssertTotalsMatchTheRecordsAsync(ws, (await service.LoadAsync(viewer, request))!, "source");
        Assert.Equal("0/0//", await KeptTotalsStateAsync(ws));

        // Someone who may change deals keeps them (one slot listed, its totals filled).
        await AssertTotalsMatchTheRecordsAsync(ws, (await service.LoadAsync(ws.Owner, request))!, "source");
        var kept = await KeptTotalsStateAsync(ws);
        Assert.StartsWith("1/", kept);

        // Many single-row writes leave more delta rows than a writer's read leaves unfolded; a viewer's read sums them
        // as they are (right totals) and folds nothing: every row, and its row version, is as it was.
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var entityId = (await ws.MetadataAsync()).Entity("opportunity")!.Entity.Id;
            var ids = await db.Records.Where(r => r.EntityTypeId == entityId && r.Amount != null).Select(r => r.Id).Take(3).ToListAsync();
            for (var i = 0; i < MaintainedTotals.CompactAfter / ids.Count + 2; i++)
                foreach (var id in ids)
                    await db.Records.Where(r => r.Id == id).ExecuteUpdateAsync(u => u.SetProperty(r => r.Amount, r => r.Amount + 1));
        }
        var unfolded = await KeptTotalsStateAsync(ws);
        Assert.NotEqual(kept, unfolded);
        await AssertTotalsMatchTheRecordsAsync(ws, (await service.LoadAsync(viewer, request))!, "source");
        Assert.Equal(unfolded, await KeptTotalsStateAsync(ws));

        // The next writer's read folds them (fewer rows), with the same totals.
        await AssertTotalsMatchTheRecordsAsync(ws, (await service.LoadAsync(ws.Owner, request))!, "source");
        var rows = (await KeptTotalsStateAsync(ws)).Split('/');
        Assert.True(int.Parse(rows[1], System.Globalization.CultureInfo.InvariantCulture) < int.Parse(unfolded.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_consistency_check_compares_kept_board_totals_with_the_records_and_the_rebuild_repairs_them(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var service = ws.Get<BoardService>();
        var request = Opportunities with { GroupBy = "source" };
        var field = (await ws.MetadataAsync()).Entity("opportunity")!.Field("source")!;
        Task<IndexCopyReport> RunAsync(bool rebuild) => IndexCopyService.RunForAdminAsync(ws.Database.Factory, ws.Get<MetadataStore>(), ws.Owner, rebuild);

        await service.LoadAsync(ws.Owner, request); // PostgreSQL starts keeping the select's totals here
        Assert.Empty((await RunAsync(rebuild: false)).TotalsDifferences);

        if (provider == Providers.Postgres)
        {
            // A drifted total (as a bug or a hand edit would leave it): a group with records that do not exist, and
            // one real group off by a record and an amount.
            var slot = MaintainedTotals.SlotOf(field)!.Value;
            var board = (await service.LoadAsync(ws.Owner, request))!;
            var real = board.Columns.First(c => !c.Column.IsNoValue && c.Count > 0).Column.Key;
            await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            {
#pragma warning disable EF1002 // the slot number comes from the field's metadata (1–12), never input
                await db.Database.ExecuteSqlRawAsync($$"""
                    INSERT INTO record_totals (tenant_id, entity_type_id, slot, value, stage_id, records, amounts, amount)
                    VALUES ({0}, {1}, {2}, 'no-such-option', NULL, 5, 5, 500),
                           ({0}, {1}, {2}, {3}, (SELECT stage_id FROM records WHERE entity_type_id = {1} AND text{{slot}} = {3} LIMIT 1), 1, 1, 99)
                    """, [ws.Tenant.Id, field.EntityTypeId, slot, real]);
#pragma warning restore EF1002
            }
            var check = await RunAsync(rebuild: false);
            Assert.Equal(2, check.TotalsDifferences.Count);
            var ghost = Assert.Single(check.TotalsDifferences, d => d.Value == "no-such-option");
            Assert.Equal((5L, 0L, 500m, 0m), (ghost.KeptRecords, ghost.ActualRecords, ghost.KeptAmount, ghost.ActualAmount));
            var off = Assert.Single(check.TotalsDifferences, d => d.Value == real);
            Assert.Equal(off.ActualRecords + 1, off.KeptRecords);
            Assert.Equal(off.ActualAmount + 99, off.KeptAmount);

            var rebuilt = await RunAsync(rebuild: true);
            Assert.True(rebuilt.Repaired);
            Assert.Equal(2, rebuilt.TotalsDifferences.Count);
        }
        Assert.Empty((await RunAsync(rebuild: false)).TotalsDifferences);
        await AssertTotalsMatchTheRecordsAsync(ws, (await service.LoadAsync(ws.Owner, request))!, "source");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_status_board_groups_by_the_status_column_and_moves_append_status_transitions(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("customer_lifecycle", withSampleData: true);
        var service = ws.Get<BoardService>();
        var request = new BoardRequest("company");
        var meta = await ws.MetadataAsync();
        var entity = meta.Entity("company")!;
        var list = meta.StatusList(entity.StatusField!.Settings.StatusList)!;
        var all = await RecordsAsync(ws, "company");

        var board = (await service.LoadAsync(ws.Owner, request))!;

        Assert.Equal(BoardGroupKind.Status, board.Layout.Kind);
        Assert.Equal(entity.Entity.StatusFieldKey, board.Layout.GroupField.Key);
        Assert.Equal(list.Options.Select(o => o.Key), board.Columns.Where(c => !c.Column.IsNoValue).Select(c => c.Column.Key));
        foreach (var column in board.Columns)
            Assert.Equal(all.Count(r => r.StatusOptionId == column.Column.Id), column.Count);
        Assert.Null(board.Columns[0].Sum); // no amount field on customers

        var from = board.Columns.First(c => c.Count > 0);
        var card = from.Cards[0];
        var to = board.Columns.First(c => c.Column.Key != from.Column.Key && !c.Column.IsNoValue).Column;
        var result = await service.MoveAsync(ws.Owner, new BoardMove(request, card.Id, card.Version, to.Key));
        Assert.True(result.Succeeded, result.Errors.ToString());
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var transition = await db.Transitions.AsNoTracking().Where(x => x.RecordId == card.Id).OrderByDescending(x => x.At).FirstAsync();
        Assert.Equal(TransitionKind.Status, transition.Kind);
        Assert.Equal(to.Id, transition.ToId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Views_from_templates_open_by_default_and_saved_views_are_private_or_shared(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var views = ws.Get<BoardViews>();
        var member = await ws.MemberAsync(MemberRole.Member);

        var list = await views.ListAsync(ws.Owner, "opportunity");
        Assert.Equal(["opportunity_board", "opportunity_board_demo_quote"], list.Select(v => v.Key).ToArray());
        Assert.Equal("opportunity_board", BoardViews.Pick(list, null)!.Key);
        Assert.Equal("opportunity_board_demo_quote", BoardViews.Pick(list, "opportunity_board_demo_quote")!.Key);
        Assert.Equal("b2b", list[0].Definition.Pipeline);

        var definition = (Opportunities with { GroupBy = "source", Mine = true }).ToDefinition();
        var (privateView, errors) = await views.SaveAsync(member, "opportunity", "My sources", definition, shared: false);
        Assert.True(errors.IsEmpty, errors.ToString());
        var (_, refused) = await views.SaveAsync(member, "opportunity", "For all", definition, shared: true);
        Assert.NotEmpty(refused.For("shared"));
        var (_, unnamed) = await views.SaveAsync(member, "opportunity", " ", definition, shared: false);
        Assert.NotEmpty(unnamed.For("name"));
        var (sharedView, _) = await views.SaveAsync(ws.Owner, "opportunity", "Team by source", definition, shared: true);

        Assert.Contains((await views.ListAsync(member, "opportunity")), v => v.Key == privateView!.Key);
        Assert.DoesNotContain((await views.ListAsync(ws.Owner, "opportunity")), v => v.Key == privateView!.Key);
        Assert.Contains((await views.ListAsync(member, "opportunity")), v => v.Key == sharedView!.Key);
        var reopened = BoardRequest.FromView("opportunity", (await views.ListAsync(member, "opportunity")).Single(v => v.Key == privateView!.Key).Definition);
        Assert.Equal("source", reopened.GroupBy);
        Assert.Contains(reopened.ViewFilters, f => f.Field == "$owner");
    }
}
