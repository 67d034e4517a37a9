using System.Text.RegularExpressions;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Reports in Chromium: an owner builds "商机金额 by 阶段" in the report builder as a bar chart, saves it onto the
/// dashboard and finds it on the workspace home; and the README's dashboard and funnel pictures.
/// </summary>
[Collection(BrowserCollection.Name)]
public class ReportsBrowserTests(BrowserFixture browser)
{
    private static async Task<SignedUp> WorkspaceAsync(RunningApp app, string name, params string[] templates)
    {
        var (owner, _) = await app.WorkspaceAsync(name, samples: true, templates, culture: "zh-CN", displayName: "王芳 Wang Fang");
        return owner;
    }

    /// <summary>Opens a MudSelect and picks the option whose text is exactly <paramref name="text"/>.</summary>
    internal static async Task ChooseAsync(IPage page, string inputId, string text)
    {
        await page.Locator($"#{inputId}").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex($"^{Regex.Escape(text)}$") }).First.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_owner_builds_amount_by_stage_as_a_bar_chart_and_finds_it_on_the_dashboard(string provider)
    {
        var app = await browser.AppAsync(provider);
        var owner = await WorkspaceAsync(app, "报表测试 " + Guid.NewGuid().ToString("N")[..4], "b2b_sales_funnel");
        await using var context = await browser.NewContextAsync(app, locale: "zh-CN");
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");
        var widgetsBefore = await page.Locator(".crm-widget").CountAsync();
        Assert.True(widgetsBefore > 5, $"the template's dashboard shows {widgetsBefore} widgets");

        await page.GotoAsync($"/t/{owner.Slug}/reports");
        await page.ReadyAsync("#reports-page");
        await page.Locator("#new-report").ClickAsync();
        await page.ReadyAsync("#report-builder");

        await page.Locator("#report-name").FillAsync("商机金额 by 阶段");
        await ChooseAsync(page, "report-entity", "商机");
        await ChooseAsync(page, "report-groupby", "销售阶段");
        await ChooseAsync(page, "report-measure", "求和");
        await ChooseAsync(page, "report-measure-field", "商机金额");
        await ChooseAsync(page, "report-chart", "柱状图");
        await page.Locator("[data-testid='builder-preview'][data-ready='true'] [data-chart='bar'] svg").First.WaitForAsync();
        await Assertions.Expect(page.Locator("#report-add-to-dashboard")).ToBeCheckedAsync();
        await page.Locator("#report-save").ClickAsync();

        // Saved onto the default dashboard, which is the workspace home.
        await page.WaitForURLAsync(new Regex($"/t/{owner.Slug}$"));
        await page.ReadyAsync("#tenant-home");
        var widget = page.Locator(".crm-widget").Filter(new() { Has = page.Locator(".crm-widget-title", new() { HasText = "商机金额 by 阶段" }) });
        await Assertions.Expect(widget).ToHaveCountAsync(1);
        await Assertions.Expect(widget).ToHaveAttributeAsync("data-kind", "chart");
        var chart = widget.Locator(".crm-widget-body[data-ready='true'] [data-chart='bar']");
        await chart.WaitForAsync();
        // The chart draws its bars after the widget is ready: wait for at least four of them (eight stages have deals).
        await Assertions.Expect(chart.Locator("svg path, svg rect").Nth(3)).ToBeAttachedAsync();
        Assert.Equal(widgetsBefore + 1, await page.Locator(".crm-widget").CountAsync());

        // The bars paint with the theme's chart colour: the light indigo, then, after the theme toggle (no reload), the
        // dark palette's lighter one (docs/decisions.md, l10nfix). A fixed colour would stay rgb(59, 91, 219).
        var bar = chart.Locator("rect.crm-xchart-bar").First;
        await Assertions.Expect(bar).ToHaveCSSAsync("fill", "rgb(59, 91, 219)");
        await page.Locator(".crm-theme-toggle").ClickAsync();
        await Assertions.Expect(bar).ToHaveCSSAsync("fill", "rgb(116, 143, 252)");
        await page.Locator(".crm-theme-toggle").ClickAsync();
        await Assertions.Expect(bar).ToHaveCSSAsync("fill", "rgb(59, 91, 219)");
        await Assertions.Expect(page.Locator(".crm-theme-toggle")).ToHaveAttributeAsync("title", new Regex("深色|Dark"));

        // It is a saved report too: its page shows the same stages in the table.
        await widget.Locator(".crm-widget-title").ClickAsync();
        await page.ReadyAsync("#report-page");
        await Assertions.Expect(page.Locator("[data-testid='report-name']")).ToHaveTextAsync("商机金额 by 阶段");
        await Assertions.Expect(page.Locator("[data-testid='report-table'] tr[data-row='proposal']")).ToContainTextAsync("提案");
    }

    [Fact]
    public async Task Dashboard_and_funnel_screenshots_of_a_workspace_with_every_starter_template()
    {
        var app = await browser.AppAsync(Providers.Sqlite);
        var owner = await WorkspaceAsync(app, "演示公司 Demo Co.", ShippedTemplates);
        await using var context = await browser.NewContextAsync(app, locale: "zh-CN");
        var page = await context.NewPageAsync();
        await page.SetViewportSizeAsync(1400, 900);
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");
        await Assertions.Expect(page.Locator(".crm-widget-body[data-ready='true']")).ToHaveCountAsync(await page.Locator(".crm-widget").CountAsync());
        await Assertions.Expect(page.Locator("[data-widget='funnel'] .crm-funnel-bottleneck")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-widget='pipeline_value'] [data-testid='kpi-value']")).ToContainTextAsync("¥");
        // The forecast's two series have a legend, and it is inside the forecast's card, not below it.
        var forecast = await page.Locator("[data-widget='forecast']").BoundingBoxAsync();
        var legend = await page.Locator("[data-widget='forecast'] [data-testid='series-legend']").BoundingBoxAsync();
        Assert.True(legend!.Y + legend.Height <= forecast!.Y + forecast.Height, $"the legend ends at {legend.Y + legend.Height}, the card at {forecast.Y + forecast.Height}");
        // Axis numbers are short Chinese amounts (万), whole, not cut to ".5M".
        var ticks = await page.Locator("[data-widget='forecast'] svg text").AllTextContentsAsync();
        Assert.Contains(ticks, t => t.EndsWith('万'));
        Assert.DoesNotContain(ticks, t => t.StartsWith('.'));
        await ScreenshotTests.SaveAsync(page, "dashboard", fullPage: true);

        await page.GotoAsync($"/t/{owner.Slug}/reports/opportunity_funnel");
        await page.ReadyAsync("#report-page");
        await Assertions.Expect(page.Locator("[data-testid='funnel'] g.crm-funnel-step")).ToHaveCountAsync(6);
        await Assertions.Expect(page.Locator("[data-testid='funnel-bottleneck']")).ToBeVisibleAsync();
        await ScreenshotTests.SaveAsync(page, "funnel", fullPage: true);
    }

    private static readonly string[] ShippedTemplates = ["b2b_sales_funnel", "customer_lifecycle", "leads_opportunities", "support_tickets", "marketing_campaigns"];
}
