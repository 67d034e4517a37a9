using System.Text.Json.Nodes;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Core.Templates;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Fields;

/// <summary>
/// A subform column's footer as a setting (subtot): <c>total</c> sum (default) / avg / none — computed, checked by the
/// template checker, the schema and the designer with the path of the setting, installed, exported and merged on
/// upgrade like every other column setting; on both databases.
/// </summary>
public class SubformTotalTests
{
    public SubformTotalTests() => English();

    private static SubformColumn Column(string key, string type, string? total)
        => new() { Key = key, Type = type, Label = L(key, key), Settings = new FieldSettings { Total = total, Expression = type == "formula" ? "1" : null } };

    private static JsonArray Rows(params decimal?[] values)
        => new(values.Select(v => (JsonNode?)new JsonObject { ["_id"] = SubformField.NewRowId(), ["x"] = v is null ? null : JsonValue.Create(v.Value) }).ToArray());

    [Fact]
    public void A_column_sums_by_default_averages_the_filled_cells_or_shows_nothing()
    {
        var rows = Rows(100, null, 50);
        Assert.Equal(150m, SubformField.ColumnTotal(rows, Column("x", "money", null)));
        Assert.Equal(150m, SubformField.ColumnTotal(rows, Column("x", "money", "sum")));
        Assert.Equal(75m, SubformField.ColumnTotal(rows, Column("x", "number", "avg")));
        Assert.Null(SubformField.ColumnTotal(rows, Column("x", "money", "none")));
        // An average of no filled cell is no value; a sum of no rows is 0.
        Assert.Null(SubformField.ColumnTotal(Rows(null, null), Column("x", "percent", "avg")));
        Assert.Equal(0m, SubformField.ColumnTotal(null, Column("x", "number", null)));
        // A text column never has a total, whatever it says; an unknown value shows nothing.
        Assert.Equal(SubformField.TotalNone, SubformField.TotalOf(Column("x", "text", "sum")));
        Assert.Equal(SubformField.TotalNone, SubformField.TotalOf(Column("x", "number", "median")));
        Assert.Equal(SubformField.TotalAvg, SubformField.TotalOf(Column("x", "formula", "avg")));
        Assert.False(SubformField.HasTotal(Column("x", "money", "none")));
    }

    private static JsonObject Items(JsonObject doc)
        => doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!["fields"]!.AsArray().Single(f => (string)f!["key"]! == "items")!.AsObject();

    private static JsonObject ColumnOf(JsonObject doc, string key) => Items(doc)["columns"]!.AsArray().Single(c => (string)c!["key"]! == key)!.AsObject();

