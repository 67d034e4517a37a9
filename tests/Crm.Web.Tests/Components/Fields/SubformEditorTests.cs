using System.Globalization;
using System.Text.Json.Nodes;
using Bunit;
using Crm.Core.Fields;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Testing;
using Crm.Web.Components.Fields;
using Crm.Web.Components.Lists;
using Crm.Web.Components.RecordPage;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// The subform editor (子表单) inside <see cref="DynamicForm"/>: rows added and deleted, each cell with its column
/// type's own editor, the row formula (小计 = 数量 × 单价) and the footer total live, the record's SUM formula
/// following, messages naming the cell; the read-only table on the record page and the row count in lists.
/// </summary>
public class SubformEditorTests
{
    public SubformEditorTests() => FormContext.UseCulture("en");

    /// <summary>The every-type entity with 明细合计 = SUM(lines.subtotal).</summary>
    private static EntityMeta WithSum(EntityMeta sink)
    {
        var sum = new FieldDefinition
        {
            TenantId = sink.Entity.TenantId, EntityTypeId = sink.Entity.Id, Key = "lines_total", Type = FieldTypes.Formula, SectionKey = "more", SortOrder = 100,
            Label = new LocalizedText("明细合计", "Lines total"), Settings = new FieldSettings { Expression = "SUM(lines.subtotal)", Format = "money" },
        };
        var meta = new TenantMetadata(sink.Entity.TenantId, 2, [new EntityMeta(sink.Entity, [.. sink.AllFields, sum], sink.AllPipelines)], sink.Owner.StatusLists.ToList());
        return meta.Entity(sink.Entity.Key)!;
    }

    private static IRenderedComponent<DynamicForm> Render(FormContext f, EntityMeta entity, JsonObject values)
        => f.Context.Bunit.Render<DynamicForm>(p =>
        {
            p.Add(x => x.Entity, entity);
            p.Add(x => x.Values, values);
            p.Add(x => x.ValuesChanged, v => f.Changes.Add((JsonObject)v.DeepClone()));
            p.AddCascadingValue(f.Session);
        });

    private static async Task Type(IRenderedComponent<DynamicForm> cut, string id, string text)
        => await cut.Find("#" + id).ChangeAsync(new ChangeEventArgs { Value = text });

    private static async Task<bool> ValidateAsync(IRenderedComponent<DynamicForm> cut)
    {
        var ok = false;
        await cut.InvokeAsync(() => ok = cut.Instance.Validate());
        return ok;
    }

    [Fact]
    public async Task Rows_are_added_and_deleted_with_live_row_formulas_totals_and_the_record_sum()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var entity = WithSum(f.Entity);
        var values = AllFieldTypes.ValidValues();
        var cut = Render(f, entity, values);

