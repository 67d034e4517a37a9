using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>A choice of keyed options (select, status, stage): the value is the option's key, never its label.</summary>
public abstract class ChoiceFieldBase : FieldType
{
    public override FieldValueKind ValueKind => FieldValueKind.Choice;

    /// <summary>All options, archived ones included (existing values stay valid), as key → label.</summary>
    public abstract IReadOnlyList<(string Key, LocalizedText Label, string? Color, bool Archived)> Options(FieldContext ctx);

    public override IReadOnlyList<(string Key, LocalizedText Label)> Choices(FieldContext ctx) => Options(ctx).Where(o => !o.Archived).Select(o => (o.Key, o.Label)).ToList();

    public override JsonSchema BuildSchema(FieldContext ctx)
    {
        var schema = new JsonSchema { Type = JsonObjectType.String };
        foreach (var o in Options(ctx)) schema.Enumeration.Add(o.Key);
        return schema;
    }

    /// <summary>One of the options (archived ones too: stored values stay valid; newly chosen archived options are
    /// refused by the record validator's choice rules). A list without options takes any text.</summary>
    public override ValueChecker CompileCheck(FieldContext ctx, bool required)
    {
        var keys = Options(ctx).Select(o => o.Key).ToList();
        return ValueChecks.String(!required, required && keys.Count == 0, options: keys);
    }

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is JsonValue v && v.TryGetValue<string>(out var key)
            ? Options(ctx).FirstOrDefault(o => o.Key == key) is { Key: not null } o ? o.Label.Get(dc.Culture) : key
            : base.Display(value, ctx, dc);

    /// <summary>Labels of the value's options in <paramref name="culture"/> (comma-separated for several).</summary>
    public string Labels(JsonNode? value, FieldContext ctx, TenantMetadata metadata, CultureInfo culture)
    {
        var options = Options(ctx);
        IEnumerable<string> keys = value switch
        {
            JsonArray a => a.Select(n => n?.GetValue<string>() ?? ""),
            JsonValue v when v.TryGetValue<string>(out var k) => [k],
            _ => [],
        };
        return string.Join(", ", keys.Select(k => options.FirstOrDefault(o => o.Key == k) is { Key: not null } o ? o.Label.Get(culture) : k));
    }

    /// <summary>Finds an option by key or by a label in either language (case-insensitive).</summary>
    public string? Match(FieldContext ctx, string text)
    {
        text = text.Trim();
        foreach (var o in Options(ctx).Where(o => !o.Archived))
            if (string.Equals(o.Key, text, StringComparison.OrdinalIgnoreCase)
                || string.Equals(o.Label.ZhCn, text, StringComparison.OrdinalIgnoreCase)
                || string.Equals(o.Label.En, text, StringComparison.OrdinalIgnoreCase))
                return o.Key;
        return null;
    }

    /// <summary>Text and other choices convert when their value (or its label) names one of this field's options.</summary>
    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        string? text = null;
        if (from.Type is ChoiceFieldBase other && value is JsonValue cv && cv.TryGetValue<string>(out var key))
        {
            var option = other.Options(from).FirstOrDefault(o => o.Key == key);
            converted = (Match(to, key) ?? (option.Key is null ? null : Match(to, option.Label.ZhCn) ?? Match(to, option.Label.En))) is { } m ? JsonValue.Create(m) : null;
            return converted is not null;
        }
        if (from.Type.ValueKind == FieldValueKind.Text && value is JsonValue tv && tv.TryGetValue<string>(out var s)) text = s;
        if (from.Type.ValueKind == FieldValueKind.Choices && value is JsonArray { Count: 1 } single) text = single[0]?.GetValue<string>();
        if (text is null || Match(to, text) is not { } matched) return false;
        converted = JsonValue.Create(matched);
        return true;
    }
}

