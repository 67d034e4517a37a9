using System.Text.Json.Nodes;
using Crm.Core.Templates;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Crm.Core.Tests.Templates;

/// <summary>
/// Mutates the starter templates (deterministically seeded) and installs each mutant into a fresh workspace: every
/// case must end in a clean install or a clean refusal — no exception escapes, a refusal names JSON paths and
/// leaves the workspace untouched, and a success leaves a consistent, loadable workspace.
/// </summary>
public class TemplateFuzzTests(ITestOutputHelper output)
{
    public const int CasesPerProvider = 1000;

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Mutated_templates_install_cleanly_or_are_refused_cleanly(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database);
        var installer = (TemplateInstaller)services.GetService(typeof(TemplateInstaller))!;
        var metadata = (Crm.Core.Metadata.MetadataStore)services.GetService(typeof(Crm.Core.Metadata.MetadataStore))!;
        var sources = Workspace.Catalog.Entries.Select(e => JsonNode.Parse(e.Json)!).ToList();
        var random = new Random(20261123);
        int installed = 0, refused = 0, formRuleCases = 0, subformCases = 0, linkedCases = 0, fileCases = 0, formulaCases = 0, renameCases = 0, serialCases = 0, serialNamed = 0;

        for (var i = 0; i < CasesPerProvider; i++)
        {
            var doc = sources[i % sources.Count].DeepClone();
            var badSerial = false;
            var mutations = new List<string>();
            // Every fourth case changes a form rule (显隐规则) first: a handful of nodes among thousands would be hit rarely.
            if (i % 4 == 0 && Mutate(doc, random, ".formRules") is { } ruleMutation) { mutations.Add(ruleMutation); formRuleCases++; }
            // Every fifth case carries a subform (子表单) with a row formula and a SUM over it, then changes it.
            if (i % 5 == 2)
            {
                AddSubform(doc);
                if (Mutate(doc, random, ".columns") is { } subformMutation) mutations.Add(subformMutation);
                subformCases++;
            }
            // Every fifth case (another one) carries an attachment and an image field, then changes one of their settings.
            if (i % 5 == 3)
            {
                AddFiles(doc);
                if (Mutate(doc, random, FileFoci[random.Next(FileFoci.Length)]) is { } fileMutation) mutations.Add(fileMutation);
                fileCases++;
            }
            // Every seventh case carries an address field, a renamed field and a removed one (addr13), then changes one of them.
            if (i % 7 == 3)
            {
                AddAddressAndRenames(doc);
                if (Mutate(doc, random, random.Next(2) == 0 ? ".renamedFrom" : ".removedFields") is { } renameMutation) mutations.Add(renameMutation);
                renameCases++;
            }
            // And every other fourth case a lookup's linked fields (fill, pick filter, shown fields): three starter templates ship them.
            if (i % 4 == 2 && Mutate(doc, random, LinkedFoci[random.Next(LinkedFoci.Length)]) is { } linkMutation) { mutations.Add(linkMutation); linkedCases++; }
            // Every sixth case carries text, date and boolean formulas with functions (formula13), then changes one of them.
            if (i % 6 == 3)
            {
                AddFormulas(doc);
                if (Mutate(doc, random, FormulaFoci[random.Next(FormulaFoci.Length)]) is { } formulaMutation) mutations.Add(formulaMutation);
                formulaCases++;
            }
            // Every eighth case carries a serial number field (流水号, fieldunit2) with a valid pattern, and most of them
            // then get a broken pattern or reset (no number part, two of them, a reset whose date part the pattern lacks …)
            // or a random change of serialPattern/serialReset.
            if (i % 8 == 5)
            {
                mutations.Add(AddSerial(doc, random, out badSerial));
                if (random.Next(3) == 0 && Mutate(doc, random, SerialFoci[random.Next(SerialFoci.Length)]) is { } serialMutation) mutations.Add(serialMutation);
                serialCases++;
            }
            for (var m = random.Next(1, 4); m > 0; m--) mutations.Add(Mutate(doc, random));
            var json = doc.ToJsonString();
            var tenant = await database.CreateTenantAsync();
            var (_, owner) = await database.CreateMemberAsync(tenant, Crm.Core.Tenancy.MemberRole.Owner);
            var withSamples = i % 10 == 0;

            InstallResult result;
            try
            {
                result = await installer.InstallAsync(owner, json, new InstallOptions(WithSampleData: withSamples));
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"case {i} ({string.Join("; ", mutations)}) threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }

            await using var db = database.Factory.CreateForTenant(tenant.Id);
            if (result.Outcome == InstallOutcome.Refused)
            {
                refused++;
                Assert.False(result.Errors.IsEmpty, $"case {i}: refused without an error");
                Assert.All(result.Errors.ByField.Keys, k => Assert.StartsWith("$", k));
                if (badSerial && result.Errors.ByField.Keys.Any(k => k.Contains(".serialPattern", StringComparison.Ordinal) || k.Contains(".serialReset", StringComparison.Ordinal))) serialNamed++;
                Assert.Equal(0, await db.EntityTypes.CountAsync());
                Assert.Equal(0, await db.StatusLists.CountAsync());
                Assert.Equal(0, await db.Records.CountAsync());
                Assert.Equal(0, await db.TemplateInstallations.CountAsync());
            }
            else
            {
                installed++;
                Assert.Equal(InstallOutcome.Installed, result.Outcome);
                Assert.Equal(1, await db.TemplateInstallations.CountAsync());
                // The installed metadata loads and every entity type compiles its JSON Schema.
                var meta = await metadata.GetAsync(tenant.Id);
                Assert.All(meta.EntityTypes, e => Assert.NotNull(e.Schema));
            }
        }
        output.WriteLine($"{provider}: {installed} installed, {refused} refused of {CasesPerProvider}");
        // The mutations must exercise both paths, or the test proves little.
        Assert.True(installed > 50, $"only {installed} mutants installed");
        Assert.True(refused > 300, $"only {refused} mutants refused");
        // Two of the five starter templates ship form rules: every fourth case on one of them is one case in ten.
        Assert.True(formRuleCases >= CasesPerProvider / 10, $"only {formRuleCases} cases changed a form rule");
        Assert.True(linkedCases >= CasesPerProvider / 20, $"only {linkedCases} cases changed linked fields");
        Assert.True(subformCases >= CasesPerProvider / 10, $"only {subformCases} cases carried a subform");
        Assert.True(fileCases >= CasesPerProvider / 10, $"only {fileCases} cases carried file fields");
        Assert.True(formulaCases >= CasesPerProvider / 10, $"only {formulaCases} cases carried formula functions");
        Assert.True(renameCases >= CasesPerProvider / 10, $"only {renameCases} cases carried renames");
        Assert.True(serialCases >= CasesPerProvider / 10, $"only {serialCases} cases carried serial patterns");
        // A broken pattern is refused naming its JSON path (other mutations of the same case may be named instead, or too).
        Assert.True(serialNamed >= serialCases / 4, $"only {serialNamed} of {serialCases} serial cases were refused naming serialPattern/serialReset");
    }

