using System.Globalization;
using Bunit;
using Crm.Core;
using Crm.Core.Boards;
using Crm.Core.Data;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Boards;
using Crm.Web.Components.Shared;
using Crm.Web.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Record = Crm.Core.Records.Record;

namespace Crm.Web.Tests.Components.Boards;

/// <summary>The board component over a real workspace: columns, header totals, card fields, stale marks, roles and live moves.</summary>
public class KanbanBoardTests
{
    private static readonly BoardRequest Opportunities = new("opportunity") { GroupBy = "stage", Pipeline = "b2b", CardFields = ["amount", "expected_close", "owner", "company"] };

    private static async Task<Workspace> ArrangeAsync(string provider, TimeProvider? clock = null)
    {
        var ws = await Workspace.CreateAsync(provider, clock);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        return ws;
    }

    /// <summary>Not async: the culture it sets must stay set in the calling test (an async helper would undo it on return).</summary>
    private static ComponentTestContext Context(Workspace ws, string culture = "en", TimeProvider? clock = null)
        => new(culture, services =>
        {
            services.AddLogging();
            if (clock is not null) services.AddSingleton(clock);
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });

    private static IRenderedComponent<KanbanBoard> Render(ComponentTestContext context, Workspace ws, Actor actor, BoardRequest? request = null)
    {
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<KanbanBoard>(p => p
            .Add(x => x.Request, request ?? Opportunities)
            .AddCascadingValue(new TenantSession(ws.Tenant, actor)));
        cut.WaitForState(() => cut.Find("#kanban-board").GetAttribute("data-ready") == "true", TimeSpan.FromSeconds(20));
        return cut;
    }