    private static async Task<IReadOnlyList<SubformColumn>> ColumnsAsync(Workspace ws)
        => (await ws.MetadataAsync()).Entity("opportunity")!.Field("items")!.Settings.Columns!;

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_setting_installs_exports_and_merges_on_upgrade(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var v1 = SubformFieldTests.Template("1.0.0");
        ColumnOf(v1, "price")["total"] = "none";
        ColumnOf(v1, "qty")["total"] = "sum"; // the default, said out loud: stored as no setting
        var installer = ws.Get<TemplateInstaller>();
        var installed = await installer.InstallAsync(ws.Owner, v1.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var columns = await ColumnsAsync(ws);
        Assert.Equal([null, null, "none", null], columns.Select(c => c.Settings.Total));

        // The admin makes the subtotal an average in the designer; the template's next version averages qty and sums the subtotal.
        var draft = await ws.DraftAsync("opportunity");
        var items = draft.Fields.Single(f => f.Key == "items");
        var edited = items.Settings.Columns!.ToList();
        edited[3] = edited[3] with { Settings = edited[3].Settings with { Total = "avg" } };
        items.Settings = items.Settings with { Columns = edited };
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        var v2 = SubformFieldTests.Template("2.0.0");
        ColumnOf(v2, "price")["total"] = "none";
        ColumnOf(v2, "qty")["total"] = "avg";
        ColumnOf(v2, "subtotal")["total"] = "none";
        var plan = await installer.InstallAsync(ws.Owner, v2.ToJsonString(), new InstallOptions(DryRun: true));
        Assert.Equal(InstallOutcome.DryRun, plan.Outcome);
        Assert.Contains(plan.Changes, c => (c.Kind, c.Element, c.Path) == (ChangeKind.Update, "column", "opportunity.items.qty"));
        Assert.Contains(plan.Changes, c => (c.Kind, c.Element, c.Path) == (ChangeKind.KeepYours, "column", "opportunity.items.subtotal"));
        Assert.DoesNotContain(plan.Changes, c => c.Element == "column" && c.Path == "opportunity.items.price");
        Assert.Equal([null, null, "none", "avg"], (await ColumnsAsync(ws)).Select(c => c.Settings.Total)); // a dry run writes nothing

        var upgraded = await installer.InstallAsync(ws.Owner, v2.ToJsonString(), new InstallOptions());
        Assert.True(upgraded.Succeeded, upgraded.Errors.ToString());
        Assert.Equal([null, "avg", "none", "avg"], (await ColumnsAsync(ws)).Select(c => c.Settings.Total));

        // Export: avg and none are written, the default is not; installing the export gives the same settings.
        var exported = await ws.Get<TemplateExporter>().ExportAsync(ws.Owner);
        var exportedItems = exported.EntityTypes.Single(e => e.Key == "opportunity").Fields.Single(f => f.Key == "items");
        Assert.Equal([null, "avg", "none", "avg"], exportedItems.Columns!.Select(c => c.Total));
        await using var target = await Workspace.CreateAsync(provider);
        var copy = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, Json.Serialize(exported), new InstallOptions(WithSampleData: false));
        Assert.True(copy.Succeeded, copy.Errors.ToString());
        Assert.Equal([null, "avg", "none", "avg"], (await ColumnsAsync(target)).Select(c => c.Settings.Total));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_unknown_or_misplaced_total_is_refused_naming_its_path(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var doc = SubformFieldTests.Template();
        ColumnOf(doc, "price")["total"] = "median";
        ColumnOf(doc, "product")["total"] = "sum";
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!.AsObject();
        var fields = opportunity["fields"]!.AsArray();
        var at = $"$.entityTypes[{doc["entityTypes"]!.AsArray().IndexOf(opportunity)}].fields";
        var itemsAt = $"{at}[{fields.IndexOf(Items(doc))}]";
        var amount = fields.Single(f => (string)f!["key"]! == "amount")!.AsObject();
        amount["total"] = "sum";
        var amountAt = $"{at}[{fields.IndexOf(amount)}]";

        // The checker (behind the schema, and for documents built in code) names each setting.
        var typed = Json.Deserialize<TemplateDocument>(doc.ToJsonString())!;
        var errors = new TemplateChecker(typed, new TenantMetadata(ws.Tenant.Id, 0, [], []), new HashSet<string>(), (k, a) => k + "|" + string.Join(",", a)).Check();
        Assert.StartsWith("Template.Check.UnknownTotal|median", Assert.Single(errors.For(itemsAt + ".columns[2].total")));
        Assert.StartsWith("Template.Check.TotalNotNumeric|product,text", Assert.Single(errors.For(itemsAt + ".columns[0].total")));
        Assert.Equal("Template.Check.TotalOnlyOnColumns|", Assert.Single(errors.For(amountAt + ".total")));
        Assert.Empty(errors.For(itemsAt + ".columns[1].total"));

        // The installer refuses the document (schema first) naming the same place, and installs nothing.
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors.ByField.Keys, k => k.StartsWith(itemsAt + ".columns[2]", StringComparison.Ordinal));
        Assert.Null((await ws.MetadataAsync()).Entity("opportunity"));

        // The designer: the same checks, keyed by the column's setting and naming the column.
        var fine = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, SubformFieldTests.Template().ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(fine.Succeeded, fine.Errors.ToString());
        var draft = await ws.DraftAsync("opportunity");
        var items = draft.Fields.Single(f => f.Key == "items");
        var columns = items.Settings.Columns!.ToList();
        columns[2] = columns[2] with { Settings = columns[2].Settings with { Total = "median" } };
        columns[0] = columns[0] with { Settings = columns[0].Settings with { Total = "avg" } };
        items.Settings = items.Settings with { Columns = columns };
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.False(saved.Succeeded);
        Assert.Contains("median", Assert.Single(saved.Errors.For("fields/items/columns/2/total")));
        Assert.Contains("Product", Assert.Single(saved.Errors.For("fields/items/columns/0/total")));
    }
}
