using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Jobs;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Tests.Design;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Records;

/// <summary>
/// Which fields get a slot (decisions: cf14c) and how a slot taken on an entity type with records is filled: fields
/// bound to record columns get none and are filtered, sorted and grouped on those columns; fields used by views and
/// reports win when there are more candidates than slots; archiving frees a slot for a waiting field; a slot
/// taken on a type with records is read from the JSON until the fill job has filled it, with the same results
/// before and after; two job runners racing claim the fill once. On both databases.
/// </summary>
public class IndexSlotRuleTests
{
    private static async Task<Workspace> B2bAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        return ws;
    }

    private static async Task<IndexCopyReport> CheckAsync(Workspace ws)
        => await IndexCopyService.RunForAdminAsync(ws.Database.Factory, ws.Get<MetadataStore>(), ws.Owner, rebuild: false);

    private static async Task<List<Guid>> IdsAsync(Workspace ws, EntityMeta entity, FilterSpec filter, SortSpec sort, Action<string>? sql = null)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var query = RecordFilters.Sort(RecordFilters.Apply(db.Records.Where(r => r.EntityTypeId == entity.Entity.Id), entity, [filter], ws.Owner.UserId, DateTime.UtcNow), entity, [sort])
            .Select(r => r.Id);
        sql?.Invoke(query.ToQueryString());
        return await query.ToListAsync();
    }

    private static async Task<string> SaveAsync(Workspace ws, EntityDraft draft)
    {
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        return "saved";
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Fields_bound_to_record_columns_get_no_slot_and_filter_sort_and_group_on_those_columns(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        var opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.Null(opportunity.Field("owner")!.IndexSlot);
        Assert.Null(opportunity.Field("amount")!.IndexSlot);
        Assert.Null(opportunity.Field("expected_close")!.IndexSlot);
        Assert.Null(opportunity.Field("stage")!.IndexSlot);
        Assert.Null((await ws.MetadataAsync()).Entity("company")!.Field("owner")!.IndexSlot);
        // Not bound to a column: these keep theirs.
        Assert.NotNull(opportunity.Field("weighted_amount")!.IndexSlot);
        Assert.NotNull(opportunity.Field("lost_reason")!.IndexSlot);
        Assert.Equal("native", IndexSlots.WhyNone(opportunity.Field("amount")!, opportunity.Entity));

        var deals = await ws.RecordsAsync("opportunity");
        var dates = deals.Select(r => r.Text("expected_close")).Where(d => d is not null).Order(StringComparer.Ordinal).ToList();
        Assert.True(dates.Count >= 3, "the sample deals have close dates");
        var from = dates[dates.Count / 2]!;
        string? sql = null;
        var closing = await IdsAsync(ws, opportunity, new FilterSpec("expected_close", "gte", JsonValue.Create(from)), new SortSpec("amount", Descending: true), s => sql = s);
        Assert.Contains("close_date", sql);
        Assert.Contains("amount", sql);
        Assert.DoesNotContain("expected_close", sql);
        var expected = deals.Where(r => string.CompareOrdinal(r.Text("expected_close"), from) >= 0)
            .OrderByDescending(r => r.Values()["amount"]?.GetValue<decimal>()).ThenBy(r => r.Id).Select(r => r.Id).ToList();
        Assert.Equal(expected.Order(), closing.Order());
        var amounts = closing.Select(id => deals.Single(d => d.Id == id).Values()["amount"]?.GetValue<decimal>()).ToList();
        Assert.Equal(amounts.OrderDescending(), amounts);

        var owners = await IdsAsync(ws, opportunity, new FilterSpec("owner", "eq", JsonValue.Create(ws.Owner.UserId.ToString())), new SortSpec("expected_close"), s => sql = s);
        Assert.Contains("owner_id", sql);
        Assert.Equal(deals.Where(r => r.Text("owner") == ws.Owner.UserId.ToString()).Select(r => r.Id).Order(), owners.Order());

        // Reports group bound fields by their columns, and the counts are what the JSON holds.
        Assert.Equal(Dimension.Kind.Owner, Dimension.Of(opportunity, "owner"));
        Assert.Equal(Dimension.Kind.CloseDate, Dimension.Of(opportunity, "expected_close"));
        var engine = ws.Get<ReportEngine>();
        var byOwner = await engine.RunAsync(ws.Owner, "opportunity", new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("owner"), Measure = new MeasureSpec("sum", "amount") });
        Assert.Null(byOwner.Problem);
        var total = deals.Sum(r => r.Values()["amount"]?.GetValue<decimal>() ?? 0);
        Assert.Equal(total, byOwner.Rows.Sum(r => r.Cells[0].Number ?? 0));
        // Boards group by stage, status and selects only: never by a field this rule takes a slot from, except the stage (stage_id).
        Assert.DoesNotContain(Crm.Core.Boards.BoardLayout.GroupableFields(opportunity), f => f.Key is "owner" or "amount" or "expected_close");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Fields_used_by_views_and_reports_get_the_last_slots_and_archiving_frees_one_for_a_waiting_field(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        var opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        var free = IndexSlots.All.Count(s => s[0] == 'n') - opportunity.AllFields.Count(f => IndexSlots.Held(f) is { } h && h[0] == 'n');
        Assert.True(free >= 2, $"free number slots: {free}");
        // A saved view filters on the last of the new fields, a report measures it.
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            db.Views.Add(new SavedView { EntityTypeId = opportunity.Entity.Id, Key = "scored", Name = LocalizedText.Same("Scored"), Definition = new ViewDefinition { Filters = [new FilterSpec("zz_used", "gte", JsonValue.Create(1))] } });
            await db.SaveChangesAsync();
        }
        var draft = await ws.DraftAsync("opportunity");
        var keys = Enumerable.Range(1, free).Select(i => $"n{i:00}").Append("zz_used").ToList();
        foreach (var key in keys)
        {
            var f = draft.AddField("number", LocalizedText.Same(key));
            f.Key = key;
            f.KeyEdited = true;
        }
        await SaveAsync(ws, draft);

        opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.NotNull(opportunity.Field("zz_used")!.IndexSlot);
        // One more candidate than free slots: the last in form order that no view uses waits.
        var waiting = opportunity.Field(keys[^2])!;
        Assert.Null(waiting.IndexSlot);
        Assert.Equal("full", IndexSlots.WhyNone(waiting, opportunity.Entity));
        Assert.All(keys.Take(free - 1), k => Assert.NotNull(opportunity.Field(k)!.IndexSlot));
        // The entity type has records: the slots are filled in the background first.
        Assert.True(IndexSlots.IsFilling(opportunity.Field("zz_used")!));
        Assert.Null(IndexSlots.Ready(opportunity.Field("zz_used")!));

        // Archiving a field frees its slot, and the waiting field takes it in the same save.
        var freed = IndexSlots.Held(opportunity.Field("cost_price")!);
        draft = await ws.DraftAsync("opportunity");
        draft.Field("cost_price")!.IsArchived = true;
        await SaveAsync(ws, draft);
        opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.Null(opportunity.Field("cost_price")!.IndexSlot);
        Assert.Equal(freed, IndexSlots.Held(opportunity.Field(keys[^2])!));
        Assert.True(IndexSlots.IsFilling(opportunity.Field(keys[^2])!));
        var slots = opportunity.AllFields.Select(IndexSlots.Held).Where(s => s is not null).ToList();
        Assert.Equal(slots.Count, slots.Distinct().Count());

        await ws.Get<IndexSlotFill>().FillAllAsync(ws.Tenant.Id);
        opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.DoesNotContain(opportunity.AllFields, IndexSlots.IsFilling);
        Assert.NotNull(IndexSlots.Ready(opportunity.Field(keys[^2])!));
        Assert.Empty((await CheckAsync(ws)).Differences);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_slot_taken_on_a_type_with_records_is_read_from_the_json_until_filled_with_the_same_results(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        var deals = await ws.RecordsAsync("opportunity");
        Assert.True(deals.Count >= 4);
        // cost_price's slot holds its copies; archived, it frees the slot with those copies still in the rows.
        var draft = await ws.DraftAsync("opportunity");
        draft.Field("cost_price")!.IsArchived = true;
        var rating = draft.AddField("number", LocalizedText.Same("Rating"));
        rating.Key = "rating";
        rating.KeyEdited = true;
        await SaveAsync(ws, draft);
        var opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.True(IndexSlots.IsFilling(opportunity.Field("rating")!));
        await using (var db = ws.Database.Factory.CreateGlobal())
        {
            var jobs = await db.QueuedJobs.AsNoTracking().Where(j => j.Kind == IndexSlotFill.JobKind && j.TenantId == ws.Tenant.Id).ToListAsync();
            Assert.Single(jobs);
        }
        // Two deals get a rating through the writer (it writes the filling slot's copies too).
        foreach (var (deal, value) in deals.Take(2).Zip(new[] { 7, 3 }))
            Assert.True((await ws.Records.UpdateAsync(ws.Owner, deal.Id, RecordInput.Of(("rating", value)))).Succeeded);

        var filter = new FilterSpec("rating", "gte", JsonValue.Create(1));
        var sort = new SortSpec("rating", Descending: true);
        string? sql = null;
        var during = await IdsAsync(ws, opportunity, filter, sort, s => sql = s);
        var slot = IndexSlots.Property(IndexSlots.Held(opportunity.Field("rating")!)!).ToLowerInvariant();
        Assert.DoesNotContain(slot, sql); // read from the JSON while filling: the rows still hold cost_price's copies
        Assert.Equal([deals[0].Id, deals[1].Id], during);
        Assert.Empty((await CheckAsync(ws)).Differences);

        await ws.Get<IndexSlotFill>().FillAllAsync(ws.Tenant.Id);
        opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.False(IndexSlots.IsFilling(opportunity.Field("rating")!));
        var after = await IdsAsync(ws, opportunity, filter, sort, s => sql = s);
        Assert.Contains(slot, sql);
        Assert.Equal(during, after);
        var empty = await IdsAsync(ws, opportunity, new FilterSpec("rating", "empty"), sort);
        Assert.Equal(deals.Count - 2, empty.Count);
        Assert.Empty((await CheckAsync(ws)).Differences);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_fill_job_is_claimed_once_when_two_runners_race(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        await using var second = CoreServices.Create(ws.Database);
        var draft = await ws.DraftAsync("opportunity");
        var level = draft.AddField("select", LocalizedText.Same("Level"));
        level.Key = "level";
        level.KeyEdited = true;
        level.Settings = new FieldSettings { Options = [DesignTestKit.Option("a", "A"), DesignTestKit.Option("b", "B")] };
        await SaveAsync(ws, draft);
        var deals = await ws.RecordsAsync("opportunity");
        foreach (var deal in deals.Take(3))
            Assert.True((await ws.Records.UpdateAsync(ws.Owner, deal.Id, RecordInput.Of(("level", "b")))).Succeeded);
        // A stale copy the fill must overwrite (a former field's value in the slot).
        var property = IndexSlots.Property((await ws.MetadataAsync()).Entity("opportunity")!.Field("level")!.IndexSlot!);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var victim = deals[^1].Id;
            await db.Records.Where(r => r.Id == victim).ExecuteUpdateAsync(u => u.SetProperty(r => EF.Property<string?>(r, property), "b"));
        }
        Guid jobId;
        await using (var global = ws.Database.Factory.CreateGlobal())
            jobId = (await global.QueuedJobs.AsNoTracking().SingleAsync(j => j.Kind == IndexSlotFill.JobKind && j.TenantId == ws.Tenant.Id)).Id;

        // The queue is shared with other tests: work it in rounds until this job's row is done.
        var runners = new[] { ws.Get<JobRunner>(), second.GetRequiredService<JobRunner>() };
        async Task<QueuedJob> RowAsync()
        {
            await using var global = ws.Database.Factory.CreateGlobal();
            return await global.QueuedJobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
        }
        for (var round = 0; round < 60 && (await RowAsync()).CompletedAt is null; round++)
        {
            var now = DateTime.UtcNow + IndexSlotFill.StartDelay + TimeSpan.FromSeconds(1);
            await Task.WhenAll(runners.Select(r => Task.Run(() => r.RunQueuedAsync(now))));
            if ((await RowAsync()).CompletedAt is null) await Task.Delay(250);
        }
        var row = await RowAsync();
        Assert.NotNull(row.CompletedAt);
        Assert.Equal(1, row.Attempts); // claimed by one runner, once
        Assert.Null(row.LastError);

        var opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.NotNull(IndexSlots.Ready(opportunity.Field("level")!));
        Assert.Empty((await CheckAsync(ws)).Differences);
        var sorted = await IdsAsync(ws, opportunity, new FilterSpec("level", "eq", JsonValue.Create("b")), new SortSpec("$createdAt"));
        Assert.Equal(deals.Take(3).Select(d => d.Id).Order(), sorted.Order());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_type_change_to_another_family_refills_and_the_copies_match(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        var before = (await ws.MetadataAsync()).Entity("opportunity")!.Field("cost_price")!;
        Assert.StartsWith("n", before.IndexSlot);
        foreach (var (d, cost) in (await ws.RecordsAsync("opportunity")).Take(3).Zip(new[] { 120.5m, 80m, 99m }))
            Assert.True((await ws.Records.UpdateAsync(ws.Owner, d.Id, RecordInput.Of(("cost_price", cost)))).Succeeded);
        var result = await ws.Get<FieldTypeChanger>().ApplyAsync(ws.Owner, new TypeChangeRequest("opportunity", "cost_price", "text", new FieldSettings()));
        Assert.True(result.Succeeded, result.Errors.ToString());
        Assert.True(result.RecordsChanged > 0);
        var field = (await ws.MetadataAsync()).Entity("opportunity")!.Field("cost_price")!;
        Assert.StartsWith("t", field.IndexSlot);
        Assert.True(IndexSlots.IsFilling(field));
        Assert.Empty((await CheckAsync(ws)).Differences);
        await ws.Get<IndexSlotFill>().FillAllAsync(ws.Tenant.Id);
        field = (await ws.MetadataAsync()).Entity("opportunity")!.Field("cost_price")!;
        Assert.False(IndexSlots.IsFilling(field));
        var check = await CheckAsync(ws);
        Assert.True(check.RecordsRead > 0);
        Assert.Empty(check.Differences);
        var deal = (await ws.RecordsAsync("opportunity")).First(r => r.Text("cost_price") is not null);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(deal.Text("cost_price"), IndexSlots.Get(await db.Records.AsNoTracking().SingleAsync(r => r.Id == deal.Id), field.IndexSlot!));
    }
}
