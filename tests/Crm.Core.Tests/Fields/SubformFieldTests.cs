using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Boards;
using Crm.Core.Export;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Templates;
using Crm.Core.Timeline;
using Crm.Testing;
using Record = Crm.Core.Records.Record;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Fields;

/// <summary>
/// The subform (子表单, line items) on 商机 as the browser test builds it: 产品明细 with 产品, 数量, 单价 and
/// 小计 = 数量 × 单价, the deal's amount = SUM(产品明细.小计) through a formula bound to the amount — installed from a
/// template, written and checked row by row, summed into boards and reports, told by the timeline, exported,
/// upgraded and exported again; on both databases.
/// </summary>
public class SubformFieldTests
{
    // Set here, synchronously: a culture set inside an async helper does not flow back to the test.
    public SubformFieldTests() => English();

    /// <summary>The B2B template with 产品明细 (items) and 明细合计 (lines_total = SUM(items.subtotal)) bound to the amount.</summary>
    public static JsonObject Template(string version = "1.0.0")
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc["version"] = version;
        doc.Remove("sampleData");
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!.AsObject();
        var fields = opportunity["fields"]!.AsArray();
        fields.Single(f => (string)f!["key"]! == "amount")!.AsObject().Remove("required");
        fields.Add(JsonNode.Parse("""
            { "key": "items", "type": "subform", "label": { "zh-CN": "产品明细", "en": "Line items" }, "section": "sales", "maxRows": 50,
              "columns": [
                { "key": "product", "type": "text", "label": { "zh-CN": "产品", "en": "Product" }, "required": true },
                { "key": "qty", "type": "number", "label": { "zh-CN": "数量", "en": "Qty" }, "required": true, "min": 1 },
                { "key": "price", "type": "money", "label": { "zh-CN": "单价", "en": "Unit price" }, "currency": "CNY" },
                { "key": "subtotal", "type": "formula", "label": { "zh-CN": "小计", "en": "Subtotal" }, "expression": "qty * price", "format": "money" }
              ] }
            """));
        fields.Add(JsonNode.Parse("""
            { "key": "lines_total", "type": "formula", "label": { "zh-CN": "明细合计", "en": "Lines total" }, "section": "sales",
              "expression": "SUM(items.subtotal)", "format": "money" }
            """));
        opportunity["amountField"] = "lines_total";
        return doc;
    }

    private static async Task<Workspace> InstalledAsync(string provider)
    {
        English();
        var ws = await Workspace.CreateAsync(provider);
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, Template().ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(result.Succeeded, result.Errors.ToString());
        return ws;
    }

    private static JsonObject Line(string product, object? qty, object? price, string? id = null)
    {
        var row = new JsonObject { ["product"] = product, ["qty"] = qty is null ? null : JsonValue.Create(Convert.ToDecimal(qty, CultureInfo.InvariantCulture)), ["price"] = price is null ? null : JsonValue.Create(Convert.ToDecimal(price, CultureInfo.InvariantCulture)) };
        if (id is not null) row["_id"] = id;
        return row;
    }

    private static async Task<Record> DealAsync(Workspace ws, string name, params JsonObject[] lines)
    {
        var company = await ws.CreateAsync("company", ("name", name + " Ltd"));
        return await ws.CreateAsync("opportunity", ("name", name), ("company", company.Id.ToString()), ("expected_close", "2030-01-31"),
            ("items", new JsonArray(lines.Select(l => (JsonNode?)l).ToArray())));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Rows_get_ids_and_row_formulas_and_the_amount_is_their_sum_recomputed_on_every_write(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var deal = await DealAsync(ws, "Alpha", Line("产品A", 2, 100), Line("产品B", 1, 50.5m));

        var items = deal.Values()["items"]!.AsArray();
        Assert.Equal(2, items.Count);
        Assert.All(items, r => Assert.Matches("^[0-9a-f]{12}$", (string)r!["_id"]!));
        Assert.Equal([200m, 50.5m], items.Select(r => r!["subtotal"]!.GetValue<decimal>()));
        Assert.Equal(250.5m, deal.Values()["lines_total"]!.GetValue<decimal>());
        Assert.Equal(250.5m, deal.Amount);

        // Change the second row (same id), add a third: the ids stay, the sum follows.
        var second = (string)items[1]!["_id"]!;
        var updated = await ws.Records.UpdateAsync(ws.Owner, deal.Id, RecordInput.Of(("items", new JsonArray(
            items[0]!.DeepClone(), Line("产品B", 3, 50.5m, second), Line("产品C", 1, 9.5m)))) with { ExpectedVersion = deal.Version });
        Assert.True(updated.Succeeded, updated.Errors.ToString());
        var now = await ws.RecordAsync(deal.Id);
        var rows = now.Values()["items"]!.AsArray();
        Assert.Equal((string)items[0]!["_id"]!, (string)rows[0]!["_id"]!);
        Assert.Equal(second, (string)rows[1]!["_id"]!);
        Assert.Equal(151.5m, rows[1]!["subtotal"]!.GetValue<decimal>());
        Assert.Equal(361m, now.Values()["lines_total"]!.GetValue<decimal>());
        Assert.Equal(361m, now.Amount);

        // A computed subtotal sent by a client is recomputed, never trusted.
        var forged = Line("产品D", 2, 10);
        forged["subtotal"] = 999999;
        var other = await DealAsync(ws, "Beta", forged);
        Assert.Equal(20m, other.Values()["items"]![0]!["subtotal"]!.GetValue<decimal>());
        Assert.Equal(20m, other.Amount);

        // Rows without any value are dropped; no rows at all sum to 0.
        var empty = await DealAsync(ws, "Gamma", new JsonObject { ["product"] = " " });
        Assert.Null(empty.Values()["items"]);
        Assert.Equal(0m, empty.Amount);

        // The timeline summarises the rows: added, removed, changed.
        var page = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, deal.Id, culture: new CultureInfo("en"));
        var change = page.Entries.SelectMany(e => e.Changes).First(c => c.FieldKey == "items" && c.Old.Length > 0);
        Assert.Equal("2 rows", change.Old);
        Assert.Equal("3 rows (1 added, 0 removed, 1 changed)", change.New);
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        try
        {
            var zh = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, deal.Id, culture: new CultureInfo("zh-CN"));
            Assert.Contains(zh.Entries.SelectMany(e => e.Changes), c => c.FieldKey == "items" && c.New == "3 行 (新增 1 行，删除 0 行，修改 1 行)");
        }
        finally { English(); }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Each_row_and_column_is_checked_and_errors_name_the_cell(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var company = await ws.CreateAsync("company", ("name", "Acme"));
        var input = RecordInput.Of(("name", "Bad"), ("company", company.Id.ToString()), ("expected_close", "2030-01-31"),
            ("items", new JsonArray(Line("产品A", 0, 10), new JsonObject { ["qty"] = 2, ["price"] = "abc" }, new JsonObject { ["product"] = "X", ["qty"] = 1, ["nope"] = 1 })));
        var result = await ws.Records.CreateAsync(ws.Owner, "opportunity", input);

        Assert.False(result.Succeeded);
        Assert.Equal("Line items[1].Qty must be at least 1.", Assert.Single(result.Errors.For("items/0/qty")));
        Assert.Equal("Line items[2].Product is required.", Assert.Single(result.Errors.For("items/1/product")));
        Assert.Equal("Line items[2].Unit price must be a number.", Assert.Single(result.Errors.For("items/1/price")));
        Assert.Contains("Line items[3].nope", Assert.Single(result.Errors.For("items/2/nope")));
        Assert.Empty(await ws.RecordsAsync("opportunity"));

        // Not a list of rows.
        var notRows = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "Bad"), ("company", company.Id.ToString()), ("expected_close", "2030-01-31"), ("items", 5)));
        Assert.Contains("Line items", Assert.Single(notRows.Errors.For("items")));

        // Too many rows (maxRows 50).
        var many = new JsonArray(Enumerable.Range(0, 51).Select(i => (JsonNode?)Line("P" + i, 1, 1)).ToArray());
        var tooMany = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "Many"), ("company", company.Id.ToString()), ("expected_close", "2030-01-31"), ("items", many)));
        Assert.Equal("Line items can have at most 50 rows.", Assert.Single(tooMany.Errors.For("items")));

        // In Chinese the path reads 产品明细[2].数量.
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        try
        {
            var zh = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "Bad"), ("company", company.Id.ToString()), ("expected_close", "2030-01-31"),
                ("items", new JsonArray(Line("产品A", 1, 1), new JsonObject { ["product"] = "B" }))));
            Assert.Contains("产品明细[2].数量", Assert.Single(zh.Errors.For("items/1/qty")));
        }
        finally { English(); }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_sum_flows_into_boards_reports_and_exports(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        await DealAsync(ws, "Alpha", Line("产品A", 2, 100), Line("产品B", 1, 50));
        await DealAsync(ws, "Beta", Line("产品C", 4, 25));

        var board = await ws.Get<BoardService>().LoadAsync(ws.Owner, new BoardRequest("opportunity") { GroupBy = "stage", Pipeline = "b2b", CardFields = ["amount"] });
        Assert.Equal(350m, board!.Columns.Sum(c => c.Sum ?? 0));

        var report = await ws.Get<ReportEngine>().RunAsync(ws.Owner, "opportunity",
            new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("stage", null), Measure = new MeasureSpec("sum", "lines_total") });
        Assert.Equal(350m, report.Rows.Sum(r => r.Cells[0].Number ?? 0));
        // A subform groups nothing.
        Assert.Equal(Dimension.Kind.None, Dimension.Of((await ws.MetadataAsync()).Entity("opportunity")!, "items"));
        Assert.False(FieldTypeRegistry.Get("subform").IsGroupable);

        // One export cell per subform: the rows as text.
        var meta = await ws.MetadataAsync();
        var entity = meta.Entity("opportunity")!;
        var alpha = (await ws.RecordsAsync("opportunity")).Single(r => r.Title == "Alpha");
        var text = FieldTypeRegistry.Get("subform").Display(alpha.Values()["items"], new FieldContext(entity.Field("items")!, entity), new DisplayContext(new CultureInfo("zh-CN"), k => k));
        Assert.Equal("产品A, 2, ¥100.00, ¥200.00; 产品B, 1, ¥50.00, ¥50.00", text);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Export_install_and_upgrade_keep_the_columns_adding_new_ones_and_keeping_edited_ones(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        // The workspace renames a column (its label) in the designer.
        var draft = await ws.DraftAsync("opportunity");
        var items = draft.Fields.Single(f => f.Key == "items");
        var columns = items.Settings.Columns!.ToList();
        columns[2] = columns[2] with { Label = L("售价", "Sale price") };
        items.Settings = items.Settings with { Columns = columns };
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        // Version 2 of the template: a new column "discount", the qty column's label changed, the price column's too.
        var v2 = Template("2.0.0");
        var fields = v2["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!["fields"]!.AsArray();
        var v2Columns = fields.Single(f => (string)f!["key"]! == "items")!["columns"]!.AsArray();
        v2Columns.Add(JsonNode.Parse("""{ "key": "discount", "type": "percent", "label": { "zh-CN": "折扣", "en": "Discount" } }"""));
        v2Columns[1]!["label"] = new JsonObject { ["zh-CN"] = "件数", ["en"] = "Pieces" };
        v2Columns[2]!["label"] = new JsonObject { ["zh-CN"] = "价格", ["en"] = "Price" };
        var installer = ws.Get<TemplateInstaller>();

        var plan = await installer.InstallAsync(ws.Owner, v2.ToJsonString(), new InstallOptions(DryRun: true));
        Assert.Equal(InstallOutcome.DryRun, plan.Outcome);
        Assert.Contains(plan.Changes, c => (c.Kind, c.Element, c.Path) == (ChangeKind.Add, "column", "opportunity.items.discount"));
        Assert.Contains(plan.Changes, c => (c.Kind, c.Element, c.Path) == (ChangeKind.Update, "column", "opportunity.items.qty"));
        Assert.Contains(plan.Changes, c => (c.Kind, c.Element, c.Path) == (ChangeKind.KeepYours, "column", "opportunity.items.price"));
        // A dry run changes nothing.
        var planned = (await ws.MetadataAsync()).Entity("opportunity")!.Field("items")!.Settings.Columns!;
        Assert.Equal(("Sale price", 4), (planned[2].Label.En, planned.Count));

        var upgraded = await installer.InstallAsync(ws.Owner, v2.ToJsonString(), new InstallOptions());
        Assert.True(upgraded.Succeeded, upgraded.Errors.ToString());
        var after = (await ws.MetadataAsync()).Entity("opportunity")!.Field("items")!.Settings.Columns!;
        Assert.Equal(["product", "qty", "price", "subtotal", "discount"], after.Select(c => c.Key));
        Assert.Equal("Pieces", after[1].Label.En);
        Assert.Equal("Sale price", after[2].Label.En);

        // Export and install into another workspace: the same columns and the SUM formula.
        var exported = await ws.Get<TemplateExporter>().ExportAsync(ws.Owner);
        var json = Json.Serialize(exported);
        Assert.Contains("\"columns\"", json);
        await using var target = await Workspace.CreateAsync(provider);
        var installed = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, json, new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var copy = (await target.MetadataAsync()).Entity("opportunity")!;
        Assert.Equal(after.Select(c => (c.Key, c.Type, c.Label.En, c.Settings.Required, c.Settings.Expression)),
            copy.Field("items")!.Settings.Columns!.Select(c => (c.Key, c.Type, c.Label.En, c.Settings.Required, c.Settings.Expression)));
        Assert.Equal("SUM(items.subtotal)", copy.Field("lines_total")!.Settings.Expression);
        Assert.Equal("lines_total", copy.Entity.AmountFieldKey);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bad_columns_and_formulas_are_refused_naming_the_column(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var draft = await ws.DraftAsync("opportunity");
        var sub = draft.AddField("subform", L("明细", "Lines"));
        sub.Settings = sub.Settings with
        {
            Columns =
            [
                new SubformColumn { Key = "kind", Type = "select", Label = L("类别", "Kind") },
                new SubformColumn { Key = "kind", Type = "text", Label = L("名称", "Name") },
                new SubformColumn { Key = "a", Type = "formula", Label = L("甲", "Alpha"), Settings = new FieldSettings { Expression = "b + 1" } },
                new SubformColumn { Key = "b", Type = "formula", Label = L("乙", "Beta"), Settings = new FieldSettings { Expression = "a * 2" } },
                new SubformColumn { Key = "c", Type = "formula", Label = L("丙", "Gamma"), Settings = new FieldSettings { Expression = "kind * 2" } },
                new SubformColumn { Key = "d", Type = "multiselect", Label = L("丁", "Delta") },
                new SubformColumn { Key = "e", Type = "lookup", Label = L("戊", "Epsilon") },
            ],
        };
        var sum = draft.AddField("formula", L("合计", "Sum"));
        sum.Settings = sum.Settings with { Expression = $"SUM({sub.Key}.kind) + {sub.Key}.a" };

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.False(result.Succeeded);
        string One(string setting) => Assert.Single(result.Errors.For($"fields/{sub.Key}/{setting}"));
        Assert.Contains("Kind", One("columns/0/options"));
        Assert.Contains("\"kind\"", One("columns/1/key"));
        Assert.Contains("a → b → a", One("columns/2/expression"));
        Assert.Contains("Gamma", One("columns/4/expression"));
        Assert.Contains("multiselect", One("columns/5/type"));
        Assert.Contains("Epsilon", One("columns/6/target"));
        // SUM over a text column, and a column read outside a function, are refused.
        var sumErrors = result.Errors.For($"fields/{sum.Key}/expression");
        Assert.Contains(sumErrors, m => m.Contains($"{sub.Key}.kind"));
        Assert.Contains(sumErrors, m => m.Contains($"{sub.Key}.a"));

        // The type changer offers no way into or out of a subform.
        Assert.Empty(Crm.Core.Design.FieldTypeChanger.TargetsFor("subform"));
        Assert.All(FieldTypeRegistry.Names, n => Assert.DoesNotContain("subform", Crm.Core.Design.FieldTypeChanger.TargetsFor(n)));
    }

    [Fact]
    public void Sum_reads_a_column_as_a_list_and_unknown_functions_do_not_parse()
    {
        var expression = FormulaExpression.Parse("SUM(items.subtotal) * 2 + sum(items.qty, 1)");
        Assert.Equal(["items.qty", "items.subtotal"], expression.ListReferences.Order());
        var lists = new Dictionary<string, IReadOnlyList<decimal?>> { ["items.subtotal"] = [10m, null, 5m], ["items.qty"] = [1m, 2m] };
        Assert.Equal(34m, expression.Evaluate(_ => null, r => lists[r]));
        Assert.Equal(0m, FormulaExpression.Parse("SUM(items.x)").Evaluate(_ => null, _ => []));
        Assert.ThrowsAny<FormatException>(() => FormulaExpression.Parse("AVG(items.x)"));
        Assert.ThrowsAny<FormatException>(() => FormulaExpression.Parse("SUM()"));
        Assert.ThrowsAny<FormatException>(() => FormulaExpression.Parse("SUM(items.x"));
        Assert.Equal("items", FormulaExpression.FieldOf("items.subtotal"));
        Assert.Equal("stage.probability", FormulaExpression.FieldOf("stage.probability"));
    }
}
