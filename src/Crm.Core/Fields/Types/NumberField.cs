using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>A number with optional min/max and decimals.</summary>
public class NumberField : FieldType
{
    public override string Name => FieldTypes.Number;
    public override FieldValueKind ValueKind => FieldValueKind.Number;
    public override IReadOnlyList<string> Bindings => [FieldBindings.Title, FieldBindings.Amount];
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.Number, FieldTypes.Money, FieldTypes.Percent, FieldTypes.Text, FieldTypes.LongText];
    public override IReadOnlyList<string> SettingNames => ["Required", "Unique", "Default", "Min", "Max", "Decimals"];

    public override JsonSchema BuildSchema(FieldContext ctx) => new()
    {
        Type = JsonObjectType.Number,
        Minimum = ctx.Settings.Min,
        Maximum = ctx.Settings.Max,
    };

    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => ValueChecks.Number(!required, ctx.Settings.Min, ctx.Settings.Max);

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        // Forms and imports send "12 000", "12,000.5" or "￥1,200": accept what is clearly a number.
        if (value is JsonValue v && v.TryGetValue<string>(out var s))
        {
            if (string.IsNullOrWhiteSpace(s)) return null;
            // Spaces, thousands separators, currency and percent signs are dropped; anything else (letters, "万",
            // "k") means it is not clearly a number: kept as typed, so validation says so instead of reading "12万" as 12.
            var cleaned = new System.Text.StringBuilder();
            foreach (var c in s)
            {
                if (char.IsAsciiDigit(c) || c is '.' or '-' or '+' or 'e' or 'E') cleaned.Append(c);
                else if (char.IsWhiteSpace(c) || c is ',' or '，' or '%' or '％' || char.GetUnicodeCategory(c) == UnicodeCategory.CurrencySymbol) continue;
                else return value.DeepClone();
            }
            if (cleaned.Length > 0 && decimal.TryParse(cleaned.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
            return value.DeepClone();
        }
        // Every number is stored as a decimal (rounded to the field's decimals), whatever JSON type it came as.
        if (JsonNumbers.TryGetDecimal(value, out var dec))
            return JsonValue.Create(ctx.Settings.Decimals is { } places ? Math.Round(dec, Math.Clamp(places, 0, 10), MidpointRounding.AwayFromZero) : dec);
        return base.Normalize(value, ctx);
    }

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => JsonNumbers.TryGetDecimal(value, out var d) ? Format(d, ctx, dc.Culture) : base.Display(value, ctx, dc);

    protected virtual string Format(decimal d, FieldContext ctx, CultureInfo culture)
        => d.ToString(ctx.Settings.Decimals is { } p ? "N" + Math.Clamp(p, 0, 10) : "#,##0.##########", culture);

    /// <summary>Numbers convert between number, money and percent; text converts when it parses.</summary>
    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        if (from.Type.IsNumeric && JsonNumbers.TryGetDecimal(value, out var d)) { converted = JsonValue.Create(d); return true; }
        if (from.Type.ValueKind == FieldValueKind.Text && value is JsonValue tv && tv.TryGetValue<string>(out var s)
            && decimal.TryParse(s.Replace(",", "").Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            converted = JsonValue.Create(parsed);
            return true;
        }
        if (from.Type.ValueKind == FieldValueKind.Boolean && value is JsonValue bv && bv.TryGetValue<bool>(out var b)) { converted = JsonValue.Create(b ? 1m : 0m); return true; }
        return false;
    }
}

/// <summary>An amount of money in the field's currency (default CNY), two decimals.</summary>
public sealed class MoneyField : NumberField
{
    public override string Name => FieldTypes.Money;
    public override IReadOnlyList<string> Bindings => [FieldBindings.Amount];
    public override FieldSettings NewSettings() => new() { Currency = "CNY" };
    public override NumberFormat NumberFormat(FieldSettings settings) => Fields.NumberFormat.Money;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default", "Min", "Max", "Currency"];

    protected override string Format(decimal d, FieldContext ctx, CultureInfo culture)
        => CurrencySymbol(ctx.Settings.Currency) + d.ToString("N2", culture);

    public static string CurrencySymbol(string? currency) => (currency ?? "CNY").ToUpperInvariant() switch
    {
        "CNY" or "RMB" => "¥",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "JP¥",
        "HKD" => "HK$",
        var other => other + " ",
    };
}

/// <summary>A percentage stored as a number of percent (35 means 35%).</summary>
public sealed class PercentField : NumberField
{
    public override string Name => FieldTypes.Percent;
    public override IReadOnlyList<string> Bindings => [];
    public override NumberFormat NumberFormat(FieldSettings settings) => Fields.NumberFormat.Percent;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default", "Min", "Max", "Decimals"];
    protected override string Format(decimal d, FieldContext ctx, CultureInfo culture)
        => d.ToString(ctx.Settings.Decimals is { } p ? "N" + Math.Clamp(p, 0, 10) : "0.##", culture) + "%";
}
