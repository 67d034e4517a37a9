using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// The subform (子表单) in the browser, in Chinese and English: a deal with 产品明细 (产品, 数量, 单价, 小计 = 数量 × 单价)
/// and its amount = SUM(产品明细.小计): two lines typed in the new-deal form show their subtotals, the footer total and
/// the amount; the saved deal's page shows the lines as a table. Screenshots of both pages are kept.
/// </summary>
[Collection(BrowserCollection.Name)]
public class SubformBrowserTests(BrowserFixture browser)
{
    [Theory]
    [InlineData("sqlite", "zh-CN")]
    [InlineData("sqlite", "en-US")]
    [InlineData("postgres", "zh-CN")]
    public async Task A_deal_with_two_lines_shows_subtotals_the_total_and_the_amount(string provider, string locale)
    {
        var app = await browser.AppAsync(provider);
        var (owner, actor) = await app.WorkspaceAsync("Lines " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"], culture: locale[..2] == "zh" ? "zh-CN" : "en");
        var services = app.Factory.Services;
        var store = services.GetRequiredService<MetadataStore>();
        var draft = EntityDraft.From((await store.GetAsync(owner.Tenant.Id)).Entity("opportunity")!);
        var items = draft.AddField("subform", new LocalizedText("产品明细", "Line items"));
        items.Key = "items";
        items.Settings = items.Settings with
        {
            ShowInList = true,
            Columns =
            [
                new SubformColumn { Key = "product", Type = "text", Label = new LocalizedText("产品", "Product"), Settings = new FieldSettings { Required = true } },
                new SubformColumn { Key = "qty", Type = "number", Label = new LocalizedText("数量", "Qty"), Settings = new FieldSettings { Required = true, Min = 1 } },
                new SubformColumn { Key = "price", Type = "money", Label = new LocalizedText("单价", "Unit price"), Settings = new FieldSettings { Currency = "CNY" } },
                new SubformColumn { Key = "subtotal", Type = "formula", Label = new LocalizedText("小计", "Subtotal"), Settings = new FieldSettings { Expression = "qty * price", Format = "money" } },
            ],
        };
        var total = draft.AddField("formula", new LocalizedText("明细合计", "Lines total"));
        total.Key = "lines_total";
        total.Settings = total.Settings with { Expression = "SUM(items.subtotal)", Format = "money" };
        draft.Fields.Single(f => f.Key == "amount").Settings = draft.Fields.Single(f => f.Key == "amount").Settings with { Required = false };
        draft.AmountFieldKey = "lines_total";
        var saved = await services.GetRequiredService<MetadataDesigner>().SaveEntityAsync(actor, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        await using var context = await browser.NewContextAsync(app, locale);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");
        await page.GotoAsync($"/t/{owner.Slug}/r/opportunity/new");
        await page.ReadyAsync("#new-record-page");

        var zh = locale.StartsWith("zh");
        await page.Locator("#f-name").FillAsync(zh ? "海润贸易 ERP" : "Harbor ERP");
        var lines = page.Locator("[data-testid=subform-items]");
        await lines.Locator("button[data-testid=subform-add]").ClickAsync();
        await lines.Locator("button[data-testid=subform-add]").ClickAsync();
        await page.Locator("#f-items-1-product").WaitForAsync();
        await page.Locator("#f-items-0-product").FillAsync(zh ? "标准版许可" : "Standard licence");
        await page.Locator("#f-items-0-qty").FillAsync("2");
        await page.Locator("#f-items-0-price").FillAsync("1200");
        await page.Locator("#f-items-1-product").FillAsync(zh ? "实施服务" : "Implementation");
        await page.Locator("#f-items-1-qty").FillAsync("1");
        await page.Locator("#f-items-1-price").FillAsync("800");
        await page.Locator("#f-name").ClickAsync(); // leave the last cell: its change is sent

        await Assertions.Expect(page.Locator("#f-items-0-subtotal")).ToHaveValueAsync("¥2,400.00");
        await Assertions.Expect(lines.Locator("[data-total=subtotal]")).ToHaveTextAsync("¥3,200.00");
        await Assertions.Expect(page.Locator("#f-lines_total")).ToHaveValueAsync("¥3,200.00");
        await ScreenshotTests.SaveAsync(page, $"subform-form-{locale}-{provider}", fullPage: true);

        // The record page of a saved deal with the same lines (saved by the server, whose rows get ids and subtotals).
        var records = services.GetRequiredService<Crm.Core.Records.RecordService>();
        var company = (await records.CreateAsync(actor, "company", Crm.Core.Records.RecordInput.Of(("name", "海润贸易")))).Record!;
        var rows = System.Text.Json.Nodes.JsonNode.Parse(zh
            ? """[{"product":"标准版许可","qty":2,"price":1200},{"product":"实施服务","qty":1,"price":800}]"""
            : """[{"product":"Standard licence","qty":2,"price":1200},{"product":"Implementation","qty":1,"price":800}]""");
        var created = await records.CreateAsync(actor, "opportunity", Crm.Core.Records.RecordInput.Of(("name", zh ? "海润贸易 ERP" : "Harbor ERP"),
            ("company", company.Id.ToString()), ("expected_close", "2030-01-31"), ("items", rows)));
        Assert.True(created.Succeeded, created.Errors.ToString());
        Assert.Equal(3200m, created.Record!.Amount);
        await page.GotoAsync($"/t/{owner.Slug}/r/opportunity/{created.Record.Id}");
        await page.ReadyAsync("#record-page");
        var table = page.Locator("[data-testid=subform-view-items]");
        await Assertions.Expect(table.Locator("tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(table.Locator("tfoot [data-total=subtotal]")).ToHaveTextAsync("¥3,200.00");
        await ScreenshotTests.SaveAsync(page, $"subform-record-{locale}-{provider}", fullPage: true);
        var deal = (await store.GetAsync(owner.Tenant.Id)).Entity("opportunity")!;
        Assert.Equal("lines_total", deal.Entity.AmountFieldKey);
    }
}