    private static async Task<List<Record>> OpportunitiesAsync(Workspace ws)
    {
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id).ToListAsync();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Columns_show_the_pipeline_stages_with_counts_and_sql_totals(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        await using var context = Context(ws);
        var pipeline = (await ws.MetadataAsync()).Entity("opportunity")!.Pipeline("b2b")!;
        var records = await OpportunitiesAsync(ws);

        var cut = Render(context, ws, ws.Owner);

        var columns = cut.FindAll(".crm-board-column");
        Assert.Equal(pipeline.Stages.Select(s => s.Key), columns.Select(c => c.GetAttribute("data-column")));
        Assert.Equal(["Identify", "First contact", "Qualify", "Proposal", "Negotiation", "Won", "After-sales & account care", "Lost"],
            cut.FindAll(".crm-column-name").Select(e => e.TextContent.Trim()));
        foreach (var stage in pipeline.Stages)
        {
            var inStage = records.Where(r => r.StageId == stage.Id).ToList();
            var column = cut.Find($".crm-board-column[data-column='{stage.Key}']");
            Assert.Equal(inStage.Count.ToString(), column.QuerySelector("[data-testid='column-count']")!.TextContent.Trim());
            Assert.Equal(Math.Min(inStage.Count, KanbanBoard.CardsPerPage), column.QuerySelectorAll(".crm-card").Length);
            var sum = inStage.Sum(r => r.Amount ?? 0);
            // Compact on the board so a total stays on one line; the exact sum is the tooltip.
            var en = CultureInfo.GetCultureInfo("en");
            Assert.Equal("Total ¥" + CompactNumber.Format(sum, en), column.QuerySelector("[data-testid='column-sum']")!.TextContent.Trim());
            Assert.Equal("Total ¥" + sum.ToString("N0", CultureInfo.InvariantCulture), column.QuerySelector("[data-testid='column-sum']")!.GetAttribute("title"));
            var weighted = sum * stage.Probability / 100m;
            Assert.Equal("Weighted ¥" + CompactNumber.Format(weighted, en), column.QuerySelector("[data-testid='column-weighted']")!.TextContent.Trim());
            Assert.True(column.QuerySelector("[data-testid='column-sum']")!.TextContent.Trim().Length <= "Total ¥999.9K".Length);
        }
        Assert.Equal("true", cut.Find("#kanban-board").GetAttribute("data-can-edit"));
        Assert.NotEmpty(cut.FindAll("[data-testid='quick-create']"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Cards_show_the_fields_the_view_chooses(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        await using var context = Context(ws, "zh-CN");
        var record = (await OpportunitiesAsync(ws)).Where(r => r.Amount is not null && r.CloseDate is not null).OrderBy(r => r.Rank).First();
        var companyId = Guid.Parse(RecordWriter.ParseValues(record.Values)["company"]!.GetValue<string>());
        string company;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            company = await db.Records.Where(r => r.Id == companyId).Select(r => r.Title).SingleAsync();

        var cut = Render(context, ws, ws.Owner);

        var card = cut.Find($".crm-card[data-card='{record.Id}']");
        Assert.Equal(record.Title, card.QuerySelector(".crm-card-title a")!.TextContent.Trim());
        Assert.Equal($"/t/{ws.Tenant.Identifier}/r/opportunity/{record.Id}", card.QuerySelector(".crm-card-title a")!.GetAttribute("href"));
        Assert.Equal("¥" + record.Amount!.Value.ToString("N2", CultureInfo.InvariantCulture), card.QuerySelector("[data-field='amount']")!.TextContent.Trim());
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        var closeText = Crm.Core.Fields.FieldTypeRegistry.Get("date").Display(RecordWriter.ParseValues(record.Values)["expected_close"],
            new Crm.Core.Fields.FieldContext(entity.CloseDateField!, entity), new Crm.Core.Fields.DisplayContext(new CultureInfo("zh-CN"), k => k));
        Assert.Equal(closeText, card.QuerySelector("[data-field='expected_close']")!.TextContent.Trim());
        Assert.Contains(record.CloseDate!.Value.Year.ToString(), closeText);
        var line = card.QuerySelector(".crm-card-field[data-field='company']")!;
        Assert.Equal("客户", line.QuerySelector(".crm-card-label")!.TextContent.Trim());
        Assert.Equal(company, line.QuerySelector(".crm-card-value")!.TextContent.Trim());
        Assert.Equal(ws.Owner.DisplayName, card.QuerySelector("[data-testid='owner-avatar']")!.GetAttribute("title"));
        // The column's own field (stage) is not repeated on the card; headers are in Chinese.
        Assert.Null(card.QuerySelector(".crm-card-field[data-field='stage']"));
        Assert.Equal("初步接触", cut.Find(".crm-board-column[data-column='first_contact'] .crm-column-name").TextContent.Trim());
        Assert.StartsWith("合计 ¥", cut.Find(".crm-board-column[data-column='first_contact'] [data-testid='column-sum']").TextContent.Trim());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Stale_deals_and_overdue_tasks_are_marked(string provider)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var ws = await ArrangeAsync(provider, clock);
        await using var context = Context(ws, "en", clock);
        var company = (await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Stale Test Co")))).Record!;
        async Task<Record> Create(string name)
        {
            var input = RecordInput.Of(("name", name), ("company", company.Id.ToString()), ("amount", 1000m), ("expected_close", "2026-12-31"), ("stage", "qualify")) with { Pipeline = "b2b" };
            var result = await ws.Records.CreateAsync(ws.Owner, "opportunity", input);
            Assert.True(result.Succeeded, result.Errors.ToString());
            return result.Record!;
        }
        var old = await Create("Old deal");
        clock.Advance(TimeSpan.FromDays(22)); // qualify allows 21 days
        var young = await Create("Young deal");
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            db.Activities.Add(new Crm.Core.Activities.Activity { RecordId = young.Id, EntityTypeId = young.EntityTypeId, Kind = Crm.Core.Activities.ActivityKind.Task, Subject = "Call", DueAt = clock.GetUtcNow().UtcDateTime.AddMinutes(-5) });
            await db.SaveChangesAsync();
        }

        var cut = Render(context, ws, ws.Owner);

        var stale = cut.Find($".crm-card[data-card='{old.Id}']");
        Assert.Equal("true", stale.GetAttribute("data-stale"));
        Assert.Contains("crm-card-stale", stale.ClassList);
        Assert.Equal("22 days in stage", stale.QuerySelector("[data-testid='stale-mark']")!.TextContent.Trim());
        Assert.Null(stale.QuerySelector("[data-testid='overdue-mark']"));
        var fresh = cut.Find($".crm-card[data-card='{young.Id}']");
        Assert.Equal("false", fresh.GetAttribute("data-stale"));
        Assert.Null(fresh.QuerySelector("[data-testid='stale-mark']"));
        Assert.Equal("1 overdue", fresh.QuerySelector("[data-testid='overdue-mark']")!.TextContent.Trim());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_gets_no_drag_and_no_quick_create(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        await using var context = Context(ws);
        var viewer = await ws.MemberAsync(MemberRole.Viewer);

        var cut = Render(context, ws, viewer);

        Assert.Equal("false", cut.Find("#kanban-board").GetAttribute("data-can-edit"));
        Assert.Empty(cut.FindAll("[data-testid='quick-create']"));
        Assert.NotEmpty(cut.FindAll(".crm-card"));
        Assert.All(cut.FindAll(".crm-card"), card => Assert.Contains("crm-card-locked", card.ClassList));
        Assert.All(cut.FindAll(".crm-card"), card => Assert.Equal("false", card.GetAttribute("draggable")));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_card_dropped_on_the_next_column_is_saved_there_and_cards_are_plain_markup(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        await using var context = Context(ws);
        var cut = Render(context, ws, ws.Owner);
        var card = cut.Find(".crm-board-column[data-column='first_contact'] .crm-card");
        Assert.Equal("true", card.GetAttribute("draggable"));
        var id = Guid.Parse(card.GetAttribute("data-card")!);
        var qualifyCount = int.Parse(cut.Find(".crm-board-column[data-column='qualify']").GetAttribute("data-count")!);
        // No component per card (each would hold its own render tree in every open tab): chips, tooltips, avatars are markup.
        Assert.Empty(cut.FindComponents<MudTooltip>());
        Assert.Empty(cut.FindComponents<MudAvatar>());
        Assert.Empty(cut.FindComponents<MudChip<string>>());

        // What boards.js calls on a drop: the card, the column, its place among the column's other cards.
        await cut.InvokeAsync(() => cut.Instance.DropAsync(id.ToString(), "qualify", 0));

        cut.WaitForAssertion(() =>
        {
            Assert.NotNull(cut.Find(".crm-board-column[data-column='qualify']").QuerySelector($".crm-card[data-card='{id}']"));
            Assert.Equal(id.ToString(), cut.Find(".crm-board-column[data-column='qualify'] .crm-card").GetAttribute("data-card"));
            Assert.Equal((qualifyCount + 1).ToString(), cut.Find(".crm-board-column[data-column='qualify']").GetAttribute("data-count"));
        }, TimeSpan.FromSeconds(20));
        var metadata = await ws.MetadataAsync();
        var record = (await OpportunitiesAsync(ws)).Single(r => r.Id == id);
        Assert.Equal(metadata.Entity("opportunity")!.Pipeline("b2b")!.Stage("qualify")!.Id, record.StageId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_move_by_someone_else_shows_up_without_reloading(string provider)
    {
        await using var ws = await ArrangeAsync(provider);
        await using var context = Context(ws);
        var cut = Render(context, ws, ws.Owner);
        var card = cut.Find(".crm-board-column[data-column='first_contact'] .crm-card");
        var id = Guid.Parse(card.GetAttribute("data-card")!);
        var version = long.Parse(card.GetAttribute("data-version")!);
        var qualifyCount = int.Parse(cut.Find(".crm-board-column[data-column='qualify']").GetAttribute("data-count")!);

        // A colleague moves the card through the app's services (the same in-process events the board listens to).
        var colleague = await ws.MemberAsync(MemberRole.Member);
        var boards = context.Bunit.Services.GetRequiredService<BoardService>();
        var moved = await boards.MoveAsync(colleague, new BoardMove(Opportunities, id, version, "qualify"));
        Assert.True(moved.Succeeded, moved.Errors.ToString());

        cut.WaitForAssertion(() =>
        {
            Assert.NotNull(cut.Find(".crm-board-column[data-column='qualify']").QuerySelector($".crm-card[data-card='{id}']"));
            Assert.Null(cut.Find(".crm-board-column[data-column='first_contact']").QuerySelector($".crm-card[data-card='{id}']"));
            Assert.Equal((qualifyCount + 1).ToString(), cut.Find(".crm-board-column[data-column='qualify']").GetAttribute("data-count"));
        }, TimeSpan.FromSeconds(20));
    }
}
