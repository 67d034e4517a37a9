using System.Text.Json.Nodes;
using Crm.Core.Boards;
using Crm.Core.Lists;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Search;
using Crm.Core.Tenancy;
using Crm.Core.Timeline;
using Crm.Core.Views;
using Crm.Testing;

namespace Crm.Core.Tests.Permissions;

/// <summary>
/// Read surfaces with a field hidden from a member: deals whose 竞争对手 (competitor) and amount are hidden, next to
/// the owner who sees everything. Each surface is compared with what the rules say it must show.
/// </summary>
public class FieldAccessReadTests
{
    private static readonly Dictionary<string, FieldAccessLevel> Rules = new()
    {
        ["competitor"] = FieldAccessLevel.Hidden, ["amount"] = FieldAccessLevel.Hidden, ["source"] = FieldAccessLevel.Hidden, ["next_step"] = FieldAccessLevel.ReadOnly,
    };

    private static async Task<(Workspace Ws, Security.Actor Rep, Guid DealId)> SetUpAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var rep = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(rep, "opportunity", Rules);
        var deal = (await ws.Get<RecordListService>().QueryAsync(ws.Owner, "opportunity", new RecordQuery { Take = 1 })).Items[0];
        var changed = await ws.Records.UpdateAsync(ws.Owner, deal.Id, RecordInput.Of(("competitor", "独角兽对手"), ("next_step", "拜访客户")));
        Assert.True(changed.Succeeded, changed.Errors.ToString());
        return (ws, rep, deal.Id);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Lists_and_saved_views_drop_hidden_columns_filters_sort_and_values(string provider)
    {
        var (ws, rep, _) = await SetUpAsync(provider);
        await using var _ = ws;
        var lists = ws.Get<RecordListService>();
        // A view filtering and sorting on hidden fields still runs for the rep, as if it said nothing about them.
        var query = new RecordQuery { Filters = [new FilterSpec("competitor", "eq", JsonValue.Create("独角兽对手"))], Sort = [new SortSpec("amount", true)], Take = 500 };
        var owner = await lists.QueryAsync(ws.Owner, "opportunity", query);
        var mine = await lists.QueryAsync(rep, "opportunity", query);
        Assert.Equal(1, owner.Total);
        Assert.Equal((await lists.QueryAsync(ws.Owner, "opportunity", new RecordQuery())).Total, mine.Total);
        Assert.All(mine.Items, i => { Assert.Null(i.Values["amount"]); Assert.Null(i.Values["competitor"]); Assert.NotNull(i.Values["name"]); });
        Assert.Contains(owner.Items, i => i.Values["competitor"] is not null);

        var fields = await ws.Get<IAccessResolver>().FieldViewAsync(rep, (await ws.MetadataAsync()).Entity("opportunity")!);
        var view = fields.Restrict(new ViewDefinition { Columns = ["name", "amount", "competitor", "next_step"], GroupBy = "source", CardFields = ["amount", "owner"] });
        Assert.Equal(["name", "next_step"], view.Columns);
        Assert.Null(view.GroupBy);
        Assert.Equal(["owner"], view.CardFields);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Boards_show_no_amounts_or_totals_and_refuse_grouping_by_a_hidden_field_naming_it(string provider)
    {
        var (ws, rep, _) = await SetUpAsync(provider);
        await using var _ = ws;
        var boards = ws.Get<BoardService>();
        var request = new BoardRequest("opportunity") { GroupBy = "source", CardFields = ["amount", "competitor", "owner"] };

        var ownerBoard = (await boards.LoadAsync(ws.Owner, request))!;
        Assert.Equal("source", ownerBoard.Layout.GroupField.Key);
        // Grouped by a hidden field (a shared view may say so): refused, naming the field — no columns, counts or sums.
        var refused = (await boards.LoadAsync(rep, request))!;
        Assert.Equal("source", refused.HiddenField?.FieldKey);
        Assert.Empty(refused.Columns);
        Assert.Equal("stage", refused.Layout.GroupField.Key); // the grouping the rep may switch to
        Assert.Null((await boards.LoadAsync(ws.Owner, request))!.HiddenField);
        var repBoard = (await boards.LoadAsync(rep, request with { GroupBy = null }))!;
        Assert.Null(repBoard.HiddenField);
        Assert.True(repBoard.AmountHidden);
        Assert.Equal("stage", repBoard.Layout.GroupField.Key);
        Assert.All(repBoard.Columns, c => { Assert.Null(c.Sum); Assert.Null(c.Weighted); });
        Assert.All(repBoard.Columns.SelectMany(c => c.Cards), card => { Assert.Null(card.Amount); Assert.Null(card.Values["amount"]); Assert.Null(card.Values["competitor"]); });
        var ownerByStage = (await boards.LoadAsync(ws.Owner, request with { GroupBy = null }))!;
        Assert.Equal(ownerByStage.Columns.Sum(c => c.Count), repBoard.Columns.Sum(c => c.Count)); // the same records, only fewer fields
        Assert.Contains(ownerByStage.Columns, c => c.Sum is > 0);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Search_and_the_timeline_say_nothing_through_a_hidden_field(string provider)
    {
        var (ws, rep, dealId) = await SetUpAsync(provider);
        await using var _ = ws;
        var search = ws.Get<GlobalSearchService>();
        Assert.Equal(1, (await search.SearchAsync(ws.Owner, "独角兽")).Total);
        Assert.Equal(0, (await search.SearchAsync(rep, "独角兽")).Total);
        Assert.Equal(1, (await search.SearchAsync(rep, "拜访客户")).Total); // read-only is still searchable

        var timeline = ws.Get<RecordTimeline>();
        var ownerChanges = (await timeline.GetAsync(ws.Owner, dealId)).Entries.SelectMany(e => e.Changes ?? []).Select(c => c.FieldKey).ToList();
        var repChanges = (await timeline.GetAsync(rep, dealId)).Entries.SelectMany(e => e.Changes ?? []).Select(c => c.FieldKey).ToList();
        Assert.Contains("competitor", ownerChanges);
        Assert.DoesNotContain("competitor", repChanges);
        Assert.DoesNotContain("amount", repChanges);
        Assert.Contains("next_step", repChanges);
    }
}
