using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Records;

/// <summary>
/// Linked fields inside subform rows (数据联动 in line items), on both databases: the 产品明细 on 商机 with a
/// 产品 lookup column that fills 单价 from the product (the B2B template's 产品 entity), 小计 = 数量 × 单价 and the
/// deal's amount = SUM(小计). A row whose product is picked or changed and whose price the write leaves empty gets
/// the product's price (rows matched by "_id"); a given price wins. Lookup and member cells are checked on write
/// like lookup and member fields, errors keyed by the cell's path. Bad fill settings of a column are refused naming
/// the column.
/// </summary>
public class SubformLinkedTests
{
    public SubformLinkedTests() => English();

    /// <summary>The B2B template (with its 产品 entity) plus 产品明细 whose 产品 column fills 单价, and a 负责人 member column.</summary>
    public static JsonObject Template()
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc.Remove("sampleData");
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!.AsObject();
        var fields = opportunity["fields"]!.AsArray();
        fields.Single(f => (string)f!["key"]! == "amount")!.AsObject().Remove("required");
        fields.Add(JsonNode.Parse("""
            { "key": "items", "type": "subform", "label": { "zh-CN": "产品明细", "en": "Line items" }, "section": "sales",
              "columns": [
                { "key": "product", "type": "lookup", "label": { "zh-CN": "产品", "en": "Product" }, "target": "product", "required": true,
                  "fill": [ { "from": "price", "to": "price" } ] },
                { "key": "qty", "type": "number", "label": { "zh-CN": "数量", "en": "Qty" }, "required": true },
                { "key": "price", "type": "money", "label": { "zh-CN": "单价", "en": "Unit price" }, "currency": "CNY" },
                { "key": "subtotal", "type": "formula", "label": { "zh-CN": "小计", "en": "Subtotal" }, "expression": "qty * price", "format": "money" },
                { "key": "rep", "type": "member", "label": { "zh-CN": "经办人", "en": "Handled by" } }
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

    private static JsonObject Row(Guid product, decimal qty, decimal? price = null, string? id = null)
    {
        var row = new JsonObject { ["product"] = product.ToString(), ["qty"] = qty };
        if (price is { } p) row["price"] = p;
        if (id is not null) row["_id"] = id;
        return row;
    }

    private static async Task<Guid> CompanyAsync(Workspace ws) => (await ws.CreateAsync("company", ("name", "Acme " + Guid.NewGuid().ToString("N")[..6]))).Id;

    private static RecordInput Deal(Guid company, params JsonObject[] rows)
        => RecordInput.Of(("name", "Lines deal"), ("company", company.ToString()), ("expected_close", "2030-01-31"),
            ("items", new JsonArray(rows.Select(r => (JsonNode?)r).ToArray())));

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_rows_product_fills_its_price_unless_given_and_the_amount_follows(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var std = (await ws.CreateAsync("product", ("name", "Standard"), ("price", 100))).Id;
        var pro = await ws.CreateAsync("product", ("name", "Pro"), ("price", 250.5m));
        var company = await CompanyAsync(ws);

        // Row 1 leaves the price to the product; row 2 gives its own (a discount typed in the form): it wins.
        var created = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(company, Row(std, 2), Row(pro.Id, 1, 200)));
        Assert.True(created.Succeeded, created.Errors.ToString());
        var deal = await ws.RecordAsync(created.Record!.Id);
        var rows = deal.Values()["items"]!.AsArray();
        Assert.Equal(100m, rows[0]!["price"]!.GetValue<decimal>());
        Assert.Equal(200m, rows[0]!["subtotal"]!.GetValue<decimal>());
        Assert.Equal(200m, rows[1]!["price"]!.GetValue<decimal>());
        Assert.Equal(400m, deal.Amount);

        // Row 1 changes product (same _id) and leaves the price empty: the new product's price; row 2 keeps its
        // product and its edited price. A write that does not touch the product leaves an edited price alone.
        var first = (string)rows[0]!["_id"]!;
        var second = (string)rows[1]!["_id"]!;
        var changed = await ws.Records.UpdateAsync(ws.Owner, deal.Id, RecordInput.Of(("items", new JsonArray(Row(pro.Id, 2, id: first), Row(pro.Id, 1, 180, second)))));
        Assert.True(changed.Succeeded, changed.Errors.ToString());
        var after = await ws.RecordAsync(deal.Id);
        rows = after.Values()["items"]!.AsArray();
        Assert.Equal(250.5m, rows[0]!["price"]!.GetValue<decimal>());
        Assert.Equal(501m, rows[0]!["subtotal"]!.GetValue<decimal>());
        Assert.Equal(180m, rows[1]!["price"]!.GetValue<decimal>());
        Assert.Equal(681m, after.Amount);

        // The product's price changes later: old deals keep theirs (nothing is refilled while the product stays).
        var repriced = await ws.Records.UpdateAsync(ws.Owner, pro.Id, RecordInput.Of(("price", 999)));
        Assert.True(repriced.Succeeded, repriced.Errors.ToString());
        var touched = await ws.Records.UpdateAsync(ws.Owner, deal.Id, RecordInput.Of(("name", "Renamed deal")));
        Assert.True(touched.Succeeded, touched.Errors.ToString());
        Assert.Equal(681m, (await ws.RecordAsync(deal.Id)).Amount);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Lookup_and_member_cells_are_checked_and_errors_name_the_cell(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var std = (await ws.CreateAsync("product", ("name", "Standard"), ("price", 100))).Id;
        var company = await CompanyAsync(ws);
        await using var other = await Workspace.CreateAsync(provider);
        await other.InstallAsync("b2b_sales_funnel");
        var theirs = (await other.CreateAsync("product", ("name", "Elsewhere"), ("price", 5))).Id;

        var stranger = Row(std, 1);
        stranger["rep"] = other.Owner.UserId.ToString();
        var mine = Row(std, 1);
        mine["rep"] = ws.Owner.UserId.ToString();
        var result = await ws.Records.CreateAsync(ws.Owner, "opportunity",
            Deal(company, mine, Row(Guid.NewGuid(), 1, 10), Row(theirs, 1, 10), Row(company, 1, 10), stranger));

        Assert.False(result.Succeeded);
        Assert.Equal("Line items[2].Product: the linked Product does not exist.", Assert.Single(result.Errors.For("items/1/product")));
        Assert.Single(result.Errors.For("items/2/product")); // another workspace's product is not found
        Assert.Single(result.Errors.For("items/3/product")); // a customer is not a product
        Assert.Equal("Line items[5].Handled by must be a member of this workspace.", Assert.Single(result.Errors.For("items/4/rep")));
        Assert.Empty(result.Errors.For("items/0/product"));
        Assert.Empty(result.Errors.For("items/0/rep"));
        Assert.Empty(await ws.RecordsAsync("opportunity")); // nothing half-written

        var ok = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(company, mine.DeepClone().AsObject()));
        Assert.True(ok.Succeeded, ok.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bad_fill_settings_of_a_lookup_column_are_refused_naming_the_column(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var draft = await ws.DraftAsync("opportunity");
        var sub = draft.AddField("subform", L("明细", "Lines"));
        sub.Settings = sub.Settings with
        {
            Columns =
            [
                new SubformColumn { Key = "item", Type = "lookup", Label = L("产品", "Item"), Settings = new FieldSettings
                {
                    Target = "product",
                    Fill = [new LookupFill("price", "nowhere"), new LookupFill("name", "cost"), new LookupFill("nosuch", "note")],
                } },
                new SubformColumn { Key = "cost", Type = "money", Label = L("价格", "Cost") },
                new SubformColumn { Key = "note", Type = "text", Label = L("备注", "Note") },
                new SubformColumn { Key = "other", Type = "lookup", Label = L("其他", "Other"), Settings = new FieldSettings { Target = "product", ShowFields = ["price"] } },
            ],
        };

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.False(result.Succeeded);
        var fill = result.Errors.For($"fields/{sub.Key}/columns/0/fill");
        Assert.Equal(3, fill.Count);
        Assert.All(fill, m => Assert.True(m.Contains("Item"), m));
        Assert.Contains(fill, m => m.Contains("nowhere"));
        Assert.Contains(fill, m => m.Contains("“Cost”") && m.Contains("“Product name”")); // text into money
        Assert.Contains(fill, m => m.Contains("nosuch"));
        Assert.Contains("Other", Assert.Single(result.Errors.For($"fields/{sub.Key}/columns/3/showFields")));

        // Fixed: a price into a money column is accepted.
        sub.Settings = sub.Settings with
        {
            Columns = [sub.Settings.Columns![0] with { Settings = new FieldSettings { Target = "product", Fill = [new LookupFill("price", "cost")] } }, sub.Settings.Columns[1]],
        };
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
    }
}