    private static readonly string[] FileFoci = [".fileKinds", ".maxFiles", ".maxFileSizeMb"];

    /// <summary>Adds 合同 (an attachment field limited to PDF and Office) and 照片 (an image field) to the first entity type.</summary>
    private static void AddFiles(JsonNode doc)
    {
        if (doc["entityTypes"] is not JsonArray { Count: > 0 } entities || entities[0]?["fields"] is not JsonArray fields) return;
        fields.Add(JsonNode.Parse("""{ "key": "contract_file", "type": "file", "label": { "zh-CN": "合同附件", "en": "Contract file" }, "maxFiles": 3, "maxFileSizeMb": 5, "fileKinds": ["pdf", "office"] }"""));
        fields.Add(JsonNode.Parse("""{ "key": "photos", "type": "image", "label": { "zh-CN": "照片", "en": "Photos" }, "maxFiles": 2 }"""));
    }

    /// <summary>Adds 地址 (an address field), a <c>renamedFrom</c> on the first entity type's last field and a
    /// <c>removedFields</c> entry to the first entity type.</summary>
    private static void AddAddressAndRenames(JsonNode doc)
    {
        if (doc["entityTypes"] is not JsonArray { Count: > 0 } entities || entities[0]?["fields"] is not JsonArray { Count: > 0 } fields) return;
        if (fields[^1] is JsonObject last && last["key"] is JsonValue k && k.TryGetValue<string>(out var key)) last["renamedFrom"] = key + "_old";
        fields.Add(JsonNode.Parse("""{ "key": "addr", "type": "address", "label": { "zh-CN": "地址", "en": "Address" } }"""));
        entities[0]!["removedFields"] = new JsonArray("gone_field");
    }

