using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using NJsonSchema.Validation;

namespace Crm.Core.Tests.Records;

/// <summary>
/// The record validator's compiled per-type checks (<see cref="FieldType.CompileCheck"/>) give the verdicts the
/// entity's JSON Schema gives under NJsonSchema (the validator used before import-fast, kept here as the
/// reference): for every field type, required or not, over many generated good and bad values, both accept or
/// both refuse with the same key and message.
/// </summary>
public class RecordValueChecksTests
{
    private static readonly IStringLocalizer<CoreStrings> T = new ServiceCollection().AddLogging().AddLocalization()
        .BuildServiceProvider().GetRequiredService<IStringLocalizer<CoreStrings>>();

    private static readonly List<ChoiceOption> Options =
        [new("a", LocalizedText.Same("A")), new("b", LocalizedText.Same("B")), new("old", LocalizedText.Same("Old"), IsArchived: true), new("1", LocalizedText.Same("One"))];

    /// <summary>Every registered type with the settings that change its check.</summary>
    private static IEnumerable<(string Type, FieldSettings Settings)> Variants()
    {
        foreach (var type in FieldTypeRegistry.Names)
        {
            yield return (type, new FieldSettings());
            yield return (type, new FieldSettings { Required = true });
        }
        yield return ("text", new FieldSettings { MaxLength = 5 });
        yield return ("text", new FieldSettings { MaxLength = 5, Required = true });
        yield return ("text", new FieldSettings { Pattern = "^[A-Z]+$" });
        yield return ("longtext", new FieldSettings { MaxLength = 12, Required = true });
        yield return ("phone", new FieldSettings { Pattern = "^1\\d{10}$", Required = true });
        foreach (var type in new[] { "number", "money", "percent" })
        {
            yield return (type, new FieldSettings { Min = 0, Max = 100 });
            yield return (type, new FieldSettings { Min = -5.5m, Required = true });
            yield return (type, new FieldSettings { Max = 1e20m });
        }
        yield return ("select", new FieldSettings { Options = Options });
        yield return ("select", new FieldSettings { Options = Options, Required = true });
        yield return ("multiselect", new FieldSettings { Options = Options });
        yield return ("multiselect", new FieldSettings { Options = Options, Required = true });
        yield return ("status", new FieldSettings { StatusList = "lead" });
        yield return ("status", new FieldSettings { StatusList = "lead", Required = true });
        yield return ("department", new FieldSettings { Multiple = true });
        yield return ("department", new FieldSettings { Multiple = true, Required = true });
    }

