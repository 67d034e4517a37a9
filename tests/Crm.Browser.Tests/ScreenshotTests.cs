using Crm.Core.Permissions;
using Crm.Core.Security;
using Crm.Core.Webhooks;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Opens the main screens in Chromium, checks each shows its content, and saves a screenshot of it.
/// The README's pictures come from here: <c>CRM_SCREENSHOTS_DIR=docs/screenshots dotnet test …</c>;
/// without the variable they go to a temporary folder.
/// </summary>
[Collection(BrowserCollection.Name)]
public class ScreenshotTests(BrowserFixture browser)
{
    private static readonly string Folder = Environment.GetEnvironmentVariable("CRM_SCREENSHOTS_DIR") is { Length: > 0 } dir
        ? Path.GetFullPath(dir)
        : Path.Combine(Path.GetTempPath(), "crm-screenshots");

    internal static async Task SaveAsync(IPage page, string name, bool fullPage = false)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Task.Delay(fullPage ? 1500 : 400); // MudBlazor's ripple and popover transitions; charts sizing themselves
        var png = await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        Assert.True(png.Length > 10_000, $"{name}.png is only {png.Length} bytes");
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
    }

    /// <summary>A picture of one part of the page (a designer panel, a form), scrolled into view: a full-page shot of a
    /// long page draws the fixed app bar over its middle.</summary>
    internal static async Task SaveAsync(ILocator element, string name)
    {
        Directory.CreateDirectory(Folder);
        await Task.Delay(400); // MudBlazor's ripple and popover transitions
        var png = await element.ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Folder, name + ".png") });
        Assert.True(png.Length > 5_000, $"{name}.png is only {png.Length} bytes");
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
    }

    [Fact]
    public async Task The_main_screens_render_in_the_browser()
    {
        var app = await browser.AppAsync(Providers.Sqlite);
        var tag = Guid.NewGuid().ToString("N")[..4]; // the SQLite app is shared with other browser tests
        var owner = await app.Factory.SignUpAsync("Northwind 贸易", email: $"zhang.wei.{tag}@northwind.example", displayName: "张伟 Zhang Wei");
        var admin = await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Admin, $"anna.schmidt.{tag}@northwind.example", "Anna Schmidt");
        await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Member, $"li.na.{tag}@northwind.example", "李娜 Li Na");
        await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Viewer, $"tom.baker.{tag}@northwind.example", "Tom Baker");
        var invitations = app.Factory.Services.GetRequiredService<Crm.Core.Accounts.InvitationService>();
        await invitations.CreateAsync(new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner), "new.colleague@example.com", MemberRole.Member);

        await using (var anonymous = await browser.NewContextAsync(app))
        {
            var page = await anonymous.NewPageAsync();
            await page.GotoAsync("/");
            await Assertions.Expect(page.Locator(".crm-hero")).ToContainTextAsync("The CRM your team shapes itself");
            await SaveAsync(page, "landing");

            await page.GotoAsync("/account/signup");
            await page.ReadyAsync("#signup-form");
            await page.Locator("#displayName").FillAsync("Li Wei");
            await page.Locator("#email").FillAsync("li.wei@example.com");
            await page.Locator("#workspaceName").FillAsync("Acme Trading 贸易");
            await Assertions.Expect(page.Locator("#slug")).ToHaveValueAsync("acme-trading-maoyi"); // the Chinese part in pinyin
            await SaveAsync(page, "signup");
        }

        await using (var chinese = await browser.NewContextAsync(app, locale: "zh-CN"))
        {
            var page = await chinese.NewPageAsync();
            await page.GotoAsync("/");
            await Assertions.Expect(page.Locator(".crm-hero")).ToContainTextAsync("由您的团队自己塑造的 CRM");
            await SaveAsync(page, "landing-zh");
        }

        await using (var signedIn = await browser.NewContextAsync(app))
        {
            var page = await signedIn.NewPageAsync();
            await AccountFlowTests.SignInAsync(page, owner.User.Email!);
            await page.ReadyAsync("#tenant-home");
            await Assertions.Expect(page.Locator("#tenant-home")).ToContainTextAsync("Northwind 贸易");
            await SaveAsync(page, "workspace-home");

            await page.GotoAsync($"/t/{owner.Slug}/settings/members");
            await page.ReadyAsync("#members-page");
            await Assertions.Expect(page.Locator("#members-page")).ToContainTextAsync(admin.Email!);
            await Assertions.Expect(page.Locator("#members-page")).ToContainTextAsync("new.colleague@example.com");
            await SaveAsync(page, "members");
        }
    }

    /// <summary>The screens people work in, in Chinese, on a workspace with the B2B template's sample data.</summary>
    [Fact]
    public async Task The_working_screens_render_with_sample_data()
    {
        var app = await browser.AppAsync(Providers.Sqlite);
        var tag = Guid.NewGuid().ToString("N")[..4];
        var (owner, _) = await app.WorkspaceAsync("星河科技", samples: true, ["b2b_sales_funnel", "support_tickets"],
            culture: "zh-CN", email: $"wang.fang.{tag}@xinghe.example", displayName: "王芳");

        await using var context = await browser.NewContextAsync(app, locale: "zh-CN");
        var page = await context.NewPageAsync();
        await page.SetViewportSizeAsync(1440, 900);
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");
        await Assertions.Expect(page.Locator("#tenant-home .crm-widget-body[data-ready='true']").First).ToBeVisibleAsync();
        // (The dashboard's own picture comes from ReportsBrowserTests, with every starter template installed.)

        await page.GotoAsync($"/t/{owner.Slug}/board/opportunity");
        await page.ReadyAsync("#kanban-board");
        await Assertions.Expect(page.Locator("#kanban-board")).ToContainTextAsync("初步接触");
        await SaveAsync(page, "board");

        await page.GotoAsync($"/t/{owner.Slug}/r/opportunity");
        await page.ReadyAsync("#record-list");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "35");
        await SaveAsync(page, "list");

        var first = page.Locator(".crm-record-grid [data-testid=record-link]").First;
        await first.ClickAsync();
        await page.ReadyAsync("#record-page");
        await Assertions.Expect(page.Locator("[data-testid=timeline][data-loaded='true']")).ToBeVisibleAsync();
        await SaveAsync(page, "record", fullPage: true);

        await page.GotoAsync($"/t/{owner.Slug}/designer/company");
        await page.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=designer-preview]")).ToContainTextAsync("客户名称");
        await SaveAsync(page, "designer");

        await page.GotoAsync($"/t/{owner.Slug}/templates");
        await page.ReadyAsync("#template-center");
        await Assertions.Expect(page.Locator("#template-center")).ToContainTextAsync("工单");
        await SaveAsync(page, "templates");

        await page.GotoAsync($"/t/{owner.Slug}/reports/new");
        await page.ReadyAsync("#report-builder");
        await page.Locator("#report-name").FillAsync("商机金额 · 按阶段");
        foreach (var (input, option) in new[] { ("report-entity", "商机"), ("report-groupby", "销售阶段"), ("report-measure", "求和"), ("report-measure-field", "商机金额"), ("report-chart", "柱状图") })
            await ReportsBrowserTests.ChooseAsync(page, input, option);
        await page.Locator("[data-testid='builder-preview'][data-ready='true'] [data-chart='bar'] svg").First.WaitForAsync();
        await SaveAsync(page, "report-builder");
    }

    /// <summary>
    /// The screens of this round's team and integration work, in Chinese: departments (data permissions), the pool
    /// settings (公海), webhooks with their delivery log, and the list's export menu.
    /// </summary>
    [Fact]
    public async Task The_team_and_integration_screens_render()
    {
        var app = await browser.AppAsync(Providers.Sqlite);
        var tag = Guid.NewGuid().ToString("N")[..4];
        var (owner, actor) = await app.WorkspaceAsync("云帆软件", samples: true, ["leads_opportunities"],
            culture: "zh-CN", email: $"chen.jing.{tag}@yunfan.example", displayName: "陈静");
        var services = app.Factory.Services;
        await using (var scope = services.CreateAsyncScope())
        {
            var departments = scope.ServiceProvider.GetRequiredService<DepartmentService>();
            var sales = (await departments.CreateAsync(actor, "销售中心", null)).Id;
            var east = (await departments.CreateAsync(actor, "华东大区", sales)).Id!.Value;
            var south = (await departments.CreateAsync(actor, "华南大区", sales)).Id!.Value;
            await departments.CreateAsync(actor, "客户成功部", null);
            foreach (var (name, department, leader) in new[] { ("林晓", east, true), ("周杰", east, false), ("吴敏", south, true), ("郑磊", south, false) })
            {
                var user = await app.Factory.AddMemberAsync(owner.Tenant, MemberRole.Member, $"{Guid.NewGuid():N}@yunfan.example", name);
                Assert.True((await departments.AddMemberAsync(actor, department, user.Id, leader)).Succeeded);
            }
            var webhooks = scope.ServiceProvider.GetRequiredService<WebhookService>();
            var hook = await webhooks.CreateAsync(actor, new WebhookInput("http://127.0.0.1:5099/hooks/crm",
                [WebhookEventTypes.RecordCreated, WebhookEventTypes.StageChanged], Description: "ERP 同步"));
            Assert.True(hook.Succeeded, string.Join("; ", hook.Errors.ToDictionary().SelectMany(e => e.Value)));
        }

        await using var context = await browser.NewContextAsync(app, locale: "zh-CN");
        var page = await context.NewPageAsync();
        await page.SetViewportSizeAsync(1440, 900);
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");

        await page.GotoAsync($"/t/{owner.Slug}/settings/departments");
        await page.ReadyAsync("#departments-page");
        await page.Locator("[data-testid=department-row]").Filter(new() { HasText = "华东大区" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=department-members]")).ToContainTextAsync("林晓");
        await SaveAsync(page, "departments");

        await page.GotoAsync($"/t/{owner.Slug}/settings/pools");
        await page.ReadyAsync("#pool-settings");
        await page.Locator("[data-testid=pool-row] [data-testid=pool-edit]").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=pool-editor]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=pool-rule]").First).ToBeVisibleAsync();
        await SaveAsync(page, "pool-settings", fullPage: true);

        await page.GotoAsync($"/t/{owner.Slug}/settings/webhooks");
        await page.ReadyAsync("#webhooks-page");
        await Assertions.Expect(page.Locator("[data-testid=webhooks-table]")).ToContainTextAsync("127.0.0.1:5099");
        await SaveAsync(page, "webhooks");

        await page.GotoAsync($"/t/{owner.Slug}/r/lead");
        await page.ReadyAsync("#record-list");
        await page.Locator("[data-testid=export-button]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=export-xlsx]")).ToBeVisibleAsync();
        await SaveAsync(page, "export-menu");
    }
}
