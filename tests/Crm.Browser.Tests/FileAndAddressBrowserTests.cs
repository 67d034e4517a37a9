using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Core.Records;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SkiaSharp;

namespace Crm.Browser.Tests;

/// <summary>
/// The file/image editor (files13) and the address editor (addr13) in a real browser. Both fields are added with clicks
/// in the designer; then a company record gets a logo (PNG, thumbnail) and a contract (PDF), which are saved, listed
/// after a reload, downloaded and removed; refused files name the field and the file and change nothing. Addresses are
/// picked province → city → district (and a municipality without a city level), saved, shown on the record page and
/// in the list column, filtered by province and sorted. Pictures of every step, light and dark.
/// </summary>
[Collection(BrowserCollection.Name)]
public class FileAndAddressBrowserTests(BrowserFixture browser)
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Images_and_files_upload_show_download_remove_and_refused_kinds_change_nothing(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, actor) = await app.WorkspaceAsync("Files " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"]);
        var services = app.Factory.Services;
        var company = (await services.GetRequiredService<RecordService>().CreateAsync(actor, "company", RecordInput.Of(("name", "Harbor Trading")))).Record!;

        await using var context = await browser.NewContextAsync(app);
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");

        // The designer: an image field "Logo" and a file field "Contract" on the company.
        await page.GotoAsync($"/t/{owner.Slug}/designer/company");
        await page.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("#designer-add-field").ClickAsync();
        await page.Locator("[data-testid=field-settings]").WaitForAsync();
        await LineItemsDesignerScenarioTests.NameFieldAsync(page, "Logo", "logo");
        await LineItemsDesignerScenarioTests.ChooseTypeAsync(page, "image");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=field-settings]"), "files-designer-image-" + provider);
        await page.Locator("#designer-add-field").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=field-settings]")).Not.ToHaveAttributeAsync("data-field", "logo");
        await LineItemsDesignerScenarioTests.NameFieldAsync(page, "Contract", "contract");
        await LineItemsDesignerScenarioTests.ChooseTypeAsync(page, "file");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=field-settings]"), "files-designer-file-" + provider);
        await page.Locator("#designer-save").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=entity-designer]")).ToHaveAttributeAsync("data-dirty", "false", new() { Timeout = 30_000 });
        var meta = (await services.GetRequiredService<Crm.Core.Metadata.MetadataStore>().GetAsync(owner.Tenant.Id)).Entity("company")!;
        Assert.Equal("image", meta.Field("logo")!.Type);
        Assert.Equal("file", meta.Field("contract")!.Type);

        // The record: edit, upload a PNG into Logo (its thumbnail shows) and a PDF into Contract.
        await page.GotoAsync($"/t/{owner.Slug}/r/company/{company.Id}");
        await page.ReadyAsync("#record-page");
        await page.Locator("#record-edit").ClickAsync();
        var logo = page.Locator(".crm-file-editor[data-field='logo']");
        var contract = page.Locator(".crm-file-editor[data-field='contract']");
        var png = Png(120, 80);
        var pdf = Pdf();
        await logo.Locator("input[type=file]:not(.d-none)").SetInputFilesAsync(new FilePayload { Name = "harbor-logo.png", MimeType = "image/png", Buffer = png });
        await Assertions.Expect(logo.Locator(".crm-file")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(logo.Locator(".crm-file")).ToContainTextAsync("harbor-logo.png");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "files-editor-logo-" + provider);
        await ThumbnailShownAsync(logo.Locator("img.crm-file-thumb"));
        await contract.Locator("input[type=file]:not(.d-none)").SetInputFilesAsync(new FilePayload { Name = "contract 2030.pdf", MimeType = "application/pdf", Buffer = pdf });
        await Assertions.Expect(contract.Locator(".crm-file")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(contract.Locator(".crm-file")).ToContainTextAsync("contract 2030.pdf");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "files-editor-uploaded-" + provider);
        await page.Locator("#record-save").ClickAsync();
        await page.Locator("#record-page[data-editing='false']").WaitForAsync(new() { Timeout = 60_000 });

        // Reloaded: both listed with name and size; the logo as a thumbnail.
        await page.ReloadAsync();
        await page.ReadyAsync("#record-page");
        var logoView = page.Locator("[data-testid=files-logo]");
        var contractView = page.Locator("[data-testid=files-contract]");
        await Assertions.Expect(logoView.Locator(".crm-file")).ToHaveCountAsync(1);
        await Assertions.Expect(logoView).ToContainTextAsync("harbor-logo.png");
        await Assertions.Expect(logoView.Locator(".crm-file-size")).ToHaveTextAsync(Crm.Core.Fields.Types.FileFieldBase.SizeText(png.Length, System.Globalization.CultureInfo.GetCultureInfo("en-US")));
        await ThumbnailShownAsync(logoView.Locator("img.crm-file-thumb"));
        await Assertions.Expect(contractView).ToContainTextAsync("contract 2030.pdf");
        await Assertions.Expect(contractView.Locator(".crm-file-size")).ToHaveTextAsync($"{pdf.Length} B");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "files-record-" + provider);

        // The PDF downloads with the sign-in cookie: 200, the same bytes, its name in Content-Disposition.
        var href = await contractView.Locator("a").First.GetAttributeAsync("href");
        Assert.NotNull(href);
        var download = await context.APIRequest.GetAsync(href!);
        Assert.Equal(200, download.Status);
        Assert.Equal(pdf, await download.BodyAsync());
        Assert.Equal("application/pdf", download.Headers["content-type"]);
        Assert.Contains("contract 2030.pdf", download.Headers["content-disposition"]);
        var thumb = await context.APIRequest.GetAsync((await logoView.Locator("img").GetAttributeAsync("src"))!);
        Assert.Equal(200, thumb.Status);
        // Another browser without the sign-in cookie gets nothing.
        await using (var stranger = await browser.NewContextAsync(app))
            Assert.NotEqual(200, (await stranger.APIRequest.GetAsync(href!, new() { MaxRedirects = 0 })).Status);

        // Dark mode: the same card is readable (pictures looked at; the size stays a secondary text colour).
        await context.AddCookiesAsync([new Cookie { Name = "crm-theme", Value = "dark", Url = app.BaseAddress.ToString() }]);
        await page.ReloadAsync();
        await page.ReadyAsync("#record-page");
        await ThumbnailShownAsync(page.Locator("[data-testid=files-logo] img.crm-file-thumb"));
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "files-record-dark-" + provider);
        await context.AddCookiesAsync([new Cookie { Name = "crm-theme", Value = "light", Url = app.BaseAddress.ToString() }]);

        // Refused kinds: a ".png" that is really a PDF, and a Windows program, into Contract; a PDF into Logo. Each
        // message names the field and the file; the value stays as it was and nothing is stored.
        await page.ReloadAsync();
        await page.ReadyAsync("#record-page");
        var filesBefore = await FileCountAsync(app, owner.Tenant.Id);
        await page.Locator("#record-edit").ClickAsync();
        await contract.Locator("input[type=file]:not(.d-none)").SetInputFilesAsync(new FilePayload { Name = "scan.png", MimeType = "image/png", Buffer = pdf });
        await Assertions.Expect(contract.Locator(".crm-file-problem")).ToHaveTextAsync("Contract: \"scan.png\" is named .png but its content is PDF.", new() { Timeout = 30_000 });
        await contract.Locator("input[type=file]:not(.d-none)").SetInputFilesAsync(new FilePayload { Name = "setup.exe", MimeType = "application/octet-stream", Buffer = Exe() });
        await Assertions.Expect(contract.Locator(".crm-file-problem")).ToContainTextAsync("Contract: the content of \"setup.exe\" is not a file kind", new() { Timeout = 30_000 });
        await Assertions.Expect(contract.Locator(".crm-file")).ToHaveCountAsync(1);
        await logo.Locator("input[type=file]:not(.d-none)").SetInputFilesAsync(new FilePayload { Name = "brochure.pdf", MimeType = "application/pdf", Buffer = pdf });
        await Assertions.Expect(logo.Locator(".crm-file-problem")).ToContainTextAsync("Logo: \"brochure.pdf\" is PDF", new() { Timeout = 30_000 });
        await Assertions.Expect(logo.Locator(".crm-file")).ToHaveCountAsync(1);
        await ScreenshotTests.SaveAsync(page, "files-editor-refused-page-" + provider);
        var overflow = await page.EvaluateAsync<string>("() => document.documentElement.scrollWidth + ' > ' + document.documentElement.clientWidth");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "files-editor-refused-" + provider);
        var widths = new List<float>();
        foreach (var zone in new[] { logo, contract })
            widths.Add((await zone.Locator(".crm-file-drop").BoundingBoxAsync())!.Width);
        const string Chain = "e => { const out = []; for (let n = e, i = 0; n && i < 7; n = n.parentElement, i++) { const c = getComputedStyle(n); out.push(n.tagName + '.' + n.className + ' ' + c.display + ' ' + c.width + ' ' + c.gridColumn); } return out.join(' < '); }";
        var chain = await logo.Locator(".crm-file-drop").EvaluateAsync<string>(Chain) + " ||| " + await contract.Locator(".crm-file-drop").EvaluateAsync<string>(Chain);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"), "the page scrolls sideways: " + overflow);
        Assert.True(Math.Abs(widths[0] - widths[1]) < 2, $"the drop zones differ in width after refusal messages: {widths[0]} and {widths[1]}; {chain}");
        Assert.Equal(filesBefore, await FileCountAsync(app, owner.Tenant.Id));

        // Remove the logo and save: the record keeps only the contract, whose row stays attached.
        await logo.Locator(".crm-file button").ClickAsync();
        await Assertions.Expect(logo.Locator(".crm-file")).ToHaveCountAsync(0);
        await page.Locator("#record-save").ClickAsync();
        await page.Locator("#record-page[data-editing='false']").WaitForAsync(new() { Timeout = 60_000 });
        await page.ReloadAsync();
        await page.ReadyAsync("#record-page");
        await Assertions.Expect(page.Locator("[data-testid=files-contract]")).ToContainTextAsync("contract 2030.pdf");
        await Assertions.Expect(page.Locator("[data-testid=files-logo] .crm-file")).ToHaveCountAsync(0);
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "files-record-removed-" + provider);
        await using (var db = app.Factory.Database.Factory.CreateForTenant(owner.Tenant.Id))
        {
            var values = RecordWriter.ParseValues((await db.Records.AsNoTracking().SingleAsync(r => r.Id == company.Id)).Values);
            Assert.Null(values["logo"]);
            Assert.Equal("contract 2030.pdf", values["contract"]!.AsArray().Single()!["name"]!.GetValue<string>());
            var rows = await db.Files.AsNoTracking().Where(f => f.RecordId == company.Id).Select(f => f.FieldKey).ToListAsync();
            Assert.Equal(["contract"], rows);
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Addresses_are_picked_level_by_level_shown_filtered_and_sorted(string provider)
    {
        var app = await browser.AppAsync(provider);
        var (owner, actor) = await app.WorkspaceAsync("Address " + Guid.NewGuid().ToString("N")[..6], samples: false, ["b2b_sales_funnel"], culture: "zh-CN");
        var records = app.Factory.Services.GetRequiredService<RecordService>();
        var capital = (await records.CreateAsync(actor, "company", RecordInput.Of(("name", "京城物流")))).Record!;
        await records.CreateAsync(actor, "company", RecordInput.Of(("name", "无地址公司")));

        await using var context = await browser.NewContextAsync(app, "zh-CN");
        var page = await context.NewPageAsync();
        await AccountFlowTests.SignInAsync(page, owner.User.Email!);
        await page.ReadyAsync("#tenant-home");

        // The designer: 办公地址, an address shown in the list.
        await page.GotoAsync($"/t/{owner.Slug}/designer/company");
        await page.Locator("[data-testid=entity-designer][data-ready='true']").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("#designer-add-field").ClickAsync();
        await page.Locator("[data-testid=field-settings]").WaitForAsync();
        await LineItemsDesignerScenarioTests.NameFieldAsync(page, "办公地址", "office");
        await LineItemsDesignerScenarioTests.ChooseTypeAsync(page, "address");
        var inList = page.Locator("input[data-testid=field-show-in-list]");
        if (!await inList.IsCheckedAsync()) await inList.CheckAsync();
        await Assertions.Expect(inList).ToBeCheckedAsync();
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=field-settings]"), "address-designer-zh-CN-" + provider);
        await page.Locator("#designer-save").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=entity-designer]")).ToHaveAttributeAsync("data-dirty", "false", new() { Timeout = 30_000 });

        // A new company: 广东省 → 深圳市 → 南山区, then the street.
        await page.GotoAsync($"/t/{owner.Slug}/r/company/new");
        await page.ReadyAsync("#new-record-page");
        await page.Locator("#f-name").FillAsync("海润贸易");
        // City and district wait for the level above.
        await Assertions.Expect(page.Locator("#f-office-city")).ToHaveAttributeAsync("readonly", "");
        await Assertions.Expect(page.Locator("#f-office-district")).ToHaveAttributeAsync("readonly", "");
        // 重庆市's cities are only the groups 市辖区 and 县: both offered, and its counties under 县 reachable.
        await LineItemsDesignerScenarioTests.PickAsync(page, "#f-office-province", "重庆");
        await PickOpenListAsync(page, "#f-office-city", "县", "address-form-chongqing-city-list-zh-CN-" + provider);
        await LineItemsDesignerScenarioTests.PickAsync(page, "#f-office-district", "城口");
        await Assertions.Expect(page.Locator("#f-office-district")).ToHaveValueAsync("城口县");
        // Another province clears the levels below it.
        await LineItemsDesignerScenarioTests.PickAsync(page, "#f-office-province", "广东");
        await Assertions.Expect(page.Locator("#f-office-city")).ToHaveValueAsync("");
        await Assertions.Expect(page.Locator("#f-office-district")).ToHaveValueAsync("");
        await Assertions.Expect(page.Locator("#f-office-province")).ToHaveValueAsync("广东省");
        await ScreenshotTests.SaveAsync(page.Locator("#new-record-form"), "address-form-province-zh-CN-" + provider);
        await PickOpenListAsync(page, "#f-office-city", "深圳", "address-form-city-list-zh-CN-" + provider);
        await LineItemsDesignerScenarioTests.PickAsync(page, "#f-office-district", "南山");
        await Assertions.Expect(page.Locator("#f-office-city")).ToHaveValueAsync("深圳市");
        await Assertions.Expect(page.Locator("#f-office-district")).ToHaveValueAsync("南山区");
        await page.Locator("#f-office-detail").FillAsync("科技园科苑路 15 号");
        await page.Locator("#f-office-detail").PressAsync("Tab");
        await ScreenshotTests.SaveAsync(page.Locator("#new-record-form"), "address-form-filled-zh-CN-" + provider);
        await page.Locator("#new-record-save").ClickAsync();
        await LineItemsDesignerScenarioTests.SavedAsync(page, new Regex($"/t/{owner.Slug}/r/company/[0-9a-f-]{{36}}$"), "address-not-saved-" + provider);
        var created = Guid.Parse(page.Url.Split('/')[^1]);
        await page.ReloadAsync();
        await page.ReadyAsync("#record-page");
        var shown = page.Locator("#record-page .crm-value-address[data-address='office']");
        await Assertions.Expect(shown).ToHaveTextAsync(new Regex(@"^\s*(place)?\s*广东省深圳市南山区 科技园科苑路 15 号\s*$"));
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "address-record-zh-CN-" + provider);

        // A municipality: 北京市 has no city level to pick (its 市辖区 is taken by itself); the district list opens at once.
        await page.GotoAsync($"/t/{owner.Slug}/r/company/{capital.Id}");
        await page.ReadyAsync("#record-page");
        await page.Locator("#record-edit").ClickAsync();
        await LineItemsDesignerScenarioTests.PickAsync(page, "#f-office-province", "北京");
        await Assertions.Expect(page.Locator("#f-office-district")).Not.ToHaveAttributeAsync("readonly", "");
        await LineItemsDesignerScenarioTests.PickAsync(page, "#f-office-district", "朝阳");
        await page.Locator("#f-office-detail").FillAsync("建国路 88 号");
        await page.Locator("#f-office-detail").PressAsync("Tab");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "address-edit-municipality-zh-CN-" + provider);
        await page.Locator("#record-save").ClickAsync();
        await page.Locator("#record-page[data-editing='false']").WaitForAsync(new() { Timeout = 60_000 });
        await page.ReloadAsync();
        await page.ReadyAsync("#record-page");
        await Assertions.Expect(page.Locator("#record-page .crm-value-address[data-address='office']")).ToHaveTextAsync(new Regex(@"北京市朝阳区 建国路 88 号\s*$"));
        await using (var db = app.Factory.Database.Factory.CreateForTenant(owner.Tenant.Id))
        {
            var byId = await db.Records.AsNoTracking().Where(r => r.Id == created || r.Id == capital.Id).ToDictionaryAsync(r => r.Id, r => RecordWriter.ParseValues(r.Values)["office"]);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"province":"44","city":"4403","district":"440305","detail":"科技园科苑路 15 号"}"""), byId[created]));
            Assert.Equal("110105", byId[capital.Id]!["district"]!.GetValue<string>());
            Assert.Equal("11", byId[capital.Id]!["province"]!.GetValue<string>());
        }

        // The list: the column shows the whole address; sorted by it (province code order, no address last both ways).
        await page.GotoAsync($"/t/{owner.Slug}/r/company");
        await page.ReadyAsync("#record-list");
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "3");
        var row = page.Locator(".crm-record-grid tbody tr").Filter(new() { HasText = "海润贸易" });
        await Assertions.Expect(row).ToContainTextAsync("广东省深圳市南山区 科技园科苑路 15 号");
        await Assertions.Expect(row.Locator(".crm-cell-address")).ToHaveAttributeAsync("title", "广东省深圳市南山区 科技园科苑路 15 号");
        await Assertions.Expect(page.Locator(".crm-record-grid tbody tr").Filter(new() { HasText = "京城物流" })).ToContainTextAsync("北京市朝阳区 建国路 88 号");
        var names = page.Locator(".crm-record-grid [data-testid=record-link]");
        await page.Locator("[data-testid=sort-office]").ClickAsync();
        await Assertions.Expect(names).ToHaveTextAsync(["京城物流", "海润贸易", "无地址公司"]);
        await page.Locator("[data-testid=sort-office]").ClickAsync();
        await Assertions.Expect(names).ToHaveTextAsync(["海润贸易", "京城物流", "无地址公司"]);
        await ScreenshotTests.SaveAsync(page, "address-list-sorted-zh-CN-" + provider);

        // Filter by province 广东省, then also by city 深圳市.
        await page.Locator("[data-testid=filter-office]").ClickAsync();
        await page.ChooseAsync("#filter-office-province", "广东省");
        await page.ChooseAsync("#filter-office-city", "深圳市");
        await ScreenshotTests.SaveAsync(page, "address-list-filter-zh-CN-" + provider);
        await page.Locator("[data-testid=filter-apply]").ClickAsync();
        await Assertions.Expect(page.Locator("#record-list")).ToHaveAttributeAsync("data-total", "1");
        await Assertions.Expect(names).ToHaveTextAsync(["海润贸易"]);
        await Assertions.Expect(page.Locator("[data-testid=filter-chip-office]")).ToBeVisibleAsync();
        await ScreenshotTests.SaveAsync(page, "address-list-filtered-zh-CN-" + provider);

        // Dark mode: the form's three pickers and the list stay readable.
        await context.AddCookiesAsync([new Cookie { Name = "crm-theme", Value = "dark", Url = app.BaseAddress.ToString() }]);
        await page.GotoAsync($"/t/{owner.Slug}/r/company/{created}");
        await page.ReadyAsync("#record-page");
        await page.Locator("#record-edit").ClickAsync();
        await Assertions.Expect(page.Locator("#f-office-district")).ToHaveValueAsync("南山区");
        await ScreenshotTests.SaveAsync(page.Locator("[data-testid=record-fields-card]"), "address-edit-dark-zh-CN-" + provider);
    }

    /// <summary>Types into an autocomplete, keeps a picture of the open list, then clicks the first item with <paramref name="text"/>.</summary>
    private static async Task PickOpenListAsync(IPage page, string input, string text, string picture)
    {
        var item = page.Locator(".mud-popover-open .mud-list-item", new() { HasTextRegex = new Regex(Regex.Escape(text)) }).First;
        for (var attempt = 0; attempt < 3 && !await item.IsVisibleAsync(); attempt++)
        {
            await page.Locator(input).ClickAsync();
            await page.Locator(input).FillAsync(text);
            try { await item.WaitForAsync(new() { Timeout = 10_000 }); } catch (TimeoutException) { }
        }
        await ScreenshotTests.SaveAsync(page, picture);
        await item.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    /// <summary>The image loaded (a broken or missing thumbnail has no natural size) and is drawn at a thumbnail's size.</summary>
    private static async Task ThumbnailShownAsync(ILocator img)
    {
        await Assertions.Expect(img).ToHaveCountAsync(1);
        await Assertions.Expect(img).ToHaveJSPropertyAsync("complete", true, new() { Timeout = 30_000 });
        Assert.True(await img.EvaluateAsync<int>("e => e.naturalWidth") > 0, "the thumbnail did not load");
        var box = await img.BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.InRange(box!.Width, 16, 96);
        Assert.InRange(box.Height, 16, 96);
    }

    private static async Task<int> FileCountAsync(RunningApp app, Guid tenant)
    {
        await using var db = app.Factory.Database.Factory.CreateForTenant(tenant);
        return await db.Files.CountAsync();
    }

    /// <summary>A real PNG of <paramref name="width"/> × <paramref name="height"/>: two coloured halves.</summary>
    private static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0x1e, 0x88, 0xe5));
            using var paint = new SKPaint { Color = new SKColor(0xff, 0xb3, 0x00) };
            canvas.DrawRect(0, height / 2f, width, height / 2f, paint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A small valid one-page PDF.</summary>
    private static byte[] Pdf() => Encoding.ASCII.GetBytes(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        + "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");

    /// <summary>The start of a Windows program (MZ header and stub), which no field takes.</summary>
    private static byte[] Exe()
    {
        var bytes = new byte[512];
        bytes[0] = (byte)'M';
        bytes[1] = (byte)'Z';
        bytes[0x3c] = 0x80;
        Encoding.ASCII.GetBytes("This program cannot be run in DOS mode.").CopyTo(bytes, 0x4e);
        return bytes;
    }
}
