using System.Text.RegularExpressions;
using Crm.Core.Activities;
using Crm.Core.Automation;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Issue 11's browser test: a workspace admin who writes no code, in Chinese, builds the rule "new 线索 with 来源 = 官网 →
/// round robin to A and B, and a task due tomorrow" on the automation page, creates three leads through the form,
/// sees them go to A, B, A with their tasks, and sees the rule's run history.
/// </summary>
[Collection(BrowserCollection.Name)]
public class AutomationBrowserTests(BrowserFixture browser)
{
    /// <summary>Opens "add action" (again, if a list that was still closing took the first click) and picks <paramref name="kind"/>.</summary>
    private static async Task AddActionAsync(IPage page, string kind)
    {
        var item = page.Locator($".mud-popover-open [data-testid=add-action-{kind}]");
        for (var attempt = 0; attempt < 3 && !await item.IsVisibleAsync(); attempt++)
        {
            await page.Locator("#rule-add-action").ClickAsync(new() { Force = true });
            try { await item.WaitForAsync(new() { Timeout = 3_000 }); } catch (TimeoutException) { }
        }
        await item.ClickAsync();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_builds_a_round_robin_rule_and_new_website_leads_alternate_with_tasks(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, actor) = await app.WorkspaceAsync("智能助手 " + Guid.NewGuid().ToString("N")[..6], samples: false, ["leads_opportunities"], culture: "zh-CN");
        var services = app.Factory.Services;
        // Whatever rules the starter template ships would act on the same leads: archive them first.
        var rules = services.GetRequiredService<AutomationRuleService>();
        foreach (var shipped in await rules.ListAsync(actor)) await rules.SetStateAsync(actor, shipped.Id, enabled: false, archived: true);
        var a = await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Member, displayName: "张伟 A");
        var b = await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Member, displayName: "李娜 B");
        var admin = await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Admin, displayName: "王管理");

        await using var context = await browser.NewContextAsync(app, "zh-CN");
        var page = await context.NewPageAsync();
        await page.SetViewportSizeAsync(1400, 1000);
        await AccountFlowTests.SignInAsync(page, admin.Email!);
        await page.ReadyAsync("#tenant-home");

        // The rule, in plain words: 新建记录时 / 线索来源 是 官网 / 轮流分配给 A、B + 跟进任务 (明天到期).
        await page.GotoAsync($"/t/{owner.Slug}/settings/automation");
        await page.ReadyAsync("#automation-page");
        await page.ChooseAsync("[data-testid=automation-entity]", "线索");
        await page.Locator("#automation-new").ClickAsync();
        await page.Locator("#rule-editor").WaitForAsync();
        await page.Locator("#rule-name").FillAsync("官网线索分配");
        await Assertions.Expect(page.Locator("[data-testid=rule-trigger]")).ToContainTextAsync("新建记录时");
        await page.Locator("#rule-add-condition").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=condition-field-0]")).ToContainTextAsync("线索来源");
        await page.ChooseAsync("[data-testid=condition-value-0]", "官网");

        await AddActionAsync(page, "assignOwner");
        await Assertions.Expect(page.Locator("[data-testid=action-mode-0]")).ToContainTextAsync("轮流");
        await page.Locator("[data-testid=action-members-0]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "张伟 A" }).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "李娜 B" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=action-members-0]")).ToHaveValueAsync(new Regex("张伟 A.*李娜 B"));
        await page.Locator("[data-testid=action-members-0]").ClickAsync(new() { Force = true }); // closes the list

        await AddActionAsync(page, "createTask");
        await Assertions.Expect(page.Locator("[data-testid=action-days-1]")).ToHaveValueAsync("1");
        await page.Locator("[data-testid=action-text-1]").FillAsync("电话回访 {name}");
        await page.Locator("#rule-save").ClickAsync();
        await Assertions.Expect(page.Locator("#rule-editor")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=automation-rule]")).ToContainTextAsync("官网线索分配");
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, $"automation-rule-{provider}.png"), FullPage = true });

        // Three new 官网 leads through the form: 张伟 A, 李娜 B, 张伟 A, each with its task.
        string[] names = ["陈一", "陈二", "陈三"];
        string[] expected = ["张伟 A", "李娜 B", "张伟 A"];
        var ids = new List<Guid>();
        for (var i = 0; i < names.Length; i++)
        {
            await page.GotoAsync($"/t/{owner.Slug}/r/lead/new");
            await page.ReadyAsync("#new-record-page");
            await page.Locator("#f-name").FillAsync(names[i]);
            await page.ChooseAsync("#new-record-form .crm-field[data-field='source'] .mud-input-control", "官网");
            await page.Locator("#new-record-save").ClickAsync();
            await page.WaitForURLAsync(new Regex($"/t/{owner.Slug}/r/lead/[0-9a-f-]{{36}}$"), new() { Timeout = 30_000 });
            ids.Add(Guid.Parse(page.Url.Split('/')[^1]));
            await page.ReadyAsync("#record-page");
            await Assertions.Expect(page.Locator("[data-testid=record-facts]")).ToContainTextAsync(expected[i], new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("[data-testid=record-tasks]")).ToContainTextAsync("电话回访 " + names[i], new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("[data-testid=record-tasks]")).ToContainTextAsync(expected[i]);
        }

        await using (var db = services.GetRequiredService<ICrmDbContextFactory>().CreateForTenant(owner.Tenant.Id))
        {
            var owners = new List<Guid?>();
            foreach (var id in ids) owners.Add((await db.Records.AsNoTracking().SingleAsync(r => r.Id == id)).OwnerId);
            Assert.Equal([a.Id, b.Id, a.Id], owners);
            var tasks = await db.Activities.AsNoTracking().Where(t => ids.Contains(t.RecordId) && t.Kind == ActivityKind.Task).ToListAsync();
            Assert.Equal(3, tasks.Count);
            Assert.All(tasks, t => Assert.InRange((t.DueAt!.Value - t.CreatedAt).TotalHours, 23.9, 24.1)); // due tomorrow
        }

        // The rule's run history: three runs, each assigned and with its task.
        await page.GotoAsync($"/t/{owner.Slug}/settings/automation");
        await page.ReadyAsync("#automation-page");
        await page.ChooseAsync("[data-testid=automation-entity]", "线索");
        await page.Locator("[data-testid=automation-rule] [data-testid=automation-runs]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=automation-run]")).ToHaveCountAsync(3, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=automation-history]")).ToContainTextAsync("已分配给 李娜 B");
        await Assertions.Expect(page.Locator("[data-testid=automation-history]")).ToContainTextAsync("已创建任务：电话回访 陈三");
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, $"automation-history-{provider}.png"), FullPage = true });
    }
}
