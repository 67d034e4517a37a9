using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Templates;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Templates;

/// <summary>Bad templates are refused with messages naming the JSON path, and nothing is installed.</summary>
public class TemplateRefusalTests
{
    private static JsonObject B2b() => JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();

    private static JsonObject Entity(JsonObject doc, string key) => doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == key)!.AsObject();

    private static async Task<(InstallResult Result, Workspace Ws)> InstallAsync(string provider, string json)
    {
        var ws = await Workspace.CreateAsync(provider);
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, json, new InstallOptions(WithSampleData: true));
        return (result, ws);
    }

    private static async Task AssertNothingInstalledAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(0, await db.EntityTypes.CountAsync());
        Assert.Equal(0, await db.Fields.CountAsync());
        Assert.Equal(0, await db.StatusLists.CountAsync());
        Assert.Equal(0, await db.Records.CountAsync());
        Assert.Equal(0, await db.TemplateInstallations.CountAsync());
        Assert.Equal(0, await db.Reports.CountAsync());
    }

    private static JsonObject Lookup(JsonObject doc, string entity, string key) => Entity(doc, entity)["fields"]!.AsArray().Single(f => (string)f!["key"]! == key)!.AsObject();

    private static JsonObject Formula(string key, string expression)
        => new() { ["key"] = key, ["type"] = "formula", ["label"] = new JsonObject { ["zh-CN"] = key, ["en"] = key }, ["expression"] = expression };

    public static IEnumerable<object[]> Cases()
    {
        var cases = new (string Name, Func<JsonObject, JsonObject> Break, string Path)[]
        {
            ("unknown field type", d => { Entity(d, "opportunity")["fields"]![0]!["type"] = "colour"; return d; }, "$.entityTypes[2].fields[0].type"),
            ("missing English name", d => { d["name"]!.AsObject().Remove("en"); return d; }, "$.name.en"),
            ("bad key", d => { Entity(d, "company")["key"] = "Company Name"; return d; }, "$.entityTypes[0].key"),
            ("unknown property", d => { d["colour"] = "blue"; return d; }, "$"),
            ("lookup to a missing entity type", d => { Entity(d, "contact")["fields"]!.AsArray().Single(f => (string)f!["type"]! == "lookup")!["target"] = "vendor"; return d; }, ".target"),
            ("status list missing", d => { Entity(d, "opportunity")["fields"]!.AsArray().Single(f => (string)f!["type"]! == "status")!["statusList"] = "nope"; return d; }, ".statusList"),
            ("repeated field key", d => { var f = Entity(d, "company")["fields"]!.AsArray(); f.Add(f[0]!.DeepClone()); return d; }, ".key"),
            ("view column missing", d => { d["views"]![0]!["columns"]!.AsArray().Add("no_such_field"); return d; }, "$.views[0].columns"),
            ("widget report missing", d => { d["dashboards"]![0]!["widgets"]![0]!["report"] = "no_report"; return d; }, "$.dashboards[0].widgets[0].report"),
            ("formula on text", d => { Entity(d, "opportunity")["fields"]!.AsArray().Single(f => (string)f!["type"]! == "formula")!["expression"] = "name * 2"; return d; }, ".expression"),
            ("sample value of the wrong type", d => { d["sampleData"]!["opportunity"]![0]!["values"]!["amount"] = "a lot"; return d; }, "$.sampleData.opportunity[0].values.amount"),
            ("sample lookup to an unknown sample", d => { d["sampleData"]!["contact"]![0]!["values"]!["company"] = "ghost"; return d; }, "$.sampleData.contact[0].values.company"),
            ("probability out of range", d => { Entity(d, "opportunity")["pipelines"]![0]!["stages"]![0]!["probability"] = 150; return d; }, "probability"),
            ("won stage before the open stages", d => { var stages = Entity(d, "opportunity")["pipelines"]![0]!["stages"]!.AsArray(); var won = stages.Single(x => (string)x!["key"]! == "won")!; stages.Remove(won); stages.Insert(0, won); return d; }, ".pipelines[0].stages[1].kind"),
            ("open probabilities falling", d => { Entity(d, "opportunity")["pipelines"]![0]!["stages"]![1]!["probability"] = 3; return d; }, ".pipelines[0].stages[1].probability"),
            ("formula cycle", d => { var f = Entity(d, "opportunity")["fields"]!.AsArray(); f.Add(Formula("cyc_a", "cyc_b + 1")); f.Add(Formula("cyc_b", "cyc_a + 1")); return d; }, ".expression"),
            ("default that is not an option", d => { Entity(d, "company")["fields"]!.AsArray().Single(f => (string)f!["key"]! == "value_tier")!["default"] = "nope"; return d; }, ".default"),
            ("overlapping widgets", d => { var w = d["dashboards"]![0]!["widgets"]!.AsArray(); w[1]!["x"] = (int)w[0]!["x"]!; w[1]!["y"] = (int)w[0]!["y"]!; return d; }, "$.dashboards[0].widgets[1]"),
            ("label longer than the designer allows", d => { Entity(d, "company")["fields"]![0]!["label"]!["en"] = new string('x', 101); return d; }, "$.entityTypes[0].fields[0].label"),
            ("a 0.9 MB label", d => { Entity(d, "company")["label"]!["en"] = new string('x', 900_000); return d; }, "$.entityTypes[0].label"),
            ("unsafe pattern", d => { Entity(d, "company")["fields"]!.AsArray().Single(f => (string)f!["key"]! == "city")!["pattern"] = "(?=a)a"; return d; }, ".pattern"),
            ("linked fill of incompatible types", d => { Lookup(d, "opportunity", "company")["fill"] = JsonNode.Parse("""[{"from": "industry", "to": "amount"}]"""); return d; }, "$.entityTypes[2].fields[2].fill[0]"),
            ("linked fill from an unknown field", d => { Lookup(d, "opportunity", "company")["fill"] = JsonNode.Parse("""[{"from": "no_such", "to": "name"}]"""); return d; }, "$.entityTypes[2].fields[2].fill[0]"),
            ("pick filter on an unknown field", d => { Lookup(d, "opportunity", "contact")["pickFilter"] = JsonNode.Parse("""[{"field": "nope", "op": "eq", "value": 1}]"""); return d; }, "$.entityTypes[2].fields[3].pickFilter[0]"),
            ("pick filter naming an unknown form field", d => { Lookup(d, "opportunity", "contact")["pickFilter"] = JsonNode.Parse("""[{"field": "company", "op": "eq", "value": "$form.nope"}]"""); return d; }, "$.entityTypes[2].fields[3].pickFilter[0]"),
            ("shown field unknown", d => { Lookup(d, "opportunity", "company")["showFields"] = new JsonArray("phone", "nope"); return d; }, "$.entityTypes[2].fields[2].showFields[1]"),
            ("row fill into an unknown column", d => { Entity(d, "opportunity")["fields"]!.AsArray().Add(JsonNode.Parse("""
                { "key": "items", "type": "subform", "label": { "zh-CN": "产品明细", "en": "Line items" }, "columns": [
                  { "key": "product", "type": "lookup", "label": { "zh-CN": "产品", "en": "Product" }, "target": "product", "fill": [ { "from": "price", "to": "cost" } ] },
                  { "key": "price", "type": "money", "label": { "zh-CN": "单价", "en": "Unit price" } } ] }
                """)); return d; }, ".columns[0].fill[0]"),
            ("linked fields on a text field", d => { Entity(d, "company")["fields"]![0]!["showFields"] = new JsonArray("name"); return d; }, "$.entityTypes[0].fields[0]"),
            ("pattern on an e-mail field", d => { Entity(d, "contact")["fields"]!.AsArray().First(f => (string)f!["type"]! == "email")!["pattern"] = "^a"; return d; }, "$.entityTypes[1].fields"),
        };
        foreach (var provider in new[] { Providers.Sqlite, Providers.Postgres })
            foreach (var c in cases)
                yield return [provider, c.Name, c.Break(B2b()).ToJsonString(), c.Path];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_broken_template_is_refused_naming_the_path_and_nothing_is_installed(string provider, string name, string json, string path)
    {
        var (result, ws) = await InstallAsync(provider, json);
        await using var _ = ws;
        Assert.True(result.Outcome == InstallOutcome.Refused, $"{name}: expected a refusal");
        Assert.Contains(result.Errors.ByField.Keys, k => k.StartsWith('$') && k.Contains(path, StringComparison.Ordinal));
        Assert.All(result.Errors.ByField.Values.SelectMany(m => m), m => Assert.False(string.IsNullOrWhiteSpace(m)));
        await AssertNothingInstalledAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_template_larger_than_one_megabyte_is_refused(string provider)
    {
        var doc = B2b();
        doc["description"] = new JsonObject { ["zh-CN"] = new string('长', 400_000), ["en"] = "long" };
        var json = doc.ToJsonString();
        Assert.True(Encoding.UTF8.GetByteCount(json) > TemplateParser.MaxBytes);
        var (result, ws) = await InstallAsync(provider, json);
        await using var _ = ws;
        Assert.Equal(InstallOutcome.Refused, result.Outcome);
        Assert.Contains("$", result.Errors.ByField.Keys);
        await AssertNothingInstalledAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Not_json_at_all_is_refused_with_the_line(string provider)
    {
        var (result, ws) = await InstallAsync(provider, "{ \"id\": \"x\",\n  \"version\": }");
        await using var _ = ws;
        Assert.Equal(InstallOutcome.Refused, result.Outcome);
        Assert.Contains(result.Errors.ByField.Values.SelectMany(m => m), m => m.Contains('2'));
        await AssertNothingInstalledAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_cannot_install_templates(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var member = await ws.MemberAsync(Crm.Core.Tenancy.MemberRole.Member);
        await Assert.ThrowsAsync<Crm.Core.Security.ForbiddenException>(() =>
            ws.Get<TemplateInstaller>().InstallAsync(member, Workspace.Catalog.Find("support_tickets")!.Json, new InstallOptions()));
        await AssertNothingInstalledAsync(ws);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_property_given_twice_is_refused_naming_its_path(string provider)
    {
        var json = B2b().ToJsonString();
        // Top level, and inside the first field of the first entity type (where the last "type" would silently win).
        var twice = json.Replace("\"version\":", "\"version\":\"9.0.0\",\"version\":", StringComparison.Ordinal);
        var at = twice.IndexOf("\"fields\":[{", StringComparison.Ordinal) + "\"fields\":[{".Length;
        twice = twice.Insert(at, "\"type\":\"number\",");

        var (result, ws) = await InstallAsync(provider, twice);
        await using var _ = ws;

        Assert.Equal(InstallOutcome.Refused, result.Outcome);
        Assert.Contains("version", Assert.Single(result.Errors.For("$.version")));
        Assert.Contains("type", Assert.Single(result.Errors.For("$.entityTypes[0].fields[0].type")));
        await AssertNothingInstalledAsync(ws);
        Assert.Empty(TemplateParser.DuplicateProperties(json));
    }

    [Fact]
    public async Task Errors_are_localized()
    {
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        try
        {
            var doc = B2b();
            Entity(doc, "company")["key"] = "Bad Key";
            await using var services = CoreServices.Create(await TestDatabase.GetAsync(Providers.Sqlite));
            var t = (Microsoft.Extensions.Localization.IStringLocalizer<Crm.Core.Resources.CoreStrings>)services.GetService(typeof(Microsoft.Extensions.Localization.IStringLocalizer<Crm.Core.Resources.CoreStrings>))!;
            System.Globalization.CultureInfo.CurrentUICulture = new("zh-CN");
            var (_, zh) = TemplateParser.Parse(doc.ToJsonString(), (k, a) => t[k, a]);
            System.Globalization.CultureInfo.CurrentUICulture = new("en");
            var (_, en) = TemplateParser.Parse(doc.ToJsonString(), (k, a) => t[k, a]);
            Assert.Contains(zh.ByField.Values.SelectMany(m => m), m => m.Contains("格式"));
            Assert.Contains(en.ByField.Values.SelectMany(m => m), m => m.Contains("format"));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = previous;
        }
    }
}
