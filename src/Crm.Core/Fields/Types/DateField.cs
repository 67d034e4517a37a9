using System.Globalization;
using System.Text.Json.Nodes;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>A calendar date, stored as "yyyy-MM-dd".</summary>
public sealed class DateField : FieldType
{
    public const string Format = "yyyy-MM-dd";
    public override string Name => FieldTypes.Date;
    public override IReadOnlyList<string> Bindings => [FieldBindings.CloseDate];
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.DateTime, FieldTypes.Text, FieldTypes.LongText];
    public override IReadOnlyList<string> DynamicDefaults => ["$today"];
    public override ReportGrouping Grouping => ReportGrouping.Date;
    public override JsonNode? ResolveDefault(string token, Guid userId, DateTime utcNow)
        => token == "$today" ? JsonValue.Create(DateOnly.FromDateTime(utcNow).ToString(Format, CultureInfo.InvariantCulture)) : null;
    public override FieldValueKind ValueKind => FieldValueKind.Date;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default"];

    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String, Format = JsonFormatStrings.Date };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required)
        => ValueChecks.String(!required, required, format: ValueChecks.IsDate, formatProblem: ValueProblem.Date);

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var s))
        {
            if (string.IsNullOrWhiteSpace(s)) return null;
            if (TryParse(s, out var d)) return JsonValue.Create(d.ToString(Format, CultureInfo.InvariantCulture));
        }
        return base.Normalize(value, ctx);
    }

    public static bool TryParse(string s, out DateOnly date)
    {
        s = s.Trim();
        if (DateOnly.TryParseExact(s, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out date)) return true;
        if (DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt)) { date = DateOnly.FromDateTime(dt); return true; }
        foreach (var f in LooseFormats)
            if (DateOnly.TryParseExact(s, f, CultureInfo.InvariantCulture, DateTimeStyles.None, out date)) return true;
        return false;
    }

    private static readonly string[] LooseFormats = ["yyyy/M/d", "yyyy.M.d", "yyyy年M月d日", "yyyy-M-d"];

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && DateOnly.TryParseExact(s, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d.ToString(dc.Culture.Name.StartsWith("zh") ? "yyyy-MM-dd" : "d MMM yyyy", dc.Culture)
            : base.Display(value, ctx, dc);

    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        if (value is JsonValue v && v.TryGetValue<string>(out var s) && TryParse(s, out var d))
        {
            converted = JsonValue.Create(d.ToString(Format, CultureInfo.InvariantCulture));
            return true;
        }
        return false;
    }
}

/// <summary>A moment in time, stored in UTC as ISO-8601 ("2026-11-23T09:30:00Z"), shown in the user's time zone.</summary>
public sealed class DateTimeField : FieldType
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";
    public override string Name => FieldTypes.DateTime;
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.Date, FieldTypes.Text, FieldTypes.LongText];
    public override IReadOnlyList<string> DynamicDefaults => ["$now", "$today"];
    public override ReportGrouping Grouping => ReportGrouping.Date;
    public override JsonNode? ResolveDefault(string token, Guid userId, DateTime utcNow)
        => token is "$now" or "$today" ? JsonValue.Create(utcNow.ToString(Format, CultureInfo.InvariantCulture)) : null;
    public override FieldValueKind ValueKind => FieldValueKind.DateTime;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default"];

    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String, Format = JsonFormatStrings.DateTime };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required)
        => ValueChecks.String(!required, required, format: ValueChecks.IsDateTime, formatProblem: ValueProblem.DateTime);

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var s))
        {
            if (string.IsNullOrWhiteSpace(s)) return null;
            if (TryParse(s, out var dt)) return JsonValue.Create(dt.ToString(Format, CultureInfo.InvariantCulture));
        }
        return base.Normalize(value, ctx);
    }

    public static bool TryParse(string s, out DateTime utc)
    {
        var ok = DateTime.TryParse(s.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out utc);
        utc = DateTime.SpecifyKind(utc, DateTimeKind.Utc);
        return ok;
    }

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && TryParse(s, out var dt)
            ? dc.ToLocal(dt).ToString(dc.Culture.Name.StartsWith("zh") ? "yyyy-MM-dd HH:mm" : "g", dc.Culture)
            : base.Display(value, ctx, dc);

    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        if (value is JsonValue v && v.TryGetValue<string>(out var s) && TryParse(s, out var dt))
        {
            converted = JsonValue.Create(dt.ToString(Format, CultureInfo.InvariantCulture));
            return true;
        }
        return false;
    }
}

/// <summary>Yes or no.</summary>
public sealed class BoolField : FieldType
{
    public override string Name => FieldTypes.Bool;
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.Number, FieldTypes.Text, FieldTypes.LongText];
    public override ReportGrouping Grouping => ReportGrouping.Value;
    public override FieldValueKind ValueKind => FieldValueKind.Boolean;
    public override bool IsGroupable => true;
    public override IReadOnlyList<string> SettingNames => ["Default"];

    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.Boolean };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => ValueChecks.Boolean(!required);

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var s))
            return s.Trim().ToLowerInvariant() switch
            {
                "" => null,
                "true" or "yes" or "1" or "是" or "y" => JsonValue.Create(true),
                "false" or "no" or "0" or "否" or "n" => JsonValue.Create(false),
                _ => value.DeepClone(),
            };
        return base.Normalize(value, ctx);
    }

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is JsonValue v && v.TryGetValue<bool>(out var b)
            ? dc.T(b ? "Value.Yes" : "Value.No")
            : "";

    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = Normalize(value, to);
        return converted is null || (converted is JsonValue v && v.TryGetValue<bool>(out _));
    }
}
