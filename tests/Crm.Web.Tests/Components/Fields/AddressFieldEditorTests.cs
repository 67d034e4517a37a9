using System.Text.Json.Nodes;
using Bunit;
using Crm.Core.Fields.Address;
using Crm.Testing;
using MudBlazor;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>The address editor (地址) in the form: province → city → district, each searching the level below the
/// one chosen, then the street line; values are stored as codes and shown by name.</summary>
public class AddressFieldEditorTests
{
    private static List<IRenderedComponent<MudAutocomplete<Region>>> Pickers(IRenderedComponent<Crm.Web.Components.Fields.DynamicForm> cut)
        => cut.FindComponents<MudAutocomplete<Region>>().ToList();

    [Fact]
    public async Task A_stored_address_shows_its_names_in_the_three_pickers_and_the_street_line()
    {
        FormContext.UseCulture("en");
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var values = AllFieldTypes.ValidValues();
        values["addr"] = new JsonObject { ["province"] = "44", ["city"] = "4403", ["district"] = "440305", ["detail"] = "科技园一路1号" };
        var cut = f.Render(values);

        Assert.Equal("广东省", cut.Find("#f-addr-province").GetAttribute("value"));
        Assert.Equal("深圳市", cut.Find("#f-addr-city").GetAttribute("value"));
        Assert.Equal("南山区", cut.Find("#f-addr-district").GetAttribute("value"));
        Assert.Equal("科技园一路1号", cut.Find("#f-addr-detail").GetAttribute("value"));
        Assert.Contains("Province", cut.Find("div.crm-field[data-field='addr']").TextContent);
    }

    [Fact]
    public async Task Choosing_a_province_limits_the_cities_and_a_municipality_takes_its_only_city_level()
    {
        FormContext.UseCulture("zh-CN");
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, "zh-CN");
        var cut = f.Render(AllFieldTypes.ValidValues());
        var pickers = Pickers(cut);
        Assert.Equal(3, pickers.Count);
        Assert.Contains("省份", cut.Find("div.crm-field[data-field='addr']").TextContent);

        // Searching provinces by part of a name.
        var found = (await pickers[0].Instance!.SearchFunc!.Invoke("广", CancellationToken.None)!)!;
        Assert.Equal(["广东省", "广西壮族自治区"], found.Select(r => r!.Name).ToArray());

        await cut.InvokeAsync(() => pickers[0].Instance.ValueChanged.InvokeAsync(ChinaRegions.Find("11")));
        Assert.Equal("""{"province":"11","city":"1101"}""", f.Changes[^1]["addr"]!.ToJsonString());
        var districts = (await Pickers(cut)[2].Instance!.SearchFunc!.Invoke("朝阳", CancellationToken.None)!)!;
        Assert.Equal("110105", Assert.Single(districts)!.Code);

        await cut.InvokeAsync(() => Pickers(cut)[2].Instance.ValueChanged.InvokeAsync(ChinaRegions.Find("110105")));
        Assert.Equal("""{"province":"11","city":"1101","district":"110105"}""", f.Changes[^1]["addr"]!.ToJsonString());

        // Another province clears the city and district below it; cities offered are that province's.
        await cut.InvokeAsync(() => Pickers(cut)[0].Instance.ValueChanged.InvokeAsync(ChinaRegions.Find("44")));
        Assert.Equal("""{"province":"44"}""", f.Changes[^1]["addr"]!.ToJsonString());
        var cities = (await Pickers(cut)[1].Instance!.SearchFunc!.Invoke("", CancellationToken.None)!)!.ToList();
        Assert.Equal(21, cities.Count);
        Assert.All(cities, c => Assert.StartsWith("44", c!.Code));
    }

    [Fact]
    public async Task Grouping_levels_are_offered_after_named_cities_so_their_districts_can_be_picked()
    {
        FormContext.UseCulture("zh-CN");
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, "zh-CN");
        var cut = f.Render(AllFieldTypes.ValidValues());

        // 重庆市 has only the groups 市辖区 and 县: both offered (before e2efile neither was, and no district could be picked).
        await cut.InvokeAsync(() => Pickers(cut)[0].Instance.ValueChanged.InvokeAsync(ChinaRegions.Find("50")));
        var chongqing = (await Pickers(cut)[1].Instance!.SearchFunc!.Invoke("", CancellationToken.None)!)!.Select(r => r!.Name).ToArray();
        Assert.Equal(["市辖区", "县"], chongqing);
        await cut.InvokeAsync(() => Pickers(cut)[1].Instance.ValueChanged.InvokeAsync(ChinaRegions.Find("5002")));
        var counties = (await Pickers(cut)[2].Instance!.SearchFunc!.Invoke("城口", CancellationToken.None)!)!;
        Assert.Equal("500229", Assert.Single(counties)!.Code);

        // 河南省: its cities first, 省直辖县级行政区划 (济源市) last.
        await cut.InvokeAsync(() => Pickers(cut)[0].Instance.ValueChanged.InvokeAsync(ChinaRegions.Find("41")));
        var henan = (await Pickers(cut)[1].Instance!.SearchFunc!.Invoke("", CancellationToken.None)!)!.ToList();
        Assert.Equal("4101", henan[0]!.Code);
        Assert.Equal("省直辖县级行政区划", henan[^1]!.Name);
    }
}
