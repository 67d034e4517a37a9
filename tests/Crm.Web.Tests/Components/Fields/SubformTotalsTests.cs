using System.Text.Json.Nodes;
using Bunit;
using Crm.Core.Metadata;
using Crm.Testing;
using Crm.Web.Components.Fields;
using Crm.Web.Components.RecordPage;
using Microsoft.AspNetCore.Components;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// A subform column's footer as its setting says (subtot): the form's and the record page's footers sum, average or
/// leave a column out, in both languages; the designer's column settings offer the choice (底部合计 / Footer) for
/// numeric columns only and store it.
/// </summary>
public class SubformTotalsTests
{
    public SubformTotalsTests() => FormContext.UseCulture("en");

    /// <summary>The every-type entity's 产品明细 with 单价 not totalled and 小计 averaged (数量 summed by default).</summary>
    private static FieldDefinition WithTotals(EntityMeta entity)
    {
        var lines = entity.Field("lines")!;
        lines.Settings = lines.Settings with
        {
            Columns = lines.Settings.Columns!.Select(c => c.Key switch
            {
                "price" => c with { Settings = c.Settings with { Total = "none" } },
                "subtotal" => c with { Settings = c.Settings with { Total = "avg" } },
                _ => c,
            }).ToList(),
        };
        return lines;
    }

    private static JsonArray TwoRows() => new(
        new JsonObject { ["_id"] = "aaaaaaaaaaaa", ["product"] = "产品A", ["qty"] = 2, ["price"] = 100, ["subtotal"] = 200 },
        new JsonObject { ["_id"] = "bbbbbbbbbbbb", ["product"] = "产品B", ["qty"] = 1, ["price"] = 50, ["subtotal"] = 50 });

    [Fact]
    public async Task The_form_footer_sums_averages_or_leaves_out_a_column_as_set()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        WithTotals(f.Entity);
        var values = AllFieldTypes.ValidValues();
        var cut = f.Context.Bunit.Render<DynamicForm>(p =>
        {
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Values, values);
            p.Add(x => x.ValuesChanged, v => f.Changes.Add((JsonObject)v.DeepClone()));
            p.AddCascadingValue(f.Session);
        });
        foreach (var _ in Enumerable.Range(0, 2))
            await cut.InvokeAsync(() => cut.Find("[data-testid='subform-lines'] button[data-testid='subform-add']").Click());
        async Task Type(string id, string text) => await cut.Find("#" + id).ChangeAsync(new ChangeEventArgs { Value = text });
        await Type("f-lines-0-product", "产品A");
        await Type("f-lines-0-qty", "2");
        await Type("f-lines-0-price", "100");
        await Type("f-lines-1-product", "产品B");
        await Type("f-lines-1-qty", "1");
        await Type("f-lines-1-price", "50");

        cut.WaitForAssertion(() => Assert.Equal("avg ¥125.00", cut.Find("[data-testid='subform-totals'] [data-total='subtotal']").TextContent.Trim()));
        Assert.Equal("3", cut.Find("[data-testid='subform-totals'] [data-total='qty']").TextContent.Trim());
        var price = cut.Find("[data-testid='subform-totals'] [data-total='price']");
        Assert.Equal("", price.TextContent.Trim());
        Assert.Equal("none", price.GetAttribute("data-kind"));
        Assert.Null(price.GetAttribute("data-label"));
        Assert.Equal("Average Subtotal", cut.Find("[data-testid='subform-totals'] [data-total='subtotal']").GetAttribute("data-label"));
        Assert.Equal("Total Qty", cut.Find("[data-testid='subform-totals'] [data-total='qty']").GetAttribute("data-label"));
    }

    [Theory]
    [InlineData("en", "avg ¥125.00")]
    [InlineData("zh-CN", "平均 ¥125.00")]
    public async Task The_record_page_footer_follows_the_setting(string culture, string average)
    {
        FormContext.UseCulture(culture);
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, culture);
        var field = WithTotals(f.Entity);
        var view = f.Context.Bunit.Render<FieldValueView>(p =>
        {
            p.Add(x => x.Field, field);
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Value, TwoRows());
            p.AddCascadingValue(f.Session);
        });
        var table = view.Find("[data-testid='subform-view-lines']");
        Assert.Equal(average, table.QuerySelector("tfoot [data-total='subtotal']")!.TextContent.Trim());
        Assert.Equal("3", table.QuerySelector("tfoot [data-total='qty']")!.TextContent.Trim());
        Assert.Equal("", table.QuerySelector("tfoot [data-total='price']")!.TextContent.Trim());

        // Every numeric column set to none: no footer at all.
        field.Settings = field.Settings with { Columns = field.Settings.Columns!.Select(c => c with { Settings = c.Settings with { Total = "none" } }).ToList() };
        var bare = f.Context.Bunit.Render<FieldValueView>(p =>
        {
            p.Add(x => x.Field, field);
            p.Add(x => x.Entity, f.Entity);
            p.Add(x => x.Value, TwoRows());
            p.AddCascadingValue(f.Session);
        });
        Assert.Null(bare.Find("[data-testid='subform-view-lines']").QuerySelector("tfoot"));
    }

    [Theory]
    [InlineData("en", "Footer", "No total")]
    [InlineData("zh-CN", "底部合计", "不合计")]
    public async Task The_designer_offers_the_footer_of_numeric_columns_and_stores_the_choice(string culture, string label, string none)
    {
        FormContext.UseCulture(culture);
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, culture);
        var draft = Crm.Core.Design.EntityDraft.From(f.Entity);
        var lines = draft.Fields.Single(x => x.Key == "lines");
        var saved = new List<FieldSettings>();
        var view = new Crm.Web.Components.Fields.Types.SettingsView(lines, draft, f.Entity.Owner, false,
            s => { saved.Add(s); lines.Settings = s; return Task.CompletedTask; }, _ => null);
        var cut = f.Context.Bunit.Render<Crm.Web.Components.Fields.Types.SubformSettings>(p => p.Add(x => x.View, view));

        // product (text) has no footer choice; qty, price and subtotal have one, showing the sum by default.
        Assert.Empty(cut.FindAll("#d-column-total-0"));
        foreach (var i in new[] { 1, 2, 3 }) Assert.NotEmpty(cut.FindAll($"#d-column-total-{i}"));
        Assert.Contains(label, cut.Find(".crm-subform-column[data-index='2']").TextContent);

        // Pick "No total" for 单价 (price) the way a person does: open the select, click the item.
        await cut.InvokeAsync(() => cut.Find("#d-column-total-2").Closest(".mud-input-control")!.MouseDownAsync(new()));
        var list = cut.Find("#d-column-total-2").GetAttribute("aria-controls");
        f.Popovers.WaitForAssertion(() => Assert.Contains(f.Popovers.FindAll($"#{list} .mud-list-item"), i => i.TextContent.Trim() == none));
        await f.Popovers.ClickAsync(p => p.FindAll($"#{list} .mud-list-item").First(i => i.TextContent.Trim() == none));

        cut.WaitForAssertion(() => Assert.Equal("none", saved.Last().Columns!.Single(c => c.Key == "price").Settings.Total));
        Assert.Null(saved.Last().Columns!.Single(c => c.Key == "qty").Settings.Total);
    }
}