    /// <summary>Adds 产品明细 (text, number, money, select and a row formula) and a SUM over it to the first entity type.</summary>
    private static void AddSubform(JsonNode doc)
    {
        if (doc["entityTypes"] is not JsonArray { Count: > 0 } entities || entities[0]?["fields"] is not JsonArray fields) return;
        fields.Add(JsonNode.Parse("""
            { "key": "lines", "type": "subform", "label": { "zh-CN": "产品明细", "en": "Line items" }, "minRows": 0, "maxRows": 20,
              "columns": [
                { "key": "product", "type": "text", "label": { "zh-CN": "产品", "en": "Product" }, "required": true },
                { "key": "qty", "type": "number", "label": { "zh-CN": "数量", "en": "Qty" }, "min": 1 },
                { "key": "price", "type": "money", "label": { "zh-CN": "单价", "en": "Price" }, "currency": "CNY" },
                { "key": "kind", "type": "select", "label": { "zh-CN": "类别", "en": "Kind" }, "options": [ { "key": "a", "label": { "zh-CN": "甲", "en": "A" } } ] },
                { "key": "subtotal", "type": "formula", "label": { "zh-CN": "小计", "en": "Subtotal" }, "expression": "qty * price" }
              ] }
            """));
        fields.Add(JsonNode.Parse("""{ "key": "lines_sum", "type": "formula", "label": { "zh-CN": "明细合计", "en": "Lines sum" }, "expression": "SUM(lines.subtotal)" }"""));
    }

    private static readonly string[] LinkedFoci = [".fill", ".pickFilter", ".showFields"];
    private static readonly string[] FormulaFoci = [".expression", ".resultType"];

    /// <summary>Adds formulas of each result type using the functions (no field keys: they fit every starter template).</summary>
    private static void AddFormulas(JsonNode doc)
    {
        if (doc["entityTypes"] is not JsonArray { Count: > 0 } entities || entities[0]?["fields"] is not JsonArray fields) return;
        fields.Add(JsonNode.Parse("""{ "key": "f_text", "type": "formula", "resultType": "text", "label": { "zh-CN": "文本公式", "en": "Text formula" }, "expression": "CONCAT(\"#\", TEXT(ROUND(1.5, 0)), IF(TRUE, \"a\", \"b\"))" }"""));
        fields.Add(JsonNode.Parse("""{ "key": "f_date", "type": "formula", "resultType": "date", "label": { "zh-CN": "日期公式", "en": "Date formula" }, "expression": "DATEADD(TODAY(), 7, \"d\")" }"""));
        fields.Add(JsonNode.Parse("""{ "key": "f_bool", "type": "formula", "resultType": "boolean", "label": { "zh-CN": "是否公式", "en": "Yes/no formula" }, "expression": "AND(DATEDIF(f_date, TODAY(), \"d\") < 0, NOT(FALSE), MAX(1, 2) >= ABS(-2))" }"""));
    }

    private static readonly string[] SerialFoci = [".serialPattern", ".serialReset"];
    private static readonly (string Pattern, string? Reset)[] GoodSerials =
        [("HT-{yyyyMMdd}-{0000}", "daily"), ("{yyyy}{MM}-{000}", "monthly"), ("PO{yy}-{00000}", "yearly"), ("合同-{000000}", null), ("{dd}{0}", "never")];
    private static readonly (string Pattern, string? Reset)[] BadSerials =
        [("HT-{yyyyMMdd}", "daily"), ("{0000}-{0000}", null), ("HT-{0000}", "daily"), ("{yyyy}-{000}", "monthly"), ("HT-{hh}-{0000}", null),
         ("HT-{0000000000000}", null), ("HT-{0000", null), ("{yyyyMMdd}-{0000}", "weekly"), ("", null), ("X-" + new string('9', 70) + "{0}", null)];

    /// <summary>Adds an autonumber field with a serial pattern to the first entity type: a valid one, or (two cases in three) a broken one.</summary>
    private static string AddSerial(JsonNode doc, Random random, out bool bad)
    {
        bad = random.Next(3) != 0;
        var (pattern, reset) = bad ? BadSerials[random.Next(BadSerials.Length)] : GoodSerials[random.Next(GoodSerials.Length)];
        var field = new JsonObject
        {
            ["key"] = "serial_no", ["type"] = "autonumber", ["label"] = new JsonObject { ["zh-CN"] = "流水号", ["en"] = "Serial no." },
            ["serialPattern"] = pattern,
        };
        if (reset is not null) field["serialReset"] = reset;
        doc["entityTypes"]![0]!["fields"]!.AsArray().Add(field);
        return $"serial {(bad ? "bad" : "good")} {pattern} reset {reset ?? "-"}";
    }