    /// <summary>Values good for some types and bad for others, plus random ones per shape.</summary>
    private static List<JsonNode?> Values(int seed)
    {
        var random = new Random(seed);
        var guid = Guid.NewGuid().ToString();
        var values = new List<JsonNode?>
        {
            null, "", " ", "a", "b", "old", "zz", "1", "ABC", "abcdef", "AB", new string('x', 199), new string('x', 200), new string('x', 201),
            new string('y', 2000), new string('y', 10_001), "13800138000", "+86 138-0013-8000", "12", "电话",
            "x@example.com", "X.Y@Example.COM", "not-an-email", "a@b", "a@b.c", "a@@b.com", new string('e', 250) + "@x.cn", "x@example.com\n",
            "2026-12-03", "2026-02-30", "2026-2-3", "20261203", "2026/12/03", "2026-12-03T10:00:00Z", "2026-12-03 10:00", "2026-12", "2026",
            "2026-12-03T10:00:00.123+08:00", "2026-12-03t10:00:00z", "2026-12-03_10:00:00Z", "10:00", "2026年12月3日",
            "https://example.com/x", "http://a", "ftp://a.b", "www.example.com", "/relative", "mailto:x@y.z", "https://",
            guid, guid.ToUpperInvariant(), "{" + guid + "}", guid.Replace("-", ""), "not-a-guid",
            0, 1, -1, 5, -5.5m, -5.6m, 100, 100.01m, 1e20m, 12.5, 3.0, long.MaxValue, true, false,
            new JsonArray(), new JsonArray("a"), new JsonArray("a", "b"), new JsonArray("a", "a"), new JsonArray("a", "zz"), new JsonArray("old"),
            new JsonArray("1", 1), new JsonArray(1), new JsonArray((JsonNode?)null), new JsonArray(""), new JsonArray(guid), new JsonArray(guid, guid),
            new JsonArray(guid, "nope"), new JsonArray(true), new JsonArray(new JsonArray("a")),
            new JsonObject { ["k"] = 1 }, new JsonObject(),
        };
        const string alphabet = "abAB01-_ .@:/T中文";
        for (var i = 0; i < 60; i++)
        {
            var length = random.Next(0, 14);
            values.Add(new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
            values.Add(Math.Round((decimal)(random.NextDouble() * 300 - 100), random.Next(0, 4)));
            values.Add(new DateOnly(2000, 1, 1).AddDays(random.Next(0, 20_000)).ToString(random.Next(2) == 0 ? "yyyy-MM-dd" : "yyyy-M-d"));
            values.Add(random.Next(3) == 0 ? Guid.NewGuid().ToString() : Guid.NewGuid().ToString()[..random.Next(1, 36)]);
            values.Add(new JsonArray(Enumerable.Range(0, random.Next(0, 4)).Select(_ => (JsonNode?)JsonValue.Create(Options[random.Next(Options.Count)].Key + (random.Next(5) == 0 ? "x" : ""))).ToArray()));
        }
        return values;
    }

    [Fact]
    public void Compiled_checks_and_the_JSON_Schema_agree_on_every_type_and_value()
    {
        var validator = new RecordValidator(T);
        var values = Values(17);
        var compared = 0;
        var crashed = 0;
        var perType = new Dictionary<string, (int Accepted, int Refused)>();
        var mismatches = new List<string>();
        foreach (var (type, settings) in Variants())
        {
            var entity = Entity(F("f", type, settings), F("other", "text", new FieldSettings()));
            foreach (var value in values.Select(v => v?.DeepClone()).Append(Absent))
            {
                var record = new JsonObject();
                if (!ReferenceEquals(value, Absent)) record["f"] = value?.DeepClone();
                var compiled = new ValidationErrors();
                validator.ValidateSchema(entity, record, compiled);
                var reference = new ValidationErrors();
                try
                {
                    SchemaReference.Validate(T, validator, entity, record, reference);
                }
                catch (InvalidCastException)
                {
                    // NJsonSchema cannot compare an integer beyond 64 bits with a minimum or maximum (it threw, so
                    // such a write failed with an exception); the compiled check compares it and answers.
                    crashed++;
                    continue;
                }
                var a = compiled.ToString();
                var b = reference.ToString();
                if (a != b) mismatches.Add($"{type} {(settings.Required ? "required" : "optional")} max={settings.MaxLength} min={settings.Min} max={settings.Max} value={(ReferenceEquals(value, Absent) ? "(absent)" : value?.ToJsonString() ?? "null")}: compiled [{a}] schema [{b}]");
                var (accepted, refused) = perType.GetValueOrDefault(type);
                perType[type] = compiled.IsEmpty ? (accepted + 1, refused) : (accepted, refused + 1);
                compared++;
            }
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {compared} differ:\n" + string.Join("\n", mismatches.Take(40)));
        // Both outcomes occur for every type (the generated values exercise each check).
        foreach (var type in FieldTypeRegistry.Names)
        {
            Assert.True(perType[type].Accepted > 0, $"{type}: nothing accepted");
            Assert.True(perType[type].Refused > 0, $"{type}: nothing refused");
        }
        Assert.True(compared > 10_000, $"only {compared} values compared");
        Assert.True(crashed < 100, $"{crashed} values made the schema validator throw");
    }

    [Fact]
    public void Unknown_keys_are_refused_and_kept_aside_keys_are_not_checked()
    {
        var validator = new RecordValidator(T);
        var entity = Entity(F("f", "number", new FieldSettings { Required = true }));
        foreach (var record in new[]
        {
            new JsonObject { ["f"] = 1, ["nope"] = "x" },
            new JsonObject { ["_kept"] = new JsonObject { ["x"] = "anything" } },
            new JsonObject { ["f"] = "x", ["_kept"] = 1, ["other"] = null },
            new JsonObject(),
        })
        {
            var compiled = new ValidationErrors();
            validator.ValidateSchema(entity, record, compiled);
            var reference = new ValidationErrors();
            SchemaReference.Validate(T, validator, entity, record, reference);
            Assert.Equal(reference.ToString(), compiled.ToString());
            Assert.False(compiled.IsEmpty, record.ToJsonString());
        }
        var unknown = new ValidationErrors();
        validator.ValidateSchema(entity, new JsonObject { ["f"] = 1, ["nope"] = "x" }, unknown);
        Assert.Equal(["nope"], unknown.ByField.Keys);
    }

    private static readonly JsonNode Absent = JsonValue.Create("(absent)");

    private static EntityMeta Entity(params FieldDefinition[] fields)
    {
        var entity = new EntityType { Key = "thing", TitleFieldKey = "other" };
        var statuses = new StatusListMeta(new StatusList { Key = "lead" },
            [new StatusOption { Key = "new", Label = LocalizedText.Same("New") }, new StatusOption { Key = "a", Label = LocalizedText.Same("A") }, new StatusOption { Key = "old", IsArchived = true }]);
        return new TenantMetadata(Guid.NewGuid(), 1, [new EntityMeta(entity, fields, [])], [statuses]).Entity("thing")!;
    }

    private static FieldDefinition F(string key, string type, FieldSettings settings)
        => new() { Key = key, Type = type, Label = LocalizedText.Same("L-" + key), Settings = settings };

    /// <summary>The validator before import-fast: NJsonSchema over the record's JSON, errors mapped to messages.</summary>
    private static class SchemaReference
    {
        public static void Validate(IStringLocalizer<CoreStrings> t, RecordValidator validator, EntityMeta entity, JsonObject values, ValidationErrors errors)
        {
            var document = values;
            foreach (var (key, _) in values)
                if (key.StartsWith('_'))
                {
                    document = new JsonObject();
                    foreach (var (k, value) in values)
                        if (!k.StartsWith('_')) document[k] = value?.DeepClone();
                    break;
                }
            var found = new List<(string Key, string Message, bool Required)>();
            foreach (var error in new JsonSchemaValidator(new JsonSchemaValidatorSettings()).Validate(document.ToJsonString(), entity.ValidationSchema))
                Collect(t, entity, error, found);
            foreach (var field in entity.Fields)
            {
                if (field.Key.StartsWith('_') || document[field.Key] is not JsonValue v || !v.TryGetValue<string>(out var text) || found.Any(f => f.Key == field.Key)) continue;
                if (validator.PatternError(new FieldContext(field, entity), text) is { } message) found.Add((field.Key, message, false));
            }
            foreach (var group in found.GroupBy(f => f.Key))
                errors.Add(group.Key, (group.FirstOrDefault(g => g.Required).Message ?? group.First().Message));
        }

        private static void Collect(IStringLocalizer<CoreStrings> t, EntityMeta entity, ValidationError error, List<(string Key, string Message, bool Required)> found)
        {
            if (error is ChildSchemaValidationError child)
            {
                foreach (var nested in child.Errors.SelectMany(e => e.Value)) Collect(t, entity, nested, found);
                return;
            }
            if (error is MultiTypeValidationError multi)
            {
                var asType = multi.Errors.Where(e => e.Key != NJsonSchema.JsonObjectType.Null).SelectMany(e => e.Value).ToList();
                if (asType.Count > 0)
                {
                    foreach (var nested in asType) Collect(t, entity, nested, found);
                    return;
                }
            }
            var key = error.Kind == ValidationErrorKind.PropertyRequired || error.Kind == ValidationErrorKind.NoAdditionalPropertiesAllowed
                ? error.Property
                : (error.Path ?? "").TrimStart('#', '/').Split('/', '.', '[')[0];
            if (string.IsNullOrEmpty(key)) key = error.Property ?? RecordWriter.RecordErrorKey;
            var field = entity.Field(key);
            var label = field?.Label.Get() ?? key;
            var s = field?.Settings;
            string message = error.Kind switch
            {
                ValidationErrorKind.PropertyRequired or ValidationErrorKind.StringTooShort or ValidationErrorKind.TooFewItems
                    or ValidationErrorKind.NullExpected => t["Validation.Required", label],
                ValidationErrorKind.StringTooLong => t["Validation.TooLong", label, s?.MaxLength ?? 0],
                ValidationErrorKind.NumberTooSmall => t["Validation.TooSmall", label, Number(s?.Min)],
                ValidationErrorKind.NumberTooBig => t["Validation.TooBig", label, Number(s?.Max)],
                ValidationErrorKind.NotInEnumeration => t["Validation.NotAnOption", label],
                ValidationErrorKind.DateExpected => t["Validation.Date", label],
                ValidationErrorKind.DateTimeExpected => t["Validation.DateTime", label],
                ValidationErrorKind.EmailExpected => t["Validation.Email", label],
                ValidationErrorKind.UriExpected => t["Validation.Url", label],
                ValidationErrorKind.GuidExpected => t["Validation.Reference", label],
                ValidationErrorKind.NumberExpected or ValidationErrorKind.IntegerExpected => t["Validation.Number", label],
                ValidationErrorKind.BooleanExpected => t["Validation.Boolean", label],
                ValidationErrorKind.ArrayExpected or ValidationErrorKind.ItemsNotUnique => t["Validation.List", label],
                ValidationErrorKind.StringExpected => t["Validation.Text", label],
                ValidationErrorKind.NoAdditionalPropertiesAllowed => t["Record.UnknownField", key],
                _ when error.Kind.ToString().EndsWith("Expected", StringComparison.Ordinal) => t["Validation.Type", label],
                _ => t["Validation.Invalid", label],
            };
            var required = error.Kind is ValidationErrorKind.PropertyRequired or ValidationErrorKind.StringTooShort or ValidationErrorKind.TooFewItems or ValidationErrorKind.NullExpected;
            found.Add((key, message, required));
        }

        private static string Number(decimal? d) => d?.ToString("0.##########", System.Globalization.CultureInfo.CurrentCulture) ?? "";
    }
}
