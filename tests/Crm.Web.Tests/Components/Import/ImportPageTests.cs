using System.Text;
using Bunit;
using Crm.Core.Import;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Import;
using Crm.Web.Tenancy;
using Crm.Web.Tests.Components.Lists;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Crm.Web.Tests.Components.Import;

/// <summary>The import wizard: the suggested mapping, the duplicate choice, errors per row and field, the run and its undo.</summary>
public class ImportPageTests
{
    public ImportPageTests() => ListContext.UseCulture("en");

    private static IRenderedComponent<ImportPage> Render(ListContext f, string entity = "company")
    {
        var session = new TenantSession(f.Workspace.Tenant, f.Workspace.Owner);
        f.Context.Bunit.Render<MudPopoverProvider>(p => p.AddCascadingValue(session));
        f.Context.Bunit.Render<MudSnackbarProvider>();
        var cut = f.Context.Bunit.Render<ImportPage>(p => p.Add(x => x.Slug, f.Slug).Add(x => x.Entity, entity).AddCascadingValue(session));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#import-page").GetAttribute("data-ready")));
        return cut;
    }

    private static async Task LoadCsvAsync(IRenderedComponent<ImportPage> cut, string csv)
    {
        await cut.InvokeAsync(() => cut.Instance.LoadAsync(Encoding.UTF8.GetBytes(csv), "customers.csv"));
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Mapping, cut.Instance.Current));
    }

    private static async Task<List<string>> CompanyTitlesAsync(ListContext f)
    {
        var typeId = (await f.Workspace.MetadataAsync()).Entity("company")!.Entity.Id;
        await using var db = f.Workspace.Database.Factory.CreateForTenant(f.Workspace.Tenant.Id);
        return await db.Records.Where(r => r.EntityTypeId == typeId).Select(r => r.Title).ToListAsync();
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_suggested_mapping_is_shown_duplicates_are_skipped_and_the_import_can_be_undone(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var before = await CompanyTitlesAsync(f);
        var existing = before.First();
        var cut = Render(f);
        Assert.NotEmpty(cut.FindAll("[data-testid=import-no-history]"));

        await LoadCsvAsync(cut, $"客户名称,城市,无关的列\n导入测试甲公司,上海,x\n导入测试乙公司,北京,y\n{existing},杭州,z\n导入测试丙公司,深圳,w\n");

        // The suggestion: the name and city columns are mapped, the unknown one is left out.
        var columns = cut.FindAll("[data-testid=import-column]").Select(c => c.GetAttribute("data-field")).ToList();
        Assert.Equal(["name", "city", ""], columns);

        await cut.InvokeAsync(() => cut.Find("[data-testid=import-next]").Click());
        Assert.Equal(ImportPage.Step.Duplicates, cut.Instance.Current);
        // The person picks the name as the duplicate rule and "skip".
        var fields = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.MultiSelection);
        await cut.InvokeAsync(() => fields.Instance.SelectedValuesChanged.InvokeAsync(["name"]));
        await cut.InvokeAsync(() => cut.FindComponent<MudRadioGroup<DuplicateAction>>().Instance.ValueChanged.InvokeAsync(DuplicateAction.Skip));
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-analyse]").Click());
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Preview, cut.Instance.Current));

        var counts = cut.Find("[data-testid=import-counts]");
        Assert.Equal("3", counts.GetAttribute("data-creates"));
        Assert.Equal("1", counts.GetAttribute("data-skips"));
        Assert.Equal("0", counts.GetAttribute("data-errors"));
        Assert.Equal(["Create", "Create", "Skip", "Create"], cut.FindAll("[data-testid=import-preview-row]").Select(r => r.GetAttribute("data-outcome")));
        Assert.Contains("导入测试甲公司", cut.Find("[data-testid=import-preview-table]").TextContent);

        await cut.InvokeAsync(() => cut.Find("[data-testid=import-run]").Click());
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Result, cut.Instance.Current));
        var result = cut.WaitForElement("[data-testid=import-result-counts]");
        Assert.Equal(("3", "0", "1"), (result.GetAttribute("data-created"), result.GetAttribute("data-updated"), result.GetAttribute("data-skipped")));
        Assert.Equal(before.Count + 3, (await CompanyTitlesAsync(f)).Count);
        // The history is read again after the run: wait for it rather than assume the render has caught up.
        cut.WaitForAssertion(() => Assert.Equal("Completed", cut.Find("[data-testid=import-batch]").GetAttribute("data-state")));

        await cut.InvokeAsync(() => cut.Find("[data-testid=import-undo]").Click());
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=import-undone]")));
        Assert.Equal(before.Order(), (await CompanyTitlesAsync(f)).Order());
        cut.WaitForAssertion(() => Assert.Equal("Undone", cut.Find("[data-testid=import-batch]").GetAttribute("data-state")));
        Assert.Empty(cut.FindAll("[data-testid=import-batch-undo]"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_preview_shows_members_and_lookups_by_name_and_refused_cells_with_their_input_and_error(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var company = (await CompanyTitlesAsync(f)).First();
        var owner = f.Workspace.Owner;
        var cut = Render(f, "contact");
        await LoadCsvAsync(cut, $"姓名,所属客户,负责人\n预览测试甲,{company},{owner.DisplayName}\n预览测试乙,没有这个客户,{owner.DisplayName}\n");
        Assert.Equal(["name", "company", "owner"], cut.FindAll("[data-testid=import-column]").Select(c => c.GetAttribute("data-field")));
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-next]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-analyse]").Click());
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Preview, cut.Instance.Current));

        var rows = cut.FindAll("[data-testid=import-preview-row]");
        Assert.Equal(["Create", "Error"], rows.Select(r => r.GetAttribute("data-outcome")));
        string Cell(int row, string field) => rows[row].QuerySelector($"[data-testid=import-preview-cell][data-field={field}]")!.TextContent.Trim();
        // Stored as ids, shown by the target's title and the member's name.
        Assert.Equal(company, Cell(0, "company"));
        Assert.Equal(owner.DisplayName, Cell(0, "owner"));
        Assert.Equal(owner.DisplayName, Cell(1, "owner"));
        Assert.DoesNotContain(owner.UserId.ToString(), cut.Find("[data-testid=import-preview-table]").TextContent);

        // The refused cell keeps what the file says, with the reason, styled as an error.
        var refused = Assert.Single(rows[1].QuerySelectorAll("[data-testid=import-refused-cell]"));
        Assert.Equal("company", refused.GetAttribute("data-field"));
        Assert.Contains("mud-error-text", refused.ClassList);
        Assert.Equal("没有这个客户", refused.QuerySelector("[data-testid=import-refused-raw]")!.TextContent.Trim());
        var message = Assert.Single(cut.FindAll("[data-testid=import-error]")).Children[2].TextContent;
        Assert.Equal(message, refused.QuerySelector("[data-testid=import-refused-error]")!.TextContent.Trim());
        Assert.StartsWith("Not imported: \"没有这个客户\"", refused.GetAttribute("title"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Errors_are_shown_per_row_and_field_and_the_rejected_rows_can_be_downloaded(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var before = await CompanyTitlesAsync(f);
        var cut = Render(f);
        await LoadCsvAsync(cut, "客户名称,负责人\n错误测试公司,没有这个人\n正确测试公司,\n");
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-next]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-analyse]").Click());
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Preview, cut.Instance.Current));

        var error = Assert.Single(cut.FindAll("[data-testid=import-error]"));
        Assert.Equal(("1", "owner"), (error.GetAttribute("data-row"), error.GetAttribute("data-field")));
        Assert.Contains("没有这个人", error.TextContent);
        Assert.True(cut.Find("[data-testid=import-run]").HasAttribute("disabled"));

        await cut.InvokeAsync(() => cut.Find("[data-testid=import-rejects]").Click());
        var download = Assert.Single(f.Context.Bunit.JSInterop.Invocations, i => i.Identifier == "crm.downloadText");
        var csv = (string)download.Arguments[2]!;
        Assert.Contains("错误测试公司", csv);
        Assert.Contains("没有这个人", csv);
        Assert.DoesNotContain("正确测试公司", csv);
        Assert.Equal(before.Count, (await CompanyTitlesAsync(f)).Count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_file_that_cannot_be_read_says_why_in_chinese(string provider)
    {
        ListContext.UseCulture("zh-CN");
        await using var f = await ListContext.CreateAsync(provider, "zh-CN");
        var cut = Render(f);
        Assert.Contains("导入", cut.Find("#import-page").TextContent);
        Assert.Contains("选择文件", cut.Find("[data-testid=import-upload]").TextContent);
        await cut.InvokeAsync(() => cut.Instance.LoadAsync([], "空.csv"));
        Assert.Equal(ImportPage.Step.Upload, cut.Instance.Current);
        Assert.Contains("文件", cut.Find("[data-testid=import-file-error]").TextContent);
    }
}
