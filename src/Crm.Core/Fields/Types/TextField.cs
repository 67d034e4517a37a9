using System.Text.Json.Nodes;
using Crm.Core.Text;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>Single-line text: max length (default 200) and an optional pattern with its own message.</summary>
public class TextField : FieldType
{
    public override string Name => FieldTypes.Text;
    public override FieldValueKind ValueKind => FieldValueKind.Text;
    public override bool IsSearchable => true;
    protected virtual int DefaultMaxLength => 200;
    public override IReadOnlyList<string> SettingNames => ["Required", "Unique", "Default", "MaxLength", "Pattern", "PatternMessage"];
    public override IReadOnlyList<string> Bindings => [FieldBindings.Title];

    /// <summary>Text-like types, numbers, dates, yes/no and choices: text converts when it reads as the target.</summary>
    public override IReadOnlyList<string> ConversionTargets =>
    [
        FieldTypes.Text, FieldTypes.LongText, FieldTypes.Email, FieldTypes.Phone, FieldTypes.Url,
        FieldTypes.Number, FieldTypes.Money, FieldTypes.Percent, FieldTypes.Date, FieldTypes.DateTime, FieldTypes.Bool,
        FieldTypes.Select, FieldTypes.MultiSelect, FieldTypes.Status, FieldTypes.Address,
    ];

    public override JsonSchema BuildSchema(FieldContext ctx) => new()
    {
        Type = JsonObjectType.String,
        MaxLength = ctx.Settings.MaxLength ?? DefaultMaxLength,
        Pattern = ctx.Settings.Pattern,
    };

    public override ValueChecker CompileCheck(FieldContext ctx, bool required)
        => ValueChecks.String(!required, required, ctx.Settings.MaxLength ?? DefaultMaxLength);

    public override IEnumerable<ValuePattern> Patterns(FieldContext ctx)
        => ctx.Settings.Pattern is { Length: > 0 } p && SettingNames.Contains("Pattern") ? [new ValuePattern(p, Custom: true)] : [];

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var s))
            return string.IsNullOrWhiteSpace(s) ? null : JsonValue.Create(StorableText.Clean(s).Trim());
        return base.Normalize(value, ctx);
    }

    /// <summary>Anything with a text form becomes text.</summary>
    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        string text;
        if (from.Type is ChoiceFieldBase choice) text = choice.Labels(value, from, to.Metadata, System.Globalization.CultureInfo.CurrentUICulture);
        else if (from.Type is AddressField) text = AddressField.Format(value);
        else if (value is JsonArray) return false;
        else text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString();
        var max = to.Settings.MaxLength ?? DefaultMaxLength;
        if (text.Length > max) return false;
        converted = JsonValue.Create(text);
        return true;
    }
}

/// <summary>Multi-line text (notes, descriptions), up to 10,000 characters by default.</summary>
public sealed class LongTextField : TextField
{
    public override string Name => FieldTypes.LongText;
    protected override int DefaultMaxLength => 10_000;
    public override bool InDefaultList => false;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default", "MaxLength"];

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
        => value is JsonValue v && v.TryGetValue<string>(out var s) ? (string.IsNullOrWhiteSpace(s) ? null : JsonValue.Create(StorableText.Clean(s).TrimEnd())) : base.Normalize(value, ctx);
}

/// <summary>An e-mail address, lower-cased.</summary>
public sealed class EmailField : TextField
{
    public override string Name => FieldTypes.Email;
    public override IReadOnlyList<string> SettingNames => ["Required", "Unique", "Default"];
    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String, Format = JsonFormatStrings.Email, MaxLength = 254 };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required)
        => ValueChecks.String(!required, required, 254, ValueChecks.IsEmail, ValueProblem.Email);

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
        => value is JsonValue v && v.TryGetValue<string>(out var s) ? (string.IsNullOrWhiteSpace(s) ? null : JsonValue.Create(StorableText.Clean(s).Trim().ToLowerInvariant())) : base.Normalize(value, ctx);

    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
        => base.TryConvertFrom(from, value, to, out converted) && (converted is null || System.Net.Mail.MailAddress.TryCreate(converted.GetValue<string>(), out _));
}

/// <summary>
/// A phone number: digits, spaces, +, -, parentheses and extensions. An optional pattern (with its own message)
/// narrows it further, e.g. mainland mobile numbers only; a value must match both.
/// </summary>
public sealed class PhoneField : TextField
{
    public const string PhonePattern = @"^[0-9+()\-\s.#*xX转]{3,40}$";
    public override string Name => FieldTypes.Phone;
    public override IReadOnlyList<string> SettingNames => ["Required", "Unique", "Default", "Pattern", "PatternMessage"];

    /// <summary>The served schema carries the tenant's pattern when there is one (a JSON Schema has one
    /// <c>pattern</c>); the server checks both through <see cref="Patterns"/>.</summary>
    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String, Pattern = ctx.Settings.Pattern is { Length: > 0 } p ? p : PhonePattern, MaxLength = 40 };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => ValueChecks.String(!required, required, 40);

    public override IEnumerable<ValuePattern> Patterns(FieldContext ctx)
        => ctx.Settings.Pattern is { Length: > 0 } p ? [new ValuePattern(PhonePattern, Custom: false), new ValuePattern(p, Custom: true)] : [new ValuePattern(PhonePattern, Custom: false)];

    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        if (!base.TryConvertFrom(from, value, to, out converted)) return false;
        var text = converted?.GetValue<string>();
        return text is null || Patterns(to).All(p => FieldPattern.Match(p.Pattern, text) == PatternOutcome.Match);
    }
}

/// <summary>A web address (http or https).</summary>
public sealed class UrlField : TextField
{
    public override string Name => FieldTypes.Url;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default"];
    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String, Format = JsonFormatStrings.Uri, MaxLength = 2000, Pattern = "^https?://" };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required)
        => ValueChecks.String(!required, required, 2000, ValueChecks.IsUri, ValueProblem.Url);
    public const string SchemePattern = "^https?://";
    public override IEnumerable<ValuePattern> Patterns(FieldContext ctx) => [new ValuePattern(SchemePattern, Custom: false)];

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        var n = base.Normalize(value, ctx);
        // "www.example.com" is what people type; store it as a full address.
        if (n is JsonValue v && v.TryGetValue<string>(out var s) && !s.Contains("://") && s.Contains('.')) return JsonValue.Create("https://" + s);
        return n;
    }

    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
        => base.TryConvertFrom(from, value, to, out converted) && (converted is null || Uri.TryCreate(converted.GetValue<string>(), UriKind.Absolute, out var u) && u.Scheme is "http" or "https");
}
