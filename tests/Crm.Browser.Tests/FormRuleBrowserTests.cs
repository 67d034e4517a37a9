using System.Text.RegularExpressions;
using Crm.Core.Design;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Issue 13's form rule, as a workspace admin who writes no code, in Chinese: adds "输单原因 required when 销售阶段 is
/// 输单" on the designer's 表单规则 tab, then in a new deal chooses 输单: 输单原因 turns required, and saving without it
/// names the field.
/// </summary>
[Collection(BrowserCollection.Name)]
public class FormRuleBrowserTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_adds_the_lost_reason_rule_and_the_deal_form_follows_it(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, actor) = await app.WorkspaceAsync("Rules " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"], culture: "zh-CN");
        var services = app.Factory.Services;
        // The starter template ships this very rule: take it out, so the admin adds it.
        var store = services.GetRequiredService<Crm.Core.Metadata.MetadataStore>();
        var draft = EntityDraft.From((await store.GetAsync(owner.Tenant.Id)).Entity("opportunity")!);
        draft.FormRules.Clear();
        Assert.True((await services.GetRequiredService<MetadataDesigner>().SaveEntityAsync(actor, draft)).Succeeded);

        await using var context = await browser.NewContextAsync(app, "zh-CN");
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");

        // Designer: 商机 → 表单规则 → add: when 销售阶段 is 输单, 输单原因 is required.
        await page.GotoAsync($"/t/{owner.Slug}/designer/opportunity");
        await page.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator(".mud-tab", new() { HasText = "表单规则" }).ClickAsync();
        await page.Locator("[data-testid=form-rules-empty]").WaitForAsync();
        await page.Locator("[data-testid=form-rule-add]").ClickAsync();
        await page.Locator("[data-testid=form-rule]").WaitForAsync();
        await page.ChooseAsync("[data-testid=form-rule-0-value-0]", "输单");
        await page.ChooseAsync("[data-testid=form-rule-0-targets]", "输单原因");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("[data-testid=form-rule-summary]")).ToHaveTextAsync(new Regex("销售阶段.*输单.*输单原因.*必填"));
        await ScreenshotTests.SaveAsync(page, "form-rules-designer-zh-CN-" + provider);
        await page.Locator("#designer-save").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=entity-designer]")).ToHaveAttributeAsync("data-dirty", "false");
        var rule = Assert.Single((await store.GetAsync(owner.Tenant.Id)).Entity("opportunity")!.Entity.FormRules);
        Assert.Equal(["lost_reason"], rule.Fields);
        Assert.Equal(["require"], rule.Effects);
        Assert.Equal(("stage", "eq", "lost"), (rule.When.Filters[0].Field, rule.When.Filters[0].Op, rule.When.Filters[0].Value?.ToString()));

        // A new deal: choosing 输单 makes 输单原因 required; saving without it names the field.
        await page.GotoAsync($"/t/{owner.Slug}/r/opportunity/new");
        await page.ReadyAsync("#new-record-page");
        var reason = page.Locator("#new-record-form .crm-field[data-field='lost_reason']");
        await Assertions.Expect(reason).Not.ToHaveClassAsync(new Regex("crm-required"));
        await page.Locator("#f-name").FillAsync("海润贸易 ERP");
        await page.ChooseAsync("#new-record-form .crm-field[data-field='stage'] .mud-input-control", "输单");
        await Assertions.Expect(reason).ToHaveClassAsync(new Regex("crm-required"));
        await Assertions.Expect(reason).ToHaveAttributeAsync("data-rule", "required");
        await page.Locator("#new-record-save").ClickAsync();
        await Assertions.Expect(reason).ToContainTextAsync("请填写输单原因。");
        Assert.EndsWith("/r/opportunity/new", page.Url);
        await ScreenshotTests.SaveAsync(page, "form-rules-deal-zh-CN-" + provider);

        // The same in English: the rule in words on the designer tab, the message on the form.
        await using var en = await browser.NewContextAsync(app, "en-US");
        var enPage = await en.NewPageAsync();
        await AccountFlowTests.SignInAsync(enPage, owner.User.Email!);
        await enPage.ReadyAsync("#tenant-home");
        await enPage.GotoAsync($"/t/{owner.Slug}/designer/opportunity");
        await enPage.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync(new() { Timeout = 60_000 });
        await enPage.Locator(".mud-tab", new() { HasText = "Form rules" }).ClickAsync();
        await Assertions.Expect(enPage.Locator("[data-testid=form-rule-summary]")).ToHaveTextAsync("When Stage is Lost: Lost reason — required");
        await ScreenshotTests.SaveAsync(enPage, "form-rules-designer-en-" + provider);
        await enPage.GotoAsync($"/t/{owner.Slug}/r/opportunity/new");
        await enPage.ReadyAsync("#new-record-page");
        await enPage.ChooseAsync("#new-record-form .crm-field[data-field='stage'] .mud-input-control", "Lost");
        await enPage.Locator("#new-record-save").ClickAsync();
        await Assertions.Expect(enPage.Locator("#new-record-form .crm-field[data-field='lost_reason']")).ToContainTextAsync("Lost reason is required.");
        await ScreenshotTests.SaveAsync(enPage, "form-rules-deal-en-" + provider);
    }
}
