using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Linked fields (数据联动 / 关联数据) in the browser, in Chinese and English: the designer's lookup settings, then a new
/// deal where picking a 客户 fills 下一步计划 from the customer's 城市, shows its 行业 and 电话 under the lookup, and
/// the 联系人 picker offers only that customer's contacts.
/// </summary>
[Collection(BrowserCollection.Name)]
public class LinkedFieldBrowserTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Picking_a_customer_fills_and_shows_its_fields_and_narrows_the_contacts(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, actor) = await app.WorkspaceAsync("Linked " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"], culture: "zh-CN");
        var services = app.Factory.Services;
        var store = services.GetRequiredService<MetadataStore>();
        var draft = EntityDraft.From((await store.GetAsync(owner.Tenant.Id)).Entity("opportunity")!);
        var company = draft.Field("company")!;
        company.Settings = company.Settings with { Fill = [new LookupFill("city", "next_step")] };
        Assert.True((await services.GetRequiredService<MetadataDesigner>().SaveEntityAsync(actor, draft)).Succeeded);
        var records = services.GetRequiredService<RecordService>();
        async Task<Guid> CreateAsync(string entity, JsonObject values)
        {
            var result = await records.CreateAsync(actor, entity, new RecordInput(values));
            Assert.True(result.Succeeded, result.Errors.ToString());
            return result.Record!.Id;
        }
        var hairun = await CreateAsync("company", new JsonObject { ["name"] = "海润贸易", ["city"] = "上海", ["industry"] = "manufacturing", ["phone"] = "021-5555 0101" });
        var other = await CreateAsync("company", new JsonObject { ["name"] = "京城物流", ["city"] = "北京" });
        await CreateAsync("contact", new JsonObject { ["name"] = "王经理", ["company"] = hairun.ToString() });
        await CreateAsync("contact", new JsonObject { ["name"] = "李主管", ["company"] = other.ToString() });

        await using var context = await browser.NewContextAsync(app, "zh-CN");
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");

        // The designer: 商机 → 客户 shows its linked-field settings.
        await page.GotoAsync($"/t/{owner.Slug}/designer/opportunity");
        await page.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("[data-testid=field-row-company]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=lookup-links]")).ToContainTextAsync("数据联动");
        await ScreenshotTests.SaveAsync(page, "linked-fields-designer-zh-CN-" + provider, fullPage: true);

        // A new deal: pick 海润贸易.
        await page.GotoAsync($"/t/{owner.Slug}/r/opportunity/new");
        await page.ReadyAsync("#new-record-page");
        await PickAsync(page, "#f-company", "海润");
        await Assertions.Expect(page.Locator("#f-next_step")).ToHaveValueAsync("上海");
        var shown = page.Locator("#new-record-form .crm-linked-fields[data-linked='company']");
        await Assertions.Expect(shown).ToContainTextAsync("制造业");
        await Assertions.Expect(shown).ToContainTextAsync("021-5555 0101");
        // The contact picker offers 王经理 (海润贸易's) and not 李主管.
        await page.Locator("#f-contact").ClickAsync();
        await page.Locator("#f-contact").FillAsync("");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "王经理" }).WaitForAsync();
        Assert.Equal(0, await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "李主管" }).CountAsync());
        await page.Keyboard.PressAsync("Escape");
        await ScreenshotTests.SaveAsync(page, "linked-fields-deal-zh-CN-" + provider);

        // English.
        await using var en = await browser.NewContextAsync(app, "en-US");
        var enPage = await en.NewPageAsync();
        await AccountFlowTests.SignInAsync(enPage, owner.User.Email!);
        await enPage.ReadyAsync("#tenant-home");
        await enPage.GotoAsync($"/t/{owner.Slug}/r/opportunity/new");
        await enPage.ReadyAsync("#new-record-page");
        await PickAsync(enPage, "#f-company", "海润");
        await Assertions.Expect(enPage.Locator("#f-next_step")).ToHaveValueAsync("上海");
        await Assertions.Expect(enPage.Locator("#new-record-form .crm-linked-fields[data-linked='company']")).ToContainTextAsync("Manufacturing");
        await ScreenshotTests.SaveAsync(enPage, "linked-fields-deal-en-" + provider);
    }

    /// <summary>Types into a lookup's autocomplete and clicks the first offered record containing <paramref name="text"/>.</summary>
    private static async Task PickAsync(IPage page, string input, string text)
    {
        var item = page.Locator(".mud-popover-open .mud-list-item", new() { HasTextRegex = new Regex(Regex.Escape(text)) }).First;
        for (var attempt = 0; attempt < 3 && !await item.IsVisibleAsync(); attempt++)
        {
            await page.Locator(input).ClickAsync();
            await page.Locator(input).FillAsync(text);
            try { await item.WaitForAsync(new() { Timeout = 10_000 }); } catch (TimeoutException) { }
        }
        await item.ClickAsync();
    }
}
