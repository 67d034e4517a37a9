using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Fields.Address;
using Crm.Core.Fields.Types;
using Crm.Core.Lists;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Templates;
using Crm.Core.Timeline;
using Crm.Core.Views;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Fields;

/// <summary>
/// The address field (地址): region codes from the shipped list plus a detail line — parsed from text, checked,
/// shown by name, filtered and grouped by province or city in SQL, told by the timeline, carried by templates; on
/// both databases.
/// </summary>
public class AddressFieldTests
{
    public AddressFieldTests() => English();

    [Fact]
    public void The_shipped_list_has_every_province_and_reads_written_addresses()
    {
        Assert.Equal(31, ChinaRegions.Provinces.Count);
        Assert.Equal("广东省", ChinaRegions.Find("44")!.Name);
        Assert.Equal("广东省深圳市南山区", ChinaRegions.PathName(ChinaRegions.Find("440305")));
        Assert.Equal("北京市朝阳区", ChinaRegions.PathName(ChinaRegions.Find("110105"))); // 市辖区 left out

        var (p, c, d, detail) = ChinaRegions.Parse("广东省深圳市南山区科技园一路1号");
        Assert.Equal(("44", "4403", "440305", "科技园一路1号"), (p!.Code, c!.Code, d!.Code, detail));
        // Short names, spaces, a municipality without its 市辖区, a county directly under the province.
        (p, c, d, detail) = ChinaRegions.Parse("广东 深圳 南山 科技园");
        Assert.Equal(("44", "4403", "440305", "科技园"), (p!.Code, c!.Code, d!.Code, detail));
        (p, c, d, detail) = ChinaRegions.Parse("北京市朝阳区建国路88号");
        Assert.Equal(("11", "1101", "110105", "建国路88号"), (p!.Code, c!.Code, d!.Code, detail));
        (p, c, d, _) = ChinaRegions.Parse("河南省济源市");
        Assert.Equal(("41", "4190"), (p!.Code, c!.Code));
        Assert.Equal("济源市", d!.Name);
        // Nothing recognised: all of it is the detail line.
        (p, _, _, detail) = ChinaRegions.Parse("Somewhere 123");
        Assert.Null(p);
        Assert.Equal("Somewhere 123", detail);
    }

    [Fact]
    public void Values_normalise_from_text_names_or_codes_and_display_by_name()
    {
        var type = new AddressField();
        var ctx = new Crm.Core.Fields.FieldContext(new Crm.Core.Metadata.FieldDefinition { Key = "addr", Type = "address" }, null!);
        var fromText = type.Normalize(JsonValue.Create("浙江省杭州市西湖区文三路"), ctx)!.AsObject();
        Assert.Equal(("33", "3301", "330106", "文三路"), ((string?)fromText["province"], (string?)fromText["city"], (string?)fromText["district"], (string?)fromText["detail"]));
        Assert.Equal(["province", "city", "district", "detail"], fromText.Select(p => p.Key).ToArray());
        // Names instead of codes, a district alone (the rest filled in), empty parts dropped, nothing left = no value.
        Assert.Equal("""{"province":"44","city":"4403"}""", type.Normalize(new JsonObject { ["province"] = "广东省", ["city"] = "深圳" }, ctx)!.ToJsonString());
        Assert.Equal("""{"province":"44","city":"4403","district":"440305"}""", type.Normalize(new JsonObject { ["district"] = "440305" }, ctx)!.ToJsonString());
        Assert.Null(type.Normalize(new JsonObject { ["detail"] = "  " }, ctx));
        // A municipality without its city level (province + district, by code or name), or written in two levels
        // (北京 / 朝阳区 with the district as the city): the 市辖区 is filled in.
        Assert.Equal("""{"province":"11","city":"1101","district":"110105"}""", type.Normalize(new JsonObject { ["province"] = "11", ["district"] = "110105" }, ctx)!.ToJsonString());
        Assert.Equal("""{"province":"11","city":"1101","district":"110105"}""", type.Normalize(new JsonObject { ["province"] = "北京", ["district"] = "朝阳区" }, ctx)!.ToJsonString());
        Assert.Equal("""{"province":"31","city":"3101","district":"310115"}""", type.Normalize(new JsonObject { ["province"] = "上海市", ["city"] = "浦东新区" }, ctx)!.ToJsonString());
        Assert.Equal("""{"province":"50","city":"5001","district":"500103"}""", type.Normalize(new JsonObject { ["province"] = "50", ["city"] = "500103" }, ctx)!.ToJsonString());
        Assert.Equal("""{"province":"12","city":"1201"}""", type.Normalize(new JsonObject { ["province"] = "天津", ["city"] = "天津市" }, ctx)!.ToJsonString());
        Assert.Equal("""{"province":"50","city":"5002","district":"500229"}""", type.Normalize(new JsonObject { ["province"] = "重庆", ["city"] = "重庆市", ["district"] = "城口县" }, ctx)!.ToJsonString());
        // A district name under a province without the city: taken when the province has one district of that name.
        Assert.Equal("""{"province":"44","city":"4403","district":"440305"}""", type.Normalize(new JsonObject { ["province"] = "广东省", ["district"] = "南山区" }, ctx)!.ToJsonString());
        Assert.Equal("浙江省杭州市西湖区 文三路", AddressField.Format(fromText));
        // CSV import reads the exported text back into the same codes.
        Assert.True(Crm.Core.Import.ImportValueParsers.CanImport("address"));
        var imported = Crm.Core.Import.ImportValueParsers.Parse(ctx, AddressField.Format(fromText), new Crm.Core.Import.ImportLookups());
        Assert.Equal(fromText.ToJsonString(), imported.Value!.ToJsonString());
    }