    private static readonly JsonNode?[] Junk =
    [
        null, JsonValue.Create(0), JsonValue.Create(-1), JsonValue.Create(150), JsonValue.Create(1e12), JsonValue.Create(""), JsonValue.Create("x"),
        JsonValue.Create("Bad Key!"), JsonValue.Create(true), new JsonArray(), new JsonObject(), JsonValue.Create("$today+3"),
        JsonValue.Create("lookup"), JsonValue.Create("stage"), JsonValue.Create("formula"), JsonValue.Create("amount * / 2"), JsonValue.Create("IF(TRUE, 1, \"x\")"), JsonValue.Create("DATEADD(TODAY(), 1, \"w\")"), JsonValue.Create("date"),
        JsonValue.Create("company"), JsonValue.Create("#zzzzzz"), JsonValue.Create("9.9.9"), JsonValue.Create(new string('x', 300)),
        new JsonObject { ["zh-CN"] = "新", ["en"] = "New" },
    ];

    /// <summary>One random structural change somewhere in the document; returns what it did.</summary>
    private static string? Mutate(JsonNode doc, Random random, string focus)
    {
        var nodes = new List<(JsonNode? Parent, object Slot, JsonNode? Node, string Path)>();
        Walk(null, "", doc, "$", nodes);
        return nodes.Any(n => n.Path.Contains(focus, StringComparison.Ordinal)) ? Mutate(doc, random, n => n.Contains(focus, StringComparison.Ordinal)) : null;
    }

    private static string Mutate(JsonNode doc, Random random, Func<string, bool>? where = null)
    {
        var nodes = new List<(JsonNode? Parent, object Slot, JsonNode? Node, string Path)>();
        Walk(null, "", doc, "$", nodes);
        if (where is not null) nodes = nodes.Where(n => where(n.Path)).ToList();
        var (parent, slot, node, path) = nodes[random.Next(nodes.Count)];
        switch (random.Next(8))
        {
            case 0 when parent is JsonObject o:
                o.Remove((string)slot);
                return "remove " + path;
            case 1 when parent is JsonArray a:
                a.RemoveAt((int)slot);
                return "remove " + path;
            case 2 when parent is JsonArray a:
                a.Add(a[(int)slot]?.DeepClone()); // repeats a key
                return "duplicate " + path;
            case 3 when node is JsonValue v && v.TryGetValue<string>(out var s) && parent is not null:
                Set(parent, slot, JsonValue.Create(s.Length > 1 ? s[..^1] : s + "_x")); // breaks a reference or key
                return "alter " + path;
            case 4 when node is JsonValue v && v.TryGetValue<double>(out var d) && parent is not null:
                Set(parent, slot, JsonValue.Create(random.Next(3) switch { 0 => -d, 1 => d * 1000, _ => d + 1 }));
                return "number " + path;
            case 5 when parent is JsonObject o2 && random.Next(2) == 0:
                o2["x_" + random.Next(100)] = "extra";
                return "extra property at " + path;
            case 6 when node is JsonValue v && v.TryGetValue<string>(out _) && path.EndsWith(".type") && parent is not null:
                var types = new[] { "text", "number", "money", "select", "lookup", "status", "stage", "formula", "autonumber", "date", "member", "bool", "address" };
                Set(parent, slot, JsonValue.Create(types[random.Next(types.Length)]));
                return "retype " + path;
            default:
                if (parent is null) return "none";
                Set(parent, slot, Junk[random.Next(Junk.Length)]?.DeepClone());
                return "junk at " + path;
        }
    }

    private static void Set(JsonNode parent, object slot, JsonNode? value)
    {
        if (parent is JsonObject o) o[(string)slot] = value;
        else if (parent is JsonArray a) a[(int)slot] = value;
    }

    private static void Walk(JsonNode? parent, object slot, JsonNode? node, string path, List<(JsonNode?, object, JsonNode?, string)> into)
    {
        if (parent is not null) into.Add((parent, slot, node, path));
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o.ToList()) Walk(o, k, v, path + "." + k, into);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) Walk(a, i, a[i], $"{path}[{i}]", into);
                break;
        }
    }
}