        Assert.Contains("No rows yet.", cut.Find("[data-testid='subform-lines']").TextContent);
        await cut.InvokeAsync(() => cut.Find("[data-testid='subform-lines'] button[data-testid='subform-add']").Click());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid='subform-lines'] tbody tr[data-row]")));
        await cut.InvokeAsync(() => cut.Find("[data-testid='subform-lines'] button[data-testid='subform-add']").Click());
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid='subform-lines'] tbody tr[data-row]").Count));

        // Each cell is its column type's editor: text, number, money (with ¥), the formula read-only.
        Assert.Equal("text", cut.Find("#f-lines-0-product").GetAttribute("type"));
        Assert.Equal("decimal", cut.Find("#f-lines-0-qty").GetAttribute("inputmode"));
        Assert.NotNull(cut.Find("#f-lines-0-subtotal").GetAttribute("readonly"));
        Assert.Equal(["Product *", "Qty *", "Unit price", "Subtotal"], cut.FindAll("[data-testid='subform-lines'] thead th").Skip(1).SkipLast(1).Select(t => t.TextContent.Trim()));

        await Type(cut, "f-lines-0-product", "产品A");
        await Type(cut, "f-lines-0-qty", "2");
        await Type(cut, "f-lines-0-price", "100");
        await Type(cut, "f-lines-1-product", "产品B");
        await Type(cut, "f-lines-1-qty", "1");
        await Type(cut, "f-lines-1-price", "50");

        // The row formula and the footer total follow as cells change; so does the record's SUM formula.
        cut.WaitForAssertion(() => Assert.Equal("¥200.00", cut.Find("#f-lines-0-subtotal").GetAttribute("value")));
        Assert.Equal("¥50.00", cut.Find("#f-lines-1-subtotal").GetAttribute("value"));
        Assert.Equal("¥250.00", cut.Find("[data-testid='subform-totals'] [data-total='subtotal']").TextContent.Trim());
        Assert.Equal("3", cut.Find("[data-testid='subform-totals'] [data-total='qty']").TextContent.Trim());
        Assert.Equal("¥250.00", cut.Find("#f-lines_total").GetAttribute("value"));
        var rows = f.Changes.Last()["lines"]!.AsArray();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Matches("^[0-9a-f]{12}$", (string)r!["_id"]!));
        Assert.Equal(250m, f.Changes.Last()["lines_total"]!.GetValue<decimal>());
        Assert.True(await ValidateAsync(cut));

        // Deleting the first row: the second moves up, the totals follow.
        await cut.InvokeAsync(() => cut.FindAll("[data-testid='subform-lines'] button[data-testid='subform-delete']")[0].Click());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid='subform-lines'] tbody tr[data-row]")));
        Assert.Equal("产品B", cut.Find("#f-lines-0-product").GetAttribute("value"));
        Assert.Equal("¥50.00", cut.Find("[data-testid='subform-totals'] [data-total='subtotal']").TextContent.Trim());
        Assert.Equal("¥50.00", cut.Find("#f-lines_total").GetAttribute("value"));
    }

    [Fact]
    public async Task Messages_name_the_row_and_column_and_mark_the_cell()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var values = AllFieldTypes.ValidValues();
        values["lines"] = new JsonArray(
            new JsonObject { ["_id"] = "aaaaaaaaaaaa", ["product"] = "产品A", ["qty"] = 2, ["price"] = 10 },
            new JsonObject { ["_id"] = "bbbbbbbbbbbb", ["product"] = "产品B", ["qty"] = 0 });
        var cut = Render(f, f.Entity, values);

        Assert.False(await ValidateAsync(cut));
        cut.WaitForAssertion(() => Assert.Equal("Line items[2].Qty must be at least 1.", cut.Find("[data-testid='subform-lines'] [data-testid='subform-error']").TextContent.Trim()));
        var cell = cut.Find("[data-testid='subform-lines'] tr[data-row='1'] td[data-column='qty']");
        Assert.Contains("crm-cell-error", cell.ClassList);
        Assert.Contains("Line items[2].Qty must be at least 1.", cell.TextContent);
        Assert.DoesNotContain("crm-cell-error", cut.Find("[data-testid='subform-lines'] tr[data-row='0'] td[data-column='qty']").ClassList);
        Assert.Equal(["Line items[2].Qty must be at least 1."], cut.Instance.Errors.For("lines/1/qty"));

        // Fixing the cell clears the message.
        await Type(cut, "f-lines-1-qty", "3");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid='subform-lines'] [data-testid='subform-error']")));
        Assert.True(await ValidateAsync(cut));
    }

    [Theory]
    [InlineData("en", "2 rows")]
    [InlineData("zh-CN", "2 行")]
    public async Task The_record_page_shows_a_table_and_lists_the_row_count(string culture, string count)
    {
        FormContext.UseCulture(culture);
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, culture);
        var field = f.Entity.Field("lines")!;
        var value = new JsonArray(
            new JsonObject { ["_id"] = "aaaaaaaaaaaa", ["product"] = "产品A", ["qty"] = 2, ["price"] = 100, ["subtotal"] = 200 },
            new JsonObject { ["_id"] = "bbbbbbbbbbbb", ["product"] = "产品B", ["qty"] = 1, ["price"] = 50, ["subtotal"] = 50 });

        var view = f.Context.Bunit.Render<FieldValueView>(p =>
        {
            p.Add(x => x.Field, field);
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Value, value);
            p.AddCascadingValue(f.Session);
        });
        var table = view.Find("[data-testid='subform-view-lines']");
        Assert.Equal(2, table.QuerySelectorAll("tbody tr").Length);
        Assert.Equal(["产品A", "2", "¥100.00", "¥200.00"], table.QuerySelectorAll("tbody tr[data-row='0'] td[data-column]").Select(td => td.TextContent.Trim()));
        Assert.Equal("¥250.00", table.QuerySelector("tfoot [data-total='subtotal']")!.TextContent.Trim());
        Assert.Equal(culture == "en" ? "Product" : "产品", table.QuerySelectorAll("thead th")[1].TextContent.Trim());

        var column = new ListColumn("lines", field, FilterKind.Text, false);
        var item = new RecordListItem(Guid.NewGuid(), "Acme", new JsonObject { ["lines"] = value.DeepClone() }, 1, null, null, DateTime.UtcNow, DateTime.UtcNow);
        var core = f.Context.Bunit.Services.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<Crm.Core.Resources.CoreStrings>>();
        var dc = new DisplayContext(CultureInfo.CurrentUICulture, k => core[k], null);
        var cell = f.Context.Bunit.Render(RecordCell.Render(f.Entity, column, item, dc, h => "/" + h));
        Assert.Equal(count, cell.Find(".crm-subform-count").TextContent.Trim());
        Assert.Empty(cell.FindAll("table"));
    }

    [Theory]
    [InlineData("en", "Yes", "No", "Hardware")]
    [InlineData("zh-CN", "是", "否", "硬件")]
    public async Task The_record_pages_table_shows_yes_no_and_option_columns_in_the_ui_language(string culture, string yes, string no, string hardware)
    {
        // The table displayed with the page's words (it once fell back to the keys: Value.Yes).
        FormContext.UseCulture(culture);
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, culture);
        var lines = f.Entity.Field("lines")!;
        var field = new FieldDefinition
        {
            TenantId = lines.TenantId, EntityTypeId = lines.EntityTypeId, Key = lines.Key, Type = FieldTypes.Subform, Label = lines.Label,
            Settings = new FieldSettings
            {
                Columns =
                [
                    new SubformColumn { Key = "paid", Type = FieldTypes.Bool, Label = new LocalizedText("已付", "Paid") },
                    new SubformColumn
                    {
                        Key = "kind", Type = FieldTypes.Select, Label = new LocalizedText("类别", "Kind"),
                        Settings = new FieldSettings { Options = [new ChoiceOption("hw", new LocalizedText("硬件", "Hardware")), new ChoiceOption("sw", new LocalizedText("软件", "Software"))] },
                    },
                ],
            },
        };
        var value = new JsonArray(
            new JsonObject { ["_id"] = "aaaaaaaaaaaa", ["paid"] = true, ["kind"] = "hw" },
            new JsonObject { ["_id"] = "bbbbbbbbbbbb", ["paid"] = false, ["kind"] = "sw" });

        var view = f.Context.Bunit.Render<FieldValueView>(p =>
        {
            p.Add(x => x.Field, field);
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Value, value);
            p.AddCascadingValue(f.Session);
        });
        var table = view.Find("[data-testid='subform-view-lines']");
        Assert.Equal([yes, hardware], table.QuerySelectorAll("tbody tr[data-row='0'] td[data-column]").Select(td => td.TextContent.Trim()));
        Assert.Equal(no, table.QuerySelector("tbody tr[data-row='1'] td[data-column='paid']")!.TextContent.Trim());
        Assert.DoesNotContain("Value.", table.TextContent);
    }

    [Fact]
    public async Task The_designer_edits_columns_and_names_a_bad_one()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var draft = Crm.Core.Design.EntityDraft.From(f.Entity);
        var lines = draft.Fields.Single(x => x.Key == "lines");
        var errors = new Crm.Core.Accounts.ValidationErrors();
        errors.Add("fields/lines/columns/3/expression", "Column \"Subtotal\": the formula uses \"product\"");
        var saved = new List<FieldSettings>();
        var view = new Crm.Web.Components.Fields.Types.SettingsView(lines, draft, f.Entity.Owner, false,
            s => { saved.Add(s); lines.Settings = s; return Task.CompletedTask; }, name => errors.For($"fields/lines/{name}").FirstOrDefault());

        var cut = f.Context.Bunit.Render<Crm.Web.Components.Fields.Types.SubformSettings>(p => p.Add(x => x.View, view));
        Assert.Equal(4, cut.FindAll(".crm-subform-column").Count);
        Assert.Contains("the formula uses \"product\"", cut.Find(".crm-subform-column[data-index='3']").TextContent);
        Assert.Contains("not converted", cut.Markup);

        await cut.InvokeAsync(() => cut.Find("button[data-testid='subform-add-column']").Click());
        Assert.Equal(5, saved.Last().Columns!.Count);
        Assert.Equal("number", saved.Last().Columns![4].Type);
        await cut.InvokeAsync(() => cut.Find("button[data-testid='column-delete-0']").Click());
        Assert.Equal(["qty", "price", "subtotal", "col_2"], saved.Last().Columns!.Select(c => c.Key));
    }
}