    /// <summary>The B2B template with 办公地址 (an address field) on 公司 (company), beside its text field 地址.</summary>
    public static JsonObject Template(string version = "1.0.0")
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc["version"] = version;
        doc.Remove("sampleData");
        var company = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!.AsObject();
        company["fields"]!.AsArray().Add(JsonNode.Parse("""{ "key": "addr", "type": "address", "label": { "zh-CN": "办公地址", "en": "Office address" } }"""));
        return doc;
    }

    private static async Task<Workspace> InstalledAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, Template().ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(result.Succeeded, result.Errors.ToString());
        return ws;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Addresses_are_checked_filtered_and_grouped_by_province_and_city_in_SQL(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var a = await ws.CreateAsync("company", ("name", "A"), ("addr", "广东省深圳市南山区科技园一路1号"));
        await ws.CreateAsync("company", ("name", "B"), ("addr", new JsonObject { ["province"] = "44", ["city"] = "4401", ["district"] = "440106" }));
        await ws.CreateAsync("company", ("name", "C"), ("addr", "浙江省杭州市西湖区文三路"));
        await ws.CreateAsync("company", ("name", "D"));
        Assert.Equal("4403", (string?)a.Values()["addr"]!["city"]);

        // A code that is not in the list, or a city that is not under the province, is refused, naming the field.
        var bad = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "X"), ("addr", new JsonObject { ["province"] = "44", ["city"] = "3301" })));
        Assert.False(bad.Succeeded);
        Assert.Contains("Office address", Assert.Single(bad.Errors.For("addr/city")));
        var junk = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "X"), ("addr", new JsonObject { ["province"] = 5 })));
        Assert.False(junk.Succeeded);

        var lists = ws.Get<RecordListService>();
        async Task<string[]> Titles(string op, params string[] codes)
        {
            var page = await lists.QueryAsync(ws.Owner, "company", new RecordQuery
            {
                Filters = [new FilterSpec("addr", op, new JsonArray(codes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()))],
                Sort = [new SortSpec("name", false)],
            });
            return page.Items.Select(i => i.Title).ToArray();
        }
        Assert.Equal(["A", "B"], await Titles("in", "44"));
        Assert.Equal(["A"], await Titles("in", "4403"));
        Assert.Equal(["A", "C"], await Titles("in", "4403", "33"));
        Assert.Equal(["B"], await Titles("in", "440106"));
        Assert.Equal(["C", "D"], await Titles("nin", "44"));
        Assert.Equal(["A"], await Titles("contains", "科技园"));

        var engine = ws.Get<ReportEngine>();
        var byProvince = await engine.RunAsync(ws.Owner, "company", new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("addr", "province"), Measure = new MeasureSpec("count", null) });
        Assert.Equal([("(none)", 1m), ("广东省", 2m), ("浙江省", 1m)], byProvince.Rows.Select(r => (r.Key.Length == 0 ? "(none)" : r.Label, r.Cells[0].Number!.Value)).OrderBy(r => r.Item1, StringComparer.Ordinal));
        Assert.Equal("广东省", byProvince.Rows[0].Label); // the largest group first
        var byCity = await engine.RunAsync(ws.Owner, "company", new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("addr", "city"), Measure = new MeasureSpec("count", null) });
        Assert.Contains(byCity.Rows, r => r.Label == "广东省深圳市" && r.Cells[0].Number == 1m);
        Assert.Contains(byCity.Rows, r => r.Label == "浙江省杭州市" && r.Cells[0].Number == 1m);

        // A municipality's address without its city level is taken and stored with the 市辖区 filled in.
        var e = await ws.CreateAsync("company", ("name", "E"), ("addr", new JsonObject { ["province"] = "11", ["district"] = "110105", ["detail"] = "建国路" }));
        var stored = e.Values()["addr"]!;
        Assert.Equal(("11", "1101", "110105", "建国路"), ((string?)stored["province"], (string?)stored["city"], (string?)stored["district"], (string?)stored["detail"]));
        // Sorted by an address: provinces in code order (北京 11, 浙江 33, 广东 44), the cities of a province together
        // (广州 4401 before 深圳 4403), records without an address last either way.
        var sorted = await lists.QueryAsync(ws.Owner, "company", new RecordQuery { Sort = [new SortSpec("addr", false), new SortSpec("name", false)] });
        Assert.Equal(["E", "C", "B", "A", "D"], sorted.Items.Select(i => i.Title).ToArray());
        var reversed = await lists.QueryAsync(ws.Owner, "company", new RecordQuery { Sort = [new SortSpec("addr", true), new SortSpec("name", false)] });
        Assert.Equal(["A", "B", "C", "E", "D"], reversed.Items.Select(i => i.Title).ToArray());

        // The timeline tells the change by name.
        var updated = await ws.Records.UpdateAsync(ws.Owner, a.Id, RecordInput.Of(("addr", "北京市海淀区中关村")) with { ExpectedVersion = a.Version });
        Assert.True(updated.Succeeded, updated.Errors.ToString());
        var page = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, a.Id, culture: new CultureInfo("en"));
        var change = page.Entries[0].Changes.Single(c => c.FieldKey == "addr");
        Assert.Equal(("广东省深圳市南山区 科技园一路1号", "北京市海淀区 中关村"), (change.Old, change.New));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_template_format_carries_address_fields_both_ways(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var exported = await ws.Get<TemplateExporter>().ExportAsync(ws.Owner);
        var field = exported.EntityTypes.Single(e => e.Key == "company").Fields.Single(f => f.Key == "addr");
        Assert.Equal("address", field.Type);
        await using var target = await Workspace.CreateAsync(provider);
        var installed = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, Crm.Core.Json.Serialize(exported), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        Assert.Equal("address", (await target.MetadataAsync()).Entity("company")!.Field("addr")!.Type);
    }
}
