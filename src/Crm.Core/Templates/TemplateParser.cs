using System.Text;
using System.Text.Json;
using Crm.Core.Accounts;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Crm.Core.Templates;

/// <summary>
/// Reads a template: size limit, JSON syntax, the template JSON Schema, then the typed document. Every error
/// names the JSON path it is about ("$.entityTypes[1].fields[0].type").
/// </summary>
public static class TemplateParser
{
    public const int MaxBytes = 1024 * 1024;
    private static readonly Lazy<JsonSchema> Schema = new(LoadSchema);

    public static JsonSchema TemplateSchema => Schema.Value;

    public static string SchemaJson
    {
        get
        {
            using var stream = typeof(TemplateParser).Assembly.GetManifestResourceStream("Crm.Core.Templates.crm-template.schema.json")
                ?? throw new InvalidOperationException("The template JSON Schema is not embedded in Crm.Core.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
    }

    private static JsonSchema LoadSchema() => JsonSchema.FromJsonAsync(SchemaJson).GetAwaiter().GetResult();

    public static (TemplateDocument? Document, ValidationErrors Errors) Parse(ReadOnlySpan<byte> utf8, Func<string, object[], string> t)
    {
        var errors = new ValidationErrors();
        if (utf8.Length > MaxBytes)
        {
            errors.Add("$", t("Template.TooLarge", [MaxBytes / 1024 / 1024]));
            return (null, errors);
        }
        return Parse(Encoding.UTF8.GetString(utf8), t);
    }

    public static (TemplateDocument? Document, ValidationErrors Errors) Parse(string json, Func<string, object[], string> t)
    {
        var errors = new ValidationErrors();
        if (Encoding.UTF8.GetByteCount(json) > MaxBytes)
        {
            errors.Add("$", t("Template.TooLarge", [MaxBytes / 1024 / 1024]));
            return (null, errors);
        }
        try
        {
            using var parsed = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 });
            NumbersInRange(parsed.RootElement, "$", errors, t);
            if (!errors.IsEmpty) return (null, errors);
        }
        catch (JsonException e)
        {
            errors.Add(e.Path is { Length: > 0 } p ? p : "$", t("Template.Syntax", [e.LineNumber + 1 ?? 0, e.BytePositionInLine + 1 ?? 0, e.Message.Split(" Path:")[0]]));
            return (null, errors);
        }

        // JSON lets a property appear twice and every reader silently keeps the last one: refuse it instead.
        foreach (var (path, name) in DuplicateProperties(json))
            errors.Add(path, t("Template.DuplicateProperty", [name]));
        if (!errors.IsEmpty) return (null, errors);

        foreach (var error in TemplateSchema.Validate(json, SchemaType.JsonSchema))
            Collect(error, errors, t);
        if (!errors.IsEmpty) return (null, errors);

        try
        {
            var document = JsonSerializer.Deserialize<TemplateDocument>(json, Json.Options);
            if (document is null) errors.Add("$", t("Template.Empty", []));
            return (document, errors);
        }
        catch (JsonException e)
        {
            errors.Add(e.Path ?? "$", t("Template.Shape", [e.Message.Split(" Path:")[0]]));
            return (null, errors);
        }
    }

    private sealed class Frame(string path, bool isObject)
    {
        public string Path { get; } = path;
        public HashSet<string>? Names { get; } = isObject ? new(StringComparer.Ordinal) : null;
        public int Index { get; set; }
    }

    /// <summary>Every property that repeats within its object, as the JSON path of the repeat and its name.</summary>
    public static List<(string Path, string Name)> DuplicateProperties(string json)
    {
        var found = new List<(string, string)>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 });
        var stack = new Stack<Frame>();
        string? property = null;
        string ValuePath()
        {
            if (stack.Count == 0) return "$";
            var parent = stack.Peek();
            return parent.Names is not null ? parent.Path + "." + property : $"{parent.Path}[{parent.Index++}]";
        }
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = reader.GetString()!;
                    var frame = stack.Peek();
                    if (!frame.Names!.Add(property)) found.Add((frame.Path + "." + property, property));
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    stack.Push(new Frame(ValuePath(), reader.TokenType == JsonTokenType.StartObject));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    stack.Pop();
                    break;
                default:
                    ValuePath();
                    break;
            }
        }
        return found;
    }

    /// <summary>A number no decimal can hold (1e400, 32 digits) would break the schema check; refuse it by path.</summary>
    private static void NumbersInRange(JsonElement element, string path, ValidationErrors errors, Func<string, object[], string> t)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject()) NumbersInRange(p.Value, path + "." + p.Name, errors, t);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray()) NumbersInRange(item, $"{path}[{i++}]", errors, t);
                break;
            case JsonValueKind.Number when !element.TryGetDecimal(out _):
                errors.Add(path, t("Template.NumberRange", []));
                break;
        }
    }

    private static void Collect(ValidationError error, ValidationErrors errors, Func<string, object[], string> t)
    {
        if (error is ChildSchemaValidationError child && child.Errors.Count > 0)
        {
            // oneOf/anyOf/if-then: report the innermost errors, which name the real problem.
            foreach (var nested in child.Errors.SelectMany(e => e.Value)) Collect(nested, errors, t);
            return;
        }
        var path = ToJsonPath(error.Path);
        if (error.Kind is ValidationErrorKind.PropertyRequired && error.Property is { } missing)
            path = (path == "$" ? "$" : path) + "." + missing;
        errors.Add(path, t($"Template.Schema.{Category(error.Kind)}", [error.Property ?? "", error.Kind.ToString()]));
    }

    /// <summary>NJsonSchema's "#/entityTypes[0].fields[2].type" becomes "$.entityTypes[0].fields[2].type".</summary>
    public static string ToJsonPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "#") return "$";
        var p = path.StartsWith('#') ? path[1..] : path;
        p = p.Replace('/', '.');
        return "$" + (p.StartsWith('.') || p.StartsWith('[') ? p : "." + p);
    }

    private static string Category(ValidationErrorKind kind) => kind switch
    {
        ValidationErrorKind.PropertyRequired => "Required",
        ValidationErrorKind.NoAdditionalPropertiesAllowed => "UnknownProperty",
        ValidationErrorKind.NotInEnumeration => "NotAllowed",
        ValidationErrorKind.PatternMismatch => "Pattern",
        ValidationErrorKind.StringTooShort => "TooShort",
        ValidationErrorKind.StringTooLong => "TooLong",
        ValidationErrorKind.NumberTooSmall or ValidationErrorKind.NumberTooBig => "Range",
        ValidationErrorKind.TooFewItems or ValidationErrorKind.TooManyItems => "Count",
        _ when kind.ToString().EndsWith("Expected", StringComparison.Ordinal) => "Type",
        _ => "Invalid",
    };
}
