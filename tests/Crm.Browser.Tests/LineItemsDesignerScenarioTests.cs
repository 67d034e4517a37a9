using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Issue 13's scenario as a workspace admin who writes no code, in Chinese, with clicks in the designer only: on 商机
/// (B2B template, whose 产品 entity has 单价) add a subform 产品明细 with 产品 (a lookup of 产品 that fills 单价), 数量,
/// 单价 and 小计 = 数量 × 单价; add 明细合计 = SUM(产品明细.小计) and make it the deal's amount; replace the shipped
/// rule by "输单原因 required when 销售阶段 is 输单". Then a deal with two lines: picking the products fills the prices,
/// the subtotals and the total follow; choosing 输单 asks for the reason; saved in an open stage, the record shows the
/// amount, the board column's total and the open pipeline value report follow.
/// </summary>
[Collection(BrowserCollection.Name)]
public class LineItemsDesignerScenarioTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_builds_line_items_amount_and_rule_in_the_designer_and_a_deal_follows(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, actor) = await app.WorkspaceAsync("Lines " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"], culture: "zh-CN");
        var services = app.Factory.Services;
        var records = services.GetRequiredService<RecordService>();
        // The workspace's data (not configuration): two products with their prices and a customer.
        async Task<Guid> CreateAsync(string entity, JsonObject values)
        {
            var result = await records.CreateAsync(actor, entity, new RecordInput(values));
            Assert.True(result.Succeeded, result.Errors.ToString());
            return result.Record!.Id;
        }
        await CreateAsync("product", new JsonObject { ["name"] = "CRM 标准版", ["price"] = 12000 });
        await CreateAsync("product", new JsonObject { ["name"] = "实施服务", ["price"] = 1500 });
        await CreateAsync("company", new JsonObject { ["name"] = "海润贸易" });

        await using var context = await browser.NewContextAsync(app, "zh-CN");
        var page = await context.NewPageAsync();
        await page.SetViewportSizeAsync(1280, 900);
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");
        await page.GotoAsync($"/t/{owner.Slug}/designer/opportunity");
        await page.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync(new() { Timeout = 60_000 });

        // 产品明细: a subform; its first column becomes 产品, a lookup of 产品.
        await page.Locator("#designer-add-field").ClickAsync();
        await page.Locator("[data-testid=field-settings]").WaitForAsync();
        await NameFieldAsync(page, "产品明细", "items");
        await ChooseTypeAsync(page, "subform");
        var columns = page.Locator("[data-testid=subform-columns]");
        await columns.WaitForAsync();
        async Task ColumnAsync(int i, string label, string key, string? type)
        {
            // The key first (left with Tab, so it counts as typed): a new column's key otherwise follows its name.
            await page.Locator($"#d-column-key-{i}").FillAsync(key);
            await page.Locator($"#d-column-key-{i}").PressAsync("Tab");
            await page.Locator($"#d-column-label-{i}").FillAsync(label);
            await page.Locator($"#d-column-label-{i}").PressAsync("Tab");
            await Assertions.Expect(page.Locator($"#d-column-key-{i}")).ToHaveValueAsync(key);
            if (type is not null) await page.ChooseAsync($"[data-testid=column-type-{i}]", type);
        }
        await ColumnAsync(0, "产品", "product", "关联记录");
        await page.ChooseAsync($"#d-column-target-0", "产品");
        await AddColumnAsync(page, 1);
        await ColumnAsync(1, "数量", "qty", null); // a new column is a number
        await AddColumnAsync(page, 2);
        await ColumnAsync(2, "单价", "price", "金额");
        // A unit price's sum means nothing: its footer shows no total (subtot).
        await page.ChooseAsync("#d-column-total-2", "不合计");
        await Assertions.Expect(page.Locator("#d-column-total-2")).ToHaveValueAsync("不合计");
        await AddColumnAsync(page, 3);
        await ColumnAsync(3, "小计", "subtotal", "公式");
        await page.Locator("#d-column-expression-3").FillAsync("qty * price");
        // 数据联动 in the row: picking a 产品 fills 单价 (the designer proposes the pair of the same name).
        await page.Locator("[data-testid=column-fill-add-0]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=column-fill-0] [data-testid=column-fill-row]")).ToHaveCountAsync(1);
        // Neither select of the pair is cut short in the narrow settings panel (both show their whole value).
        foreach (var select in new[] { "column-fill-from-0-0", "column-fill-to-0-0" })
        {
            // MudSelect puts the data-testid on its input element (not a wrapper), as form-rule selects are clicked by it.
            var input = page.Locator($"[data-testid={select}]").First;
            var overflow = await input.EvaluateAsync<bool>("e => e.scrollWidth > e.clientWidth + 1");
            Assert.False(overflow, select + " is cut short");
        }
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=field-settings]"), "line-items-designer-columns-zh-CN-" + provider);

        // 明细合计 = SUM(产品明细.小计), shown as money.
        await page.Locator("#designer-add-field").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=field-settings]")).Not.ToHaveAttributeAsync("data-field", "items");
        await NameFieldAsync(page, "明细合计", "lines_total");
        await ChooseTypeAsync(page, "formula");
        await page.Locator("#d-field-expression").FillAsync("SUM(items.subtotal)");
        await page.ChooseAsync("#d-field-format", "金额");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=field-settings]"), "line-items-designer-total-zh-CN-" + provider);

        // 商机金额 is no longer typed: not required; the record type's amount is 明细合计.
        await page.Locator("[data-testid=field-row-amount]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=field-settings]")).ToHaveAttributeAsync("data-field", "amount");
        await Assertions.Expect(page.Locator("[data-testid=field-row-amount]")).ToHaveClassAsync(new Regex("crm-selected"));
        await Assertions.Expect(page.Locator("[data-testid=field-row-lines_total]")).Not.ToHaveClassAsync(new Regex("crm-selected"));
        // MudCheckBox puts the data-testid on its input element.
        var required = page.Locator("input[data-testid=field-required]");
        await Assertions.Expect(required).ToBeCheckedAsync();
        await required.UncheckAsync();
        await Assertions.Expect(page.Locator("[data-testid=field-row-amount] .crm-required")).ToHaveCountAsync(0);
        await page.Locator(".mud-tab", new() { HasText = "记录类型" }).ClickAsync();
        await page.ChooseAsync("#d-binding-amountField", "明细合计");
        await Assertions.Expect(page.Locator("#d-binding-amountField")).ToHaveValueAsync("明细合计");

        // The rule: the template's own is deleted and added again by hand.
        await page.Locator(".mud-tab", new() { HasText = "表单规则" }).ClickAsync();
        await page.Locator("[data-testid=form-rule] [data-testid=form-rule-delete]").First.ClickAsync();
        await page.Locator("[data-testid=form-rules-empty]").WaitForAsync();
        await page.Locator("[data-testid=form-rule-add]").ClickAsync();
        await page.Locator("[data-testid=form-rule]").WaitForAsync();
        await page.ChooseAsync("[data-testid=form-rule-0-value-0]", "输单");
        await page.ChooseAsync("[data-testid=form-rule-0-targets]", "输单原因");
        // A multiple select stays open after a pick. Escape closes it when the select has the focus back (under load it
        // may not yet); else a click on its overlay, in the empty corner of the page, does. Not on the select (that
        // reopens it) nor near it: the list opens upwards over the rule's summary, and a click there picks a field.
        var openList = page.Locator(".mud-popover-open .mud-list-item");
        await page.Keyboard.PressAsync("Escape");
        try { await Assertions.Expect(openList).ToHaveCountAsync(0, new() { Timeout = 5_000 }); }
        catch (PlaywrightException) { await page.Mouse.ClickAsync(1270, 890); }
        await Assertions.Expect(openList).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("[data-testid=form-rule-summary]")).ToHaveTextAsync(new Regex("销售阶段.*输单.*输单原因.*必填"));
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=form-rule]"), "line-items-designer-rule-zh-CN-" + provider);

        await page.Locator("#designer-save").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=entity-designer]")).ToHaveAttributeAsync("data-dirty", "false", new() { Timeout = 30_000 });
        var deal = (await services.GetRequiredService<MetadataStore>().GetAsync(owner.Tenant.Id)).Entity("opportunity")!;
        Assert.Equal("lines_total", deal.Entity.AmountFieldKey);
        Assert.False(deal.Field("amount")!.Settings.Required);
        Assert.Equal("formula", deal.Field("lines_total")!.Type);
        var items = deal.Field("items")!;
        Assert.Equal(["product", "qty", "price", "subtotal"], items.Settings.Columns!.Select(c => c.Key));
        Assert.Equal([new LookupFill("price", "price")], items.Settings.Columns![0].Settings.Fill);
        Assert.Equal("product", items.Settings.Columns![0].Settings.Target);
        Assert.Equal("none", items.Settings.Columns![2].Settings.Total);
        var rule = Assert.Single(deal.Entity.FormRules);
        Assert.Equal(["lost_reason"], rule.Fields);

        // A deal with two lines: picking the products fills the prices; the subtotals, the footer and the total follow.
        await page.GotoAsync($"/t/{owner.Slug}/r/opportunity/new");
        await page.ReadyAsync("#new-record-page");
        await page.Locator("#f-name").FillAsync("海润贸易 CRM 项目");
        await PickAsync(page, "#f-company", "海润");
        await page.Locator("#f-expected_close").FillAsync("2030-01-31");
        await page.Keyboard.PressAsync("Escape");
        var lines = page.Locator("[data-testid=subform-items]");
        await lines.Locator("button[data-testid=subform-add]").ClickAsync();
        await lines.Locator("button[data-testid=subform-add]").ClickAsync();
        await page.Locator("#f-items-1-product").WaitForAsync();
        await PickAsync(page, "#f-items-0-product", "CRM 标准版");
        await Assertions.Expect(page.Locator("#f-items-0-price")).ToHaveValueAsync(new Regex("12,?000"));
        await page.Locator("#f-items-0-qty").FillAsync("2");
        await PickAsync(page, "#f-items-1-product", "实施服务");
        await Assertions.Expect(page.Locator("#f-items-1-price")).ToHaveValueAsync(new Regex("1,?500"));
        await page.Locator("#f-items-1-qty").FillAsync("3");
        await page.Locator("#f-name").ClickAsync(); // leave the last cell: its change is sent
        // A formula column shows a number (the designer offers no format for it); the total field is money.
        await Assertions.Expect(page.Locator("#f-items-0-subtotal")).ToHaveValueAsync(new Regex("^24,?000(\\.00)?$"));
        await Assertions.Expect(page.Locator("#f-items-1-subtotal")).ToHaveValueAsync(new Regex("^4,?500(\\.00)?$"));
        await Assertions.Expect(lines.Locator("[data-total=subtotal]")).ToHaveTextAsync(new Regex("28,?500"));
        await Assertions.Expect(lines.Locator("[data-total=price]")).ToHaveTextAsync("");
        await Assertions.Expect(page.Locator("#f-lines_total")).ToHaveValueAsync("¥28,500.00");

        // 输单 makes 输单原因 required: saving without it names the field. Back to the first stage, it saves.
        var reason = page.Locator("#new-record-form .crm-field[data-field='lost_reason']");
        var stage = "#new-record-form .crm-field[data-field='stage'] .mud-input-control";
        var firstStage = deal.DefaultPipeline!.FirstOpenStage!.Label.Get();
        await page.ChooseAsync(stage, "输单");
        await Assertions.Expect(reason).ToHaveAttributeAsync("data-rule", "required");
        await page.Locator("#new-record-save").ClickAsync();
        await Assertions.Expect(reason).ToContainTextAsync("请填写输单原因。");
        Assert.EndsWith("/r/opportunity/new", page.Url);
        await ScreenshotTests.SaveAsync(page.Locator("#new-record-form"), "line-items-deal-form-zh-CN-" + provider);
        await page.ChooseAsync(stage, firstStage);
        await Assertions.Expect(reason).Not.ToHaveAttributeAsync("data-rule", "required");
        await page.Locator("#new-record-save").ClickAsync();
        await SavedAsync(page, new Regex($"/t/{owner.Slug}/r/opportunity/[0-9a-f-]{{36}}$"), "line-items-deal-not-saved-" + provider);
        var id = Guid.Parse(page.Url.Split('/')[^1]);
        await page.ReadyAsync("#record-page");
        await Assertions.Expect(page.Locator("#record-page .crm-record-field[data-field='lines_total']")).ToContainTextAsync("¥28,500.00");
        await Assertions.Expect(page.Locator("[data-testid=subform-view-items] tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=subform-view-items] tfoot [data-total=subtotal]")).ToHaveTextAsync(new Regex("28,500"));
        await Assertions.Expect(page.Locator("[data-testid=subform-view-items] tfoot [data-total=price]")).ToHaveTextAsync("");
        await ScreenshotTests.SaveAsync(page.Locator("#record-page"), "line-items-deal-record-zh-CN-" + provider);
        await using (var db = app.Factory.Database.Factory.CreateForTenant(owner.Tenant.Id))
        {
            var stored = await db.Records.AsNoTracking().SingleAsync(r => r.Id == id);
            Assert.Equal(28500m, stored.Amount);
            var rows = RecordWriter.ParseValues(stored.Values)["items"]!.AsArray();
            Assert.Equal([12000m, 1500m], rows.Select(r => r!["price"]!.GetValue<decimal>()));
        }

        // The board: the deal's column totals ¥28,500.
        await page.GotoAsync($"/t/{owner.Slug}/board/opportunity");
        await page.ReadyAsync("#board-page");
        var column = page.Locator("section.crm-board-column").Filter(new() { Has = page.Locator(".crm-card", new() { HasText = "海润贸易 CRM 项目" }) });
        await Assertions.Expect(column.Locator("[data-testid=column-sum]")).ToHaveAttributeAsync("title", new Regex("28,500"));
        await ScreenshotTests.SaveAsync(page, "line-items-board-zh-CN-" + provider);

        // The report of the open pipeline's value: the deal's amount.
        await page.GotoAsync($"/t/{owner.Slug}/reports/pipeline_value");
        await Assertions.Expect(page.Locator("[data-testid=kpi-value]").First).ToContainTextAsync(new Regex("28,500|2\\.85\\s*万"), new() { Timeout = 60_000 });
        await ScreenshotTests.SaveAsync(page, "line-items-report-zh-CN-" + provider);
    }

    /// <summary>
    /// Waits for the record page a save goes to, as long as <see cref="PageReady.ReadyAsync"/> waits for a page (a save
    /// under CI's load can take well over 20 s); when the form stayed, the message says what the form showed and a
    /// picture of it is kept.
    /// </summary>
    internal static async Task SavedAsync(IPage page, Regex url, string picture)
    {
        try
        {
            await page.WaitForURLAsync(url, new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            var shown = await page.Locator("#new-record-form .mud-input-error, .mud-snackbar, #components-reconnect-modal[open]").AllInnerTextsAsync();
            await ScreenshotTests.SaveAsync(page, picture, fullPage: true);
            var errors = BrowserFixture.Factories.SelectMany(f => f.Errors).ToList();
            throw new TimeoutException($"Not saved after 60 s, still at {page.Url}; the page showed: [{string.Join(" | ", shown)}]; "
                + (errors.Count == 0 ? "the server logged no errors." : "server errors:\n" + string.Join("\n", errors)), e);
        }
    }

    /// <summary>
    /// Adds the subform's column number <paramref name="index"/>; a click that landed while the panel re-rendered is
    /// made again, only while the column is still missing (never a second new column).
    /// </summary>
    private static async Task AddColumnAsync(IPage page, int index)
    {
        var column = page.Locator($"#d-column-key-{index}");
        for (var attempt = 0; attempt < 3 && await page.Locator("[id^='d-column-key-']").CountAsync() == index; attempt++)
        {
            await page.Locator("[data-testid=subform-add-column]").ClickAsync();
            try { await column.WaitForAsync(new() { Timeout = 10_000 }); } catch (TimeoutException) { }
        }
        await column.WaitForAsync();
        await Assertions.Expect(page.Locator("[id^='d-column-key-']")).ToHaveCountAsync(index + 1);
    }

    /// <summary>
    /// Names the new field: its key first, then its name. A new field's key follows its name until a key is typed, and
    /// under load the name's change can reach the server after the key was typed in the browser: the key computed from
    /// the name then overwrote the typed one. A typed key (sent with Tab and seen in the panel) stays.
    /// </summary>
    internal static async Task NameFieldAsync(IPage page, string label, string key)
    {
        await page.Locator("#d-field-key").FillAsync(key);
        await page.Locator("#d-field-key").PressAsync("Tab");
        await Assertions.Expect(page.Locator("[data-testid=field-settings]")).ToHaveAttributeAsync("data-field", key);
        await page.Locator("#d-field-label").FillAsync(label);
        await page.Locator("#d-field-label").PressAsync("Tab");
        await Assertions.Expect(page.Locator($"[data-testid=field-row-{key}] .crm-field-row-label")).ToContainTextAsync(label);
        await Assertions.Expect(page.Locator("#d-field-key")).ToHaveValueAsync(key);
    }

    /// <summary>
    /// Opens the new field's type menu and picks <paramref name="type"/>; the menu is opened again when a click landed
    /// while the panel was re-rendering (as <see cref="PageReady.ChooseAsync"/> does for selects).
    /// </summary>
    internal static async Task ChooseTypeAsync(IPage page, string type)
    {
        var item = page.Locator($".mud-popover-open [data-testid=type-{type}]");
        for (var attempt = 0; attempt < 3 && !await item.IsVisibleAsync(); attempt++)
        {
            try { await page.Locator("#d-field-type").ClickAsync(new() { Timeout = 10_000 }); } catch (TimeoutException) { continue; }
            try { await item.WaitForAsync(new() { Timeout = 5_000 }); } catch (TimeoutException) { }
        }
        await item.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=field-settings]")).ToHaveAttributeAsync("data-type", type);
    }

    /// <summary>Types into a lookup's autocomplete and clicks the first offered record containing <paramref name="text"/>.</summary>
    internal static async Task PickAsync(IPage page, string input, string text)
    {
        var item = page.Locator(".mud-popover-open .mud-list-item", new() { HasTextRegex = new Regex(Regex.Escape(text)) }).First;
        for (var attempt = 0; attempt < 3 && !await item.IsVisibleAsync(); attempt++)
        {
            await page.Locator(input).ClickAsync();
            await page.Locator(input).FillAsync(text);
            try { await item.WaitForAsync(new() { Timeout = 10_000 }); } catch (TimeoutException) { }
        }
        // A click that lands while the debounced search re-renders the list leaves it open (CI, once): click the
        // offered item again until the list closes.
        var open = page.Locator(".mud-popover-open .mud-list-item");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await item.IsVisibleAsync()) await item.ClickAsync(new() { Timeout = 5_000 });
                await Assertions.Expect(open).ToHaveCountAsync(0, new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 4) { }
        }
    }
}
