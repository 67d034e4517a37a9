using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Crm.Web.Tests.Components.Shared;

/// <summary>MudBlazor's own words (pager, Clear, Increment …) follow the UI language through CrmMudLocalizer.</summary>
public class MudStringsTests
{
    private static IRenderedComponent<MudDataGrid<int>> Grid(ComponentTestContext context)
        => context.Bunit.Render<MudDataGrid<int>>(p => p
            .Add(x => x.Items, Enumerable.Range(1, 40).ToList())
            .Add(x => x.RowsPerPage, 10)
            .Add(x => x.Columns, (RenderFragment)(b =>
            {
                b.OpenComponent<PropertyColumn<int, int>>(0);
                b.AddAttribute(1, nameof(PropertyColumn<int, int>.Property), (System.Linq.Expressions.Expression<Func<int, int>>)(i => i));
                b.CloseComponent();
            }))
            .Add(x => x.PagerContent, (RenderFragment)(b =>
            {
                b.OpenComponent<MudDataGridPager<int>>(0);
                b.CloseComponent();
            })));

    [Fact]
    public async Task A_chinese_render_of_the_pager_and_inputs_speaks_chinese()
    {
        await using var context = new ComponentTestContext("zh-CN");
        context.Bunit.Render<MudPopoverProvider>();

        var grid = Grid(context);
        Assert.NotEmpty(grid.FindAll("[aria-label='下一页']"));
        Assert.NotEmpty(grid.FindAll("[aria-label='第一页']"));
        Assert.Contains("每页行数", grid.Markup);
        Assert.DoesNotContain("Next page", grid.Markup);
        Assert.DoesNotContain("Rows per page", grid.Markup);

        var number = context.Bunit.Render<MudNumericField<int>>(p => p.Add(x => x.Value, 3));
        Assert.NotEmpty(number.FindAll("[aria-label='增加']"));
        Assert.NotEmpty(number.FindAll("[aria-label='减少']"));

        var text = context.Bunit.Render<MudTextField<string>>(p => p.Add(x => x.Value, "abc").Add(x => x.Clearable, true));
        Assert.NotEmpty(text.FindAll("[aria-label='清除']"));
    }

    [Fact]
    public async Task An_english_render_keeps_mudblazors_english()
    {
        await using var context = new ComponentTestContext("en");
        context.Bunit.Render<MudPopoverProvider>();

        var grid = Grid(context);
        Assert.NotEmpty(grid.FindAll("[aria-label='Next page']"));
        Assert.Contains("Rows per page", grid.Markup);
        var number = context.Bunit.Render<MudNumericField<int>>(p => p.Add(x => x.Value, 3));
        Assert.NotEmpty(number.FindAll("[aria-label='Increment']"));
    }

    [Fact]
    public void Every_key_mudblazor_ships_has_a_chinese_text()
    {
        var mud = typeof(MudBlazor.MudLocalizer).Assembly;
        var name = mud.GetManifestResourceNames().Single(n => n.EndsWith("LanguageResource.resources", StringComparison.Ordinal));
        using var reader = new System.Resources.ResourceReader(mud.GetManifestResourceStream(name)!);
        var keys = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in reader) keys.Add((string)entry.Key);
        Assert.NotEmpty(keys);

        var folder = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Crm.Web", "Resources");
        var zh = System.Xml.Linq.XDocument.Load(Path.Combine(folder, "MudComponents.zh-CN.resx")).Root!.Elements("data")
            .ToDictionary(d => d.Attribute("name")!.Value, d => d.Element("value")!.Value);
        var missing = keys.Where(k => !zh.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "MudBlazor keys without Chinese: " + string.Join(", ", missing));
    }
}
