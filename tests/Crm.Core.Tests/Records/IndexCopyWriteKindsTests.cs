using System.Text.Json.Nodes;
using Crm.Core.Import;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Templates;
using Crm.Core.Tests.Design;
using Crm.Core.Tests.Templates;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Records;

/// <summary>
/// The typed index copies match the JSON after a template upgrade, an import and the undo of that import (the
/// consistency check finds no difference), after bulk edits, board moves and lookups cleared by a delete, on both databases; a report's custom measure read from its slot equals
/// the same report read from the JSON.
/// </summary>
public class IndexCopyWriteKindsTests
{
    private static async Task<IndexCopyReport> CheckAsync(Workspace ws)
        => await IndexCopyService.RunForAdminAsync(ws.Database.Factory, ws.Get<MetadataStore>(), ws.Owner, rebuild: false);

    private static async Task<object?> SlotAsync(Workspace ws, Guid id, FieldDefinition field)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return IndexSlots.Get(await db.Records.AsNoTracking().SingleAsync(r => r.Id == id), field.IndexSlot!);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task After_a_template_upgrade_the_copies_match_and_the_new_field_has_a_slot(string provider)
    {
        DesignTestKit.English();
        await using var ws = await Workspace.CreateAsync(provider);
        var current = Workspace.Catalog.Find("b2b_sales_funnel")!;
        var installer = ws.Get<TemplateInstaller>();
        var installed = await installer.InstallAsync(ws.Owner, TemplateInstallerTests.OlderVersion(current.Json), new InstallOptions(WithSampleData: true));
        Assert.Equal(InstallOutcome.Installed, installed.Outcome);
        Assert.Null((await ws.MetadataAsync()).Entity("opportunity")!.Field("next_step"));

        var upgraded = await installer.InstallAsync(ws.Owner, current.Document, new InstallOptions(WithSampleData: true));
        Assert.Equal(InstallOutcome.Upgraded, upgraded.Outcome);
        var check = await CheckAsync(ws);
        Assert.True(check.RecordsRead > 0);
        Assert.Empty(check.Differences);

        // The field the upgrade added got a slot, and a write fills it.
        var nextStep = (await ws.MetadataAsync()).Entity("opportunity")!.Field("next_step")!;
        Assert.StartsWith("t", nextStep.IndexSlot);
        var deal = (await ws.RecordsAsync("opportunity")).First();
        var updated = await ws.Records.UpdateAsync(ws.Owner, deal.Id, RecordInput.Of(("next_step", "寄送合同")));
        Assert.True(updated.Succeeded, updated.Errors.ToString());
        Assert.Equal("寄送合同", await SlotAsync(ws, deal.Id, nextStep));
        Assert.Empty((await CheckAsync(ws)).Differences);

        // The deals were there before the field: its slot is filled in the background, then read.
        Assert.True(IndexSlots.IsFilling(nextStep));
        await ws.Get<IndexSlotFill>().FillAllAsync(ws.Tenant.Id);
        nextStep = (await ws.MetadataAsync()).Entity("opportunity")!.Field("next_step")!;
        Assert.NotNull(IndexSlots.Ready(nextStep));
        Assert.Equal("寄送合同", await SlotAsync(ws, deal.Id, nextStep));
        var filled = await CheckAsync(ws);
        Assert.True(filled.RecordsRead > 0);
        Assert.Empty(filled.Differences);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task After_an_import_and_its_undo_the_copies_match(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: false);
        var city = (await ws.MetadataAsync()).Entity("company")!.Field("city")!;
        Assert.NotNull(city.IndexSlot);
        var before = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "老客户", ["city"] = "上海" }));
        Assert.True(before.Succeeded);

        var import = ws.Get<ImportService>();
        var table = new ImportTable(["客户名称", "城市"], [["老客户", "杭州"], ["新客户甲", "北京"], ["新客户乙", "深圳"]], "utf-8");
        var mapping = await import.SuggestAsync(ws.Owner, "company", table.Header);
        var analysis = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", table, mapping, new DuplicateRule(["name"], DuplicateAction.Update)));
        var result = await import.RunAsync(ws.Owner, analysis);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal((2, 1), (result.Created, result.Updated));
        Assert.Equal("杭州", await SlotAsync(ws, before.Record!.Id, city));
        var afterImport = await CheckAsync(ws);
        Assert.True(afterImport.RecordsRead >= 3);
        Assert.Empty(afterImport.Differences);

        var undo = await import.UndoAsync(ws.Owner, result.BatchId!.Value);
        Assert.True(undo.Succeeded, undo.Problem);
        Assert.Equal((2, 1), (undo.Deleted, undo.Restored));
        Assert.Equal("上海", await SlotAsync(ws, before.Record!.Id, city));
        Assert.Empty((await CheckAsync(ws)).Differences);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task After_a_bulk_edit_a_board_move_and_deleting_a_linked_record_the_copies_match(string provider)
    {
        DesignTestKit.English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        var source = opportunity.Field("source")!;
        var company = opportunity.Field("company")!;
        Assert.NotNull(IndexSlots.Ready(source));
        Assert.NotNull(IndexSlots.Ready(company));
        var deals = await ws.RecordsAsync("opportunity");
        var options = source.Settings.Options!.Select(o => o.Key).ToList();

        // Bulk edit: a select and a number on two deals.
        var chosen = deals.Take(2).Select(r => r.Id).ToList();
        var bulk = ws.Get<Crm.Core.Lists.BulkRecordService>();
        Assert.True((await bulk.EditAsync(ws.Owner, "opportunity", chosen, "source", JsonValue.Create(options[^1]))).Succeeded);
        Assert.True((await bulk.EditAsync(ws.Owner, "opportunity", chosen, "cost_price", JsonValue.Create(321.5m))).Succeeded);
        Assert.Equal(options[^1], await SlotAsync(ws, chosen[0], source));
        Assert.Equal(321.5d, await SlotAsync(ws, chosen[1], opportunity.Field("cost_price")!));
        Assert.Empty((await CheckAsync(ws)).Differences);

        // A board grouped by the select: a card moved to another column.
        var card = await ws.RecordAsync(deals[2].Id);
        var to = options.First(o => o != card.Text("source"));
        var moved = await ws.Get<Crm.Core.Boards.BoardService>().MoveAsync(ws.Owner,
            new Crm.Core.Boards.BoardMove(new Crm.Core.Boards.BoardRequest("opportunity") { GroupBy = "source" }, card.Id, card.Version, to));
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        Assert.Equal(to, await SlotAsync(ws, card.Id, source));
        Assert.Empty((await CheckAsync(ws)).Differences);

        // Deleting a company clears the deals' lookups to it, and their copies with them.
        var linked = deals.Where(r => r.Text("company") is not null).GroupBy(r => r.Text("company")!).OrderByDescending(g => g.Count()).First();
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [Guid.Parse(linked.Key)]));
        foreach (var deal in linked)
        {
            Assert.Null((await ws.RecordAsync(deal.Id)).Text("company"));
            Assert.Null(await SlotAsync(ws, deal.Id, company));
        }
        var check = await CheckAsync(ws);
        Assert.True(check.RecordsRead > 0);
        Assert.Empty(check.Differences);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_custom_measure_read_from_its_slot_equals_the_json(string provider)
    {
        DesignTestKit.English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var spec = new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("source"), Measure = new MeasureSpec("sum", "weighted_amount") };
        var engine = ws.Get<ReportEngine>();
        Assert.NotNull((await ws.MetadataAsync()).Entity("opportunity")!.Field("weighted_amount")!.IndexSlot);
        string Digest(ReportResult r) => r.Problem ?? string.Join(";", r.Rows.Select(x => $"{x.Key}={x.Cells[0].Number}"));
        var fromSlot = Digest(await engine.RunAsync(ws.Owner, "opportunity", spec));
        Assert.Contains(await ws.RecordsAsync("opportunity"), r => r.Values()["weighted_amount"] is not null);

        // The same report with the field's slot taken away reads the JSON.
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            await db.Fields.Where(f => f.Key == "weighted_amount").ExecuteUpdateAsync(u => u.SetProperty(f => f.IndexSlot, (string?)null));
            await MetadataStore.BumpVersionAsync(db);
        }
        var fromJson = Digest(await engine.RunAsync(ws.Owner, "opportunity", spec));
        Assert.Equal(fromJson, fromSlot);
        Assert.Matches("=[1-9]", fromSlot);
    }
}
