using System.Text.RegularExpressions;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using MiniExcelLibs;

namespace Crm.Browser.Tests;

/// <summary>Importing a spreadsheet in a real browser: upload, the suggested mapping, skipping duplicates, the result and undo.</summary>
[Collection(BrowserCollection.Name)]
public class ImportBrowserTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_xlsx_of_200_customers_with_chinese_headers_is_imported_skipping_5_duplicates_and_undone(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, _) = await app.WorkspaceAsync("Import " + Guid.NewGuid().ToString("N")[..6], samples: true, ["b2b_sales_funnel"]);
        await using var db = app.Factory.Database.Factory.CreateForTenant(owner.Tenant.Id);
        var companyType = await db.EntityTypes.Where(e => e.Key == "company").Select(e => e.Id).SingleAsync();
        var existing = await db.Records.Where(r => r.EntityTypeId == companyType).Select(r => r.Title).ToListAsync();
        Assert.True(existing.Count >= 5);

        // 195 new customers and 5 that are already there (their names, as the rule matches on the name).
        var rows = Enumerable.Range(1, 195).Select(i => new Dictionary<string, object> { ["客户名称"] = $"导入客户{i:000}有限公司", ["城市"] = i % 2 == 0 ? "上海" : "杭州" })
            .Concat(existing.Take(5).Select(t => new Dictionary<string, object> { ["客户名称"] = t, ["城市"] = "北京" }))
            .ToList();
        using var xlsx = new MemoryStream();
        xlsx.SaveAs(rows);

        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.GotoAsync($"/t/{owner.Slug}/r/company");
        await page.ReadyAsync("#record-list");
        await page.Locator("[data-testid=import-button]").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/t/{owner.Slug}/r/company/import$"));
        await page.ReadyAsync("#import-page");

        await page.Locator("[data-testid=import-upload] input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "客户.xlsx", MimeType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Buffer = xlsx.ToArray(),
        });
        await page.Locator("#import-page[data-step='Mapping']").WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=import-column]")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=import-column][data-column='0']")).ToHaveAttributeAsync("data-field", "name");
        await Assertions.Expect(page.Locator("[data-testid=import-column][data-column='1']")).ToHaveAttributeAsync("data-field", "city");
        await ScreenshotTests.SaveAsync(page, "import-mapping");

        // Accept the suggested mapping; duplicates on the name (suggested), skipped.
        await page.Locator("[data-testid=import-next]").ClickAsync();
        await page.Locator("#import-page[data-step='Duplicates']").WaitForAsync();
        await page.Locator("[data-testid=import-duplicate-skip]").ClickAsync();
        await page.Locator("[data-testid=import-analyse]").ClickAsync();
        await page.Locator("#import-page[data-step='Preview']").WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=import-counts]")).ToHaveAttributeAsync("data-creates", "195");
        await Assertions.Expect(page.Locator("[data-testid=import-counts]")).ToHaveAttributeAsync("data-skips", "5");

        // Run: the progress step shows, then the result.
        var sawProgress = page.WaitForSelectorAsync("[data-testid=import-running], [data-testid=import-result]");
        await page.Locator("[data-testid=import-run]").ClickAsync();
        Assert.NotNull(await sawProgress);
        await page.Locator("#import-page[data-step='Result']").WaitForAsync();
        var result = page.Locator("[data-testid=import-result-counts]");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-created", "195");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-skipped", "5");
        await Assertions.Expect(result).ToContainTextAsync("195 created");
        Assert.Equal(existing.Count + 195, await db.Records.CountAsync(r => r.EntityTypeId == companyType));
        await ScreenshotTests.SaveAsync(page, "import-result");

        // Undo: the 195 records are gone, the history says so.
        await page.Locator("[data-testid=import-undo]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=import-undone]")).ToContainTextAsync("195");
        await Assertions.Expect(page.Locator("[data-testid=import-batch]").First).ToHaveAttributeAsync("data-state", "Undone");
        Assert.Equal(existing.Count, await db.Records.CountAsync(r => r.EntityTypeId == companyType));
        await page.Locator("[data-testid=import-open-list]").ClickAsync();
        await page.ReadyAsync("#record-list");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", existing.Count.ToString());
    }
}
