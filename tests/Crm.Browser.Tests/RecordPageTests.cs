using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>A user works on a record in a real browser: edit in place, log a call, tick off an overdue task.</summary>
[Collection(BrowserCollection.Name)]
public class RecordPageTests(BrowserFixture browser)
{
    private static readonly string Folder = Environment.GetEnvironmentVariable("CRM_SCREENSHOTS_DIR") is { Length: > 0 } dir
        ? Path.GetFullPath(dir)
        : Path.Combine(Path.GetTempPath(), "crm-screenshots");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_edits_in_place_logs_a_call_and_ticks_off_an_overdue_task(string provider)
    {
        var app = await browser.AppAsync(provider);
        var owner = await app.Factory.SignUpAsync("Records " + Guid.NewGuid().ToString("N")[..6]);
        var actor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        var services = app.Factory.Services;
        var template = services.GetRequiredService<TemplateCatalog>().Find("b2b_sales_funnel")!.Document;
        Assert.True((await services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, template, new InstallOptions(WithSampleData: false))).Succeeded);
        var company = (await services.GetRequiredService<RecordService>().CreateAsync(actor, "company", RecordInput.Of(("name", "Browser Trading Co")))).Record!;
        var task = await services.GetRequiredService<ActivityService>().LogAsync(actor, company.Id,
            new ActivityInput(ActivityKind.Task, "Send the price list") { DueAt = DateTime.UtcNow.AddDays(-1) });
        Assert.True(task.Succeeded);

        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");
        await Assertions.Expect(page.Locator("[data-testid='nav-overdue']")).ToHaveTextAsync("1");

        await page.GotoAsync($"/t/{owner.Slug}/r/company/{company.Id}");
        await page.ReadyAsync("#record-page");
        await Assertions.Expect(page.Locator("[data-testid='record-title']")).ToHaveTextAsync("Browser Trading Co");

        await page.Locator("#record-edit").ClickAsync();
        await page.Locator("#f-city").FillAsync("Shenzhen");
        await page.Locator("#f-city").BlurAsync();
        await page.Locator("#record-save").ClickAsync();
        await page.Locator("#record-page[data-editing='false']").WaitForAsync();
        await Assertions.Expect(page.Locator(".crm-record-fields [data-field='city']")).ToContainTextAsync("Shenzhen");
        await Assertions.Expect(page.Locator("[data-testid='timeline']")).ToContainTextAsync("changed 1 field");

        await page.Locator("#activity-subject").FillAsync("Intro call with the buyer");
        await page.Locator("#activity-content").FillAsync("Interested in the annual plan.");
        await page.Locator("#activity-save").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid='timeline']")).ToContainTextAsync("Intro call with the buyer");
        await Assertions.Expect(page.Locator("[data-testid='interactions-30-count']")).ToHaveTextAsync("1");
        await Screenshot(page, "record-page");

        await page.GotoAsync($"/t/{owner.Slug}/tasks");
        await page.ReadyAsync("#my-tasks");
        await Assertions.Expect(page.Locator("[data-group='Overdue']")).ToContainTextAsync("Send the price list");
        await Screenshot(page, "my-tasks");
        await page.Locator("[data-task] input[type='checkbox']").First.CheckAsync();
        await Assertions.Expect(page.Locator("[data-testid='my-tasks-empty']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid='nav-overdue']")).ToHaveCountAsync(0);
        Assert.Equal(0, await services.GetRequiredService<ActivityService>().OverdueCountAsync(actor));
    }

    private static async Task Screenshot(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        await Task.Delay(400); // snackbars and ripples settle
        var png = await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png"), FullPage = true });
        Assert.True(png.Length > 10_000, $"{name}.png is only {png.Length} bytes");
    }
}
