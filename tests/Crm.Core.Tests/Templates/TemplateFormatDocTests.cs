using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Core.Templates;
using NJsonSchema;

namespace Crm.Core.Tests.Templates;

/// <summary>
/// The JSON examples of docs/template-format.md are valid against the template JSON Schema: each <c>```json</c> block
/// is preceded by a marker <c>&lt;!-- schema: NAME --&gt;</c> naming what it is — <c>template</c> (a whole document),
/// a definition of the schema (<c>field</c>, <c>entityType</c>, <c>rule</c> …), <c>NAME[]</c> for several such objects
/// separated by commas, or <c>fragment</c> (a part of an object, not checked; said, not silently skipped). A block
/// without a marker fails the test, so a new example cannot slip by unchecked.
/// </summary>
public partial class TemplateFormatDocTests
{
    [GeneratedRegex(@"(?:<!--\s*schema:\s*(?<name>[A-Za-z]+(?:\[\])?)\s*-->\s*\n)?```json\n(?<body>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex Block();

    private static string Doc()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "docs", "template-format.md");
            if (File.Exists(path)) return File.ReadAllText(path);
        }
        throw new FileNotFoundException("docs/template-format.md not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Every_json_example_in_the_template_format_is_marked_and_the_checked_ones_are_valid()
    {
        var doc = Doc();
        var blocks = Block().Matches(doc).ToList();
        Assert.True(blocks.Count >= 15, $"only {blocks.Count} examples found");
        var problems = new List<string>();
        var checkedCount = 0;
        foreach (var block in blocks)
        {
            var line = doc[..block.Index].Count(c => c == '\n') + 1;
            var name = block.Groups["name"].Success ? block.Groups["name"].Value : null;
            var body = block.Groups["body"].Value;
            if (name is null) { problems.Add($"line {line}: a json example without a <!-- schema: … --> marker"); continue; }
            if (name == "fragment") continue;
            var many = name.EndsWith("[]", StringComparison.Ordinal);
            var definition = many ? name[..^2] : name;
            JsonSchema schema;
            if (definition == "template") schema = TemplateParser.TemplateSchema;
            else if (!TemplateParser.TemplateSchema.Definitions.TryGetValue(definition, out schema!)) { problems.Add($"line {line}: no schema definition '{definition}'"); continue; }
            JsonNode? parsed;
            try { parsed = JsonNode.Parse(many ? "[" + body + "]" : body); }
            catch (System.Text.Json.JsonException e) { problems.Add($"line {line}: not JSON ({e.Message})"); continue; }
            foreach (var item in many ? parsed!.AsArray().ToArray() : [parsed])
            {
                checkedCount++;
                foreach (var error in schema.Validate(item!.ToJsonString()))
                    problems.Add($"line {line} ({name}): {error}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(checkedCount >= 20, $"only {checkedCount} example objects checked");
    }

    [Fact]
    public void The_checker_catches_a_broken_example()
    {
        // The check is real: an example with a misspelt property fails the field definition.
        var field = TemplateParser.TemplateSchema.Definitions["field"];
        Assert.NotEmpty(field.Validate("""{ "key": "addr", "type": "address", "label": { "zh-CN": "地址", "en": "Address" }, "requierd": true }"""));
        Assert.Empty(field.Validate("""{ "key": "addr", "type": "address", "label": { "zh-CN": "地址", "en": "Address" }, "required": true }"""));
    }
}
