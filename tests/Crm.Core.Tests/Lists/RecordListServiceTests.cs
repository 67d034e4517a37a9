using System.Text.Json.Nodes;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Lists;

/// <summary>The grid's query: counts and pages, sorts and filters on any field in SQL, and never crosses workspaces.</summary>
public class RecordListServiceTests
{
    private static async Task<(Workspace Ws, EntityMeta Entity, List<Record> All)> OpportunitiesAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        return (ws, entity, await AllAsync(ws, entity));
    }

    private static async Task<List<Record>> AllAsync(Workspace ws, EntityMeta entity)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id).ToListAsync();
    }

    private static JsonObject V(Record r) => RecordWriter.ParseValues(r.Values);
    private static string? S(Record r, string key) => V(r)[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static Task<RecordListPage> QueryAsync(Workspace ws, RecordQuery query, string entity = "opportunity")
        => ws.Get<RecordListService>().QueryAsync(ws.Owner, entity, query);

    private static Task<RecordListPage> FilterAsync(Workspace ws, params FilterSpec[] filters)
        => QueryAsync(ws, new RecordQuery { Filters = filters, Take = 500 });

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pages_cover_every_record_once_and_count_all_of_them(string provider)
    {
        var (ws, _, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        Assert.Equal(35, all.Count);

        var seen = new List<Guid>();
        for (var page = 0; page < 4; page++)
        {
            var result = await QueryAsync(ws, new RecordQuery { Skip = page * 10, Take = 10, Sort = [new SortSpec("name")] });
            Assert.Equal(35, result.Total);
            Assert.Equal(page < 3 ? 10 : 5, result.Items.Count);
            seen.AddRange(result.Items.Select(i => i.Id));
        }
        Assert.Equal(all.Select(r => r.Id).Order(), seen.Order());
        Assert.Equal(35, seen.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_page_query_pages_filters_and_sorts_in_sql(string provider)
    {
        var (ws, entity, _) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var query = new RecordQuery
        {
            Filters = [new FilterSpec("weighted_amount", "gte", JsonValue.Create(1000)), new FilterSpec("source", "in", new JsonArray("referral", "website"))],
            Sort = [new SortSpec("weighted_amount", Descending: true)],
            Search = "平台",
            Skip = 50,
            Take = 25,
        };
        var matching = RecordListService.Matching(db, entity, query, ws.Owner.UserId, DateTime.UtcNow, null, null);
        var sql = RecordListService.Page(matching, entity, query).ToQueryString();

        Assert.Contains("LIMIT", sql);
        Assert.Contains("OFFSET", sql);
        Assert.Contains("WHERE", sql);
        Assert.Contains("ORDER BY", sql);
        // A custom number with an index slot is filtered and sorted on its typed copy, not on the JSON.
        Assert.Contains(IndexSlots.Property(entity.Field("weighted_amount")!.IndexSlot!).ToLowerInvariant(), sql);
        Assert.DoesNotContain("weighted_amount", sql);
        Assert.Contains("search_text", sql);
        Assert.Contains("entity_type_id", sql);

        var count = matching.Select(r => r.Id).ToQueryString();
        Assert.DoesNotContain("LIMIT", count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sorts_by_bound_custom_and_choice_fields(string provider)
    {
        var (ws, entity, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;

        async Task<List<Record>> SortedAsync(params SortSpec[] sort)
        {
            var page = await QueryAsync(ws, new RecordQuery { Sort = sort, Take = 500 });
            return page.Items.Select(i => all.Single(r => r.Id == i.Id)).ToList();
        }

        var byAmount = await SortedAsync(new SortSpec("amount", Descending: true));
        Assert.Equal(all.Select(r => r.Amount).OrderDescending(), byAmount.Select(r => r.Amount));

        var byWeighted = await SortedAsync(new SortSpec("weighted_amount"));
        var weighted = byWeighted.Select(r => V(r)["weighted_amount"]?.GetValue<decimal>()).ToList();
        Assert.Equal(weighted.Order(), weighted);

        var byClose = await SortedAsync(new SortSpec("expected_close"));
        Assert.Equal(all.Select(r => r.CloseDate).Order(), byClose.Select(r => r.CloseDate));

        // A select sorts in the order of its options, not by key: "website" is the first option.
        var sourceOrder = entity.Field("source")!.Settings.Options!.Select(o => o.Key).ToList();
        var bySource = await SortedAsync(new SortSpec("source"));
        var positions = bySource.Select(r => sourceOrder.IndexOf(S(r, "source") ?? "")).Select(p => p < 0 ? int.MaxValue : p).ToList();
        Assert.Equal(positions.Order(), positions);
        Assert.Equal("website", S(bySource[0], "source"));

        // Stages sort in pipeline order: every "identify" before any "won", won before lost.
        var stageOrder = entity.AllPipelines.SelectMany(p => p.AllStages).Select(s => s.Id).ToList();
        var byStage = await SortedAsync(new SortSpec("stage"));
        var stagePositions = byStage.Select(r => stageOrder.IndexOf(r.StageId!.Value)).ToList();
        Assert.Equal(stagePositions.Order(), stagePositions);
        Assert.Equal("identify", S(byStage[0], "stage"));

        var byTitle = await SortedAsync(new SortSpec("name", Descending: true), new SortSpec("amount"));
        Assert.Equal(byTitle.Select(r => r.Title).OrderDescending(StringComparer.Ordinal).Count(), byTitle.Count);
        Assert.True(string.CompareOrdinal(byTitle[0].Title, byTitle[^1].Title) != 0);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Filters_of_each_kind_match_the_values(string provider)
    {
        var (ws, entity, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var other = await ws.MemberAsync(MemberRole.Member);
        var reassigned = all.Take(4).ToList();
        foreach (var r in reassigned)
            Assert.True((await ws.Records.UpdateAsync(ws.Owner, r.Id, RecordInput.Of(("owner", JsonValue.Create(other.UserId.ToString()))))).Succeeded);
        all = await AllAsync(ws, entity);

        // Text contains (any case).
        var contains = await FilterAsync(ws, new FilterSpec("name", "contains", JsonValue.Create("crm")));
        Assert.Equal(all.Where(r => r.Title.Contains("crm", StringComparison.OrdinalIgnoreCase)).Select(r => r.Id).Order(), contains.Items.Select(i => i.Id).Order());
        Assert.Equal(3, contains.Total);

        // "Is not" keeps the records that have no value at all (SQLite's json_extract is null for a missing key).
        var competitor = all.Select(r => S(r, "competitor")).First(c => c is not null)!;
        var notThat = await FilterAsync(ws, new FilterSpec("competitor", "neq", JsonValue.Create(competitor)));
        Assert.Equal(all.Count(r => S(r, "competitor") != competitor), notThat.Total);
        Assert.Contains(notThat.Items, i => i.Values["competitor"] is null);

        // Number range on a bound money field, and on a formula kept in JSON.
        var range = await FilterAsync(ws, new FilterSpec("amount", "between", new JsonArray(150000, 300000)));
        Assert.Equal(all.Count(r => r.Amount is >= 150000 and <= 300000), range.Total);
        Assert.NotEqual(0, range.Total);
        var weighted = await FilterAsync(ws, new FilterSpec("weighted_amount", "gte", JsonValue.Create(100000)), new FilterSpec("weighted_amount", "lte", JsonValue.Create(400000)));
        Assert.Equal(all.Count(r => V(r)["weighted_amount"]?.GetValue<decimal>() is >= 100000 and <= 400000), weighted.Total);
        Assert.NotEqual(0, weighted.Total);

        // Date range on the close date.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var from = today.ToString("yyyy-MM-dd");
        var to = today.AddDays(45).ToString("yyyy-MM-dd");
        var dates = await FilterAsync(ws, new FilterSpec("expected_close", "between", new JsonArray(from, to)));
        Assert.Equal(all.Count(r => r.CloseDate >= today && r.CloseDate <= today.AddDays(45)), dates.Total);
        Assert.NotEqual(0, dates.Total);

        // Select: any of several options; multi-select: has any of several options.
        var sources = await FilterAsync(ws, new FilterSpec("source", "in", new JsonArray("referral", "webinar")));
        Assert.Equal(all.Count(r => S(r, "source") is "referral" or "webinar"), sources.Total);
        var products = await FilterAsync(ws, new FilterSpec("products", "in", new JsonArray("training", "support_plan")));
        var expectedProducts = all.Count(r => V(r)["products"] is JsonArray a && a.Any(n => n!.GetValue<string>() is "training" or "support_plan"));
        Assert.Equal(expectedProducts, products.Total);
        Assert.True(expectedProducts > all.Count(r => V(r)["products"] is JsonArray a && a.Any(n => n!.GetValue<string>() == "training")));
        var noTraining = await FilterAsync(ws, new FilterSpec("products", "nin", new JsonArray("training")));
        Assert.Equal(all.Count(r => !(V(r)["products"] is JsonArray a && a.Any(n => n!.GetValue<string>() == "training"))), noTraining.Total);

        // Stage (bound column) by key, across both pipelines.
        var won = await FilterAsync(ws, new FilterSpec("stage", "in", new JsonArray("won", "lost")));
        Assert.Equal(all.Count(r => S(r, "stage") is "won" or "lost"), won.Total);

        // Member: the owner column, with "$me" and with a person's id.
        var mine = await FilterAsync(ws, new FilterSpec("owner", "in", new JsonArray("$me")));
        Assert.Equal(all.Count - reassigned.Count, mine.Total);
        var theirs = await FilterAsync(ws, new FilterSpec("owner", "in", new JsonArray(other.UserId.ToString())));
        Assert.Equal(reassigned.Select(r => r.Id).Order(), theirs.Items.Select(i => i.Id).Order());

        // Lookup: the records of one company.
        var company = S(all[0], "company")!;
        var ofCompany = await FilterAsync(ws, new FilterSpec("company", "in", new JsonArray(company)));
        Assert.Equal(all.Count(r => S(r, "company") == company), ofCompany.Total);
        Assert.True(ofCompany.Total is > 0 and < 35);

        // Created and updated dates (record attributes).
        var recent = await FilterAsync(ws, new FilterSpec("$createdAt", "gte", JsonValue.Create(DateTime.UtcNow.AddDays(-40).ToString("yyyy-MM-dd"))));
        Assert.Equal(all.Count(r => r.CreatedAt >= DateTime.UtcNow.AddDays(-40).Date), recent.Total);
        Assert.True(recent.Total is > 0 and < 35);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_same_view_query_runs_again(string provider)
    {
        // Lists reload the same saved filters again and again (paging, live refresh): the filter values must not be consumed.
        var (ws, _, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var query = new RecordQuery { Filters = [new FilterSpec("stage", "eq", JsonValue.Create("lost")), new FilterSpec("products", "in", JsonValue.Create("standard"))], Take = 100 };
        var first = await QueryAsync(ws, query);
        var second = await QueryAsync(ws, query);
        Assert.Equal(first.Total, second.Total);
        Assert.Equal(all.Count(r => S(r, "stage") == "lost" && RecordWriter.ParseValues(r.Values)["products"] is JsonArray a && a.Any(n => n!.GetValue<string>() == "standard")), second.Total);
        Assert.NotEqual(0, second.Total);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_yes_no_field_filters_on_both_databases(string provider)
    {
        var (ws, entity, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            db.Fields.Add(new FieldDefinition { EntityTypeId = entity.Entity.Id, Key = "strategic", Type = "bool", Label = new LocalizedText("战略客户", "Strategic"), SortOrder = 99 });
            await MetadataStore.BumpVersionAsync(db);
            await db.SaveChangesAsync();
        }
        foreach (var r in all.Take(3))
            Assert.True((await ws.Records.UpdateAsync(ws.Owner, r.Id, RecordInput.Of(("strategic", JsonValue.Create(true))))).Succeeded);
        Assert.True((await ws.Records.UpdateAsync(ws.Owner, all[3].Id, RecordInput.Of(("strategic", JsonValue.Create(false))))).Succeeded);

        var yes = await FilterAsync(ws, new FilterSpec("strategic", "eq", JsonValue.Create(true)));
        Assert.Equal(all.Take(3).Select(r => r.Id).Order(), yes.Items.Select(i => i.Id).Order());
        var no = await FilterAsync(ws, new FilterSpec("strategic", "eq", JsonValue.Create(false)));
        Assert.Equal(32, no.Total);
    }

    /// <summary>Chinese names sort by pinyin on both databases (code-point order would be 上海, 北京, 南京).</summary>
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Chinese_titles_and_text_fields_sort_in_pinyin_order(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        foreach (var (name, city) in new[] { ("上海贸易", "上海"), ("北京科技", "北京"), ("南京物流", "南京"), ("Acme", "Austin"), ("广州电子", "广州") })
        {
            var created = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", name), ("city", city)));
            Assert.True(created.Succeeded, created.Errors.ToString());
        }

        async Task<string[]> SortedAsync(SortSpec sort)
            => (await QueryAsync(ws, new RecordQuery { Sort = [sort], Take = 50 }, "company")).Items.Select(i => i.Title).ToArray();

        // Hanzi before Latin letters, as ICU's Chinese collation has it.
        Assert.Equal(["北京科技", "广州电子", "南京物流", "上海贸易", "Acme"], await SortedAsync(new SortSpec("name")));
        Assert.Equal(["Acme", "上海贸易", "南京物流", "广州电子", "北京科技"], await SortedAsync(new SortSpec("name", Descending: true)));
        Assert.Equal(["北京科技", "广州电子", "南京物流", "上海贸易", "Acme"], await SortedAsync(new SortSpec("city")));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Quick_search_finds_by_title_and_by_text_fields(string provider)
    {
        var (ws, _, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;

        var byTitle = await QueryAsync(ws, new RecordQuery { Search = "云帆", Take = 100 });
        Assert.Equal(all.Count(r => r.Title.Contains("云帆")), byTitle.Total);
        Assert.NotEqual(0, byTitle.Total);

        var target = all.First(r => S(r, "next_step") is { Length: > 4 });
        var words = S(target, "next_step")![..4];
        var byText = await QueryAsync(ws, new RecordQuery { Search = "  " + words + " ", Take = 100 });
        Assert.Contains(byText.Items, i => i.Id == target.Id);
        Assert.All(byText.Items, i => Assert.True(i.Title.Contains(words) || (S(all.Single(r => r.Id == i.Id), "next_step") ?? "").Contains(words) || (S(all.Single(r => r.Id == i.Id), "competitor") ?? "").Contains(words) || (S(all.Single(r => r.Id == i.Id), "code") ?? "").Contains(words)));

        var byCode = await QueryAsync(ws, new RecordQuery { Search = "opp-0000", Take = 100 });
        Assert.Equal(9, byCode.Total); // OPP-00001 … OPP-00009, any case

        var nothing = await QueryAsync(ws, new RecordQuery { Search = "zzz-no-such-thing" });
        Assert.Equal(0, nothing.Total);
        Assert.Empty(nothing.Items);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_page_past_the_end_and_a_filter_matching_nothing_still_count(string provider)
    {
        // The total rides on the page's rows (cf14d): with no row to carry it, it is counted apart past the last page.
        var (ws, _, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var past = await QueryAsync(ws, new RecordQuery { Skip = 40, Take = 10, Sort = [new SortSpec("name")] });
        Assert.Equal(35, past.Total);
        Assert.Empty(past.Items);
        var last = await QueryAsync(ws, new RecordQuery { Skip = 34, Take = 10, Sort = [new SortSpec("name")] });
        Assert.Equal(35, last.Total);
        Assert.Single(last.Items);
        var none = await FilterAsync(ws, new FilterSpec("name", "eq", JsonValue.Create("no such opportunity")));
        Assert.Equal(0, none.Total);
        Assert.Empty(none.Items);
        // Owners on the page are named from the page's own statement, every one of them.
        var page = await QueryAsync(ws, new RecordQuery { Take = 500 });
        Assert.Equal(35, page.Total);
        foreach (var owner in page.Items.Select(i => i.OwnerId).OfType<Guid>().Distinct())
            Assert.False(string.IsNullOrEmpty(page.Names[owner]));
        Assert.Equal(all.Select(r => r.Id).Order(), page.Items.Select(i => i.Id).Order());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_page_names_its_owners_and_linked_records(string provider)
    {
        var (ws, _, all) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var page = await QueryAsync(ws, new RecordQuery { Take = 5, Sort = [new SortSpec("name")] });
        Assert.Equal(ws.Owner.DisplayName, page.Names[ws.Owner.UserId]);
        foreach (var item in page.Items)
        {
            var company = Guid.Parse(item.Values["company"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(page.Names[company]));
        }
        Assert.Equal(5, page.Items.Count);
        Assert.All(page.Items, i => Assert.Equal(all.Single(r => r.Id == i.Id).Version, i.Version));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Another_workspace_never_shows_up(string provider)
    {
        var (ws, _, mine) = await OpportunitiesAsync(provider);
        await using var _ = ws;
        var (other, _, theirs) = await OpportunitiesAsync(provider);
        await using var __ = other;

        var page = await QueryAsync(ws, new RecordQuery { Take = 500 });
        Assert.Equal(35, page.Total);
        Assert.Empty(page.Items.Select(i => i.Id).Intersect(theirs.Select(r => r.Id)));

        // Even a filter naming the other workspace's records and owner finds nothing.
        var company = S(theirs[0], "company")!;
        var filtered = await FilterAsync(ws, new FilterSpec("company", "in", new JsonArray(company)));
        Assert.Equal(0, filtered.Total);
        var owner = await FilterAsync(ws, new FilterSpec("owner", "in", new JsonArray(other.Owner.UserId.ToString())));
        Assert.Equal(0, owner.Total);
        Assert.DoesNotContain(other.Owner.UserId, page.Names.Keys);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_unknown_entity_type_gives_an_empty_page(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var page = await QueryAsync(ws, new RecordQuery(), "nothing_here");
        Assert.Equal(0, page.Total);
        Assert.Empty(page.Items);
    }
}