/// <summary>One option of the field's own list.</summary>
public sealed class SelectField : ChoiceFieldBase
{
    public override string Name => FieldTypes.Select;
    public override IReadOnlyList<string> Bindings => [FieldBindings.Title, FieldBindings.LostReason];
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.MultiSelect, FieldTypes.Status, FieldTypes.Text, FieldTypes.LongText];
    public override bool OwnsOptions => true;
    public override FieldSettings NewSettings() => new() { Options = [] };
    public override ReportGrouping Grouping => ReportGrouping.Value;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default", "Options"];

    public override IReadOnlyList<(string Key, LocalizedText Label, string? Color, bool Archived)> Options(FieldContext ctx)
        => (ctx.Settings.Options ?? []).Select(o => (o.Key, o.Label, o.Color, o.IsArchived)).ToList();

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        base.ValidateSettings(ctx, errors, path, t);
        ValidateOptions(ctx.Settings.Options, errors, path, t);
    }

    internal static void ValidateOptions(List<ChoiceOption>? options, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        if (options is null || options.Count == 0) { errors.Add(path + "/options", t("Settings.OptionsRequired")); return; }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Count; i++)
        {
            if (!Metadata.MetadataKeys.IsValid(options[i].Key)) errors.Add($"{path}/options/{i}/key", t("Settings.OptionKey"));
            else if (!seen.Add(options[i].Key)) errors.Add($"{path}/options/{i}/key", t("Settings.OptionDuplicate"));
        }
    }
}

/// <summary>Several options of the field's own list, stored as a JSON array of keys.</summary>
public sealed class MultiSelectField : FieldType
{
    public override string Name => FieldTypes.MultiSelect;
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.Select];
    public override bool OwnsOptions => true;
    public override IReadOnlyList<(string Key, LocalizedText Label)> Choices(FieldContext ctx) => (ctx.Settings.Options ?? []).Where(o => !o.IsArchived).Select(o => (o.Key, o.Label)).ToList();
    public override FieldSettings NewSettings() => new() { Options = [] };
    public override FieldValueKind ValueKind => FieldValueKind.Choices;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default", "Options"];

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        base.ValidateSettings(ctx, errors, path, t);
        SelectField.ValidateOptions(ctx.Settings.Options, errors, path, t);
    }

    public override JsonSchema BuildSchema(FieldContext ctx)
    {
        var item = new JsonSchema { Type = JsonObjectType.String };
        foreach (var o in ctx.Settings.Options ?? []) item.Enumeration.Add(o.Key);
        return new JsonSchema { Type = JsonObjectType.Array, Item = item, UniqueItems = true };
    }

    public override ValueChecker CompileCheck(FieldContext ctx, bool required)
        => ValueChecks.List(!required, required, ValueChecks.String(nullable: false, nonEmpty: false, options: (ctx.Settings.Options ?? []).Select(o => o.Key)));

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx) => value switch
    {
        JsonArray { Count: 0 } => null,
        JsonValue v when v.TryGetValue<string>(out var s) && string.IsNullOrWhiteSpace(s) => null,
        JsonValue v when v.TryGetValue<string>(out var s) => new JsonArray(JsonValue.Create(s.Trim())),
        _ => value?.DeepClone(),
    };

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is JsonArray a
            ? string.Join(", ", a.Select(n => n?.GetValue<string>() is { } k ? (ctx.Settings.Options?.FirstOrDefault(o => o.Key == k)?.Label.Get(dc.Culture) ?? k) : ""))
            : base.Display(value, ctx, dc);

    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        var select = new SelectField();
        IEnumerable<string> parts = from.Type switch
        {
            ChoiceFieldBase c when value is JsonValue v && v.TryGetValue<string>(out var k)
                => [c.Options(from).FirstOrDefault(o => o.Key == k) is { Key: not null } o ? o.Label.ZhCn : k, k],
            _ when from.Type.ValueKind == FieldValueKind.Text && value is JsonValue tv && tv.TryGetValue<string>(out var s)
                => s.Split([',', ';', '，', '；', '、'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            _ => [],
        };
        var keys = new List<string>();
        var list = parts.ToList();
        if (from.Type is ChoiceFieldBase)
        {
            // Either the label or the key of the old option must name an option here.
            if ((select.Match(to, list[0]) ?? select.Match(to, list[1])) is { } k) keys.Add(k);
        }
        else
        {
            foreach (var part in list)
            {
                if (select.Match(to, part) is not { } k) return false;
                if (!keys.Contains(k)) keys.Add(k);
            }
        }
        if (keys.Count == 0) return false;
        converted = new JsonArray(keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());
        return true;
    }
}
