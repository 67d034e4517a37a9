using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Core.Accounts;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;

namespace Crm.Core.Design;

/// <summary>Small rules every designer check shares: labels, icons, colours and a field's settings bag.</summary>
public static partial class DesignRules
{
    public const int MaxLabelLength = 100;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex IconPattern();

    public static bool IsIcon(string? name) => name is not null && IconPattern().IsMatch(name);

    /// <summary>Trims both languages and fills an empty one with the other (what a user typed in one language).</summary>
    public static LocalizedText Tidy(LocalizedText? text)
    {
        var zh = text?.ZhCn?.Trim() ?? "";
        var en = text?.En?.Trim() ?? "";
        return new LocalizedText(zh.Length == 0 ? en : zh, en.Length == 0 ? zh : en);
    }

    /// <summary>The names a label gives in either language, trimmed (compare them case-insensitively).</summary>
    public static IReadOnlyList<string> LabelNames(LocalizedText? text)
        => new[] { text?.ZhCn?.Trim() ?? "", text?.En?.Trim() ?? "" }.Where(s => s.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    public static bool IsEmpty(LocalizedText? text) => text is null || (string.IsNullOrWhiteSpace(text.ZhCn) && string.IsNullOrWhiteSpace(text.En));

    public static bool IsTooLong(LocalizedText text) => text.ZhCn.Length > MaxLabelLength || text.En.Length > MaxLabelLength;

    /// <summary>Keeps only the settings the field type offers (a type picked and then changed leaves none behind).</summary>
    public static FieldSettings Clean(string type, FieldSettings s)
    {
        var fieldType = FieldTypeRegistry.Find(type);
        if (fieldType is null) return s;
        var names = fieldType.SettingNames;
        bool Has(string name) => names.Contains(name);
        var options = Has("Options")
            ? (s.Options ?? []).Select(o => o with { Label = Tidy(o.Label), Color = string.IsNullOrWhiteSpace(o.Color) ? null : o.Color }).ToList()
            : null;
        return new FieldSettings
        {
            Required = Has("Required") && s.Required,
            Unique = Has("Unique") && s.Unique,
            Default = Has("Default") && !IsBlank(s.Default) ? s.Default!.DeepClone() : null,
            Min = Has("Min") ? s.Min : null,
            Max = Has("Max") ? s.Max : null,
            MaxLength = Has("MaxLength") ? s.MaxLength : null,
            Pattern = Has("Pattern") && !string.IsNullOrWhiteSpace(s.Pattern) ? s.Pattern : null,
            PatternMessage = Has("PatternMessage") && !IsEmpty(s.PatternMessage) ? Tidy(s.PatternMessage) : null,
            Options = options,
            // A formula shown as money uses the currency too.
            Currency = Has("Currency") || (type == FieldTypes.Formula && s.Format == "money") ? s.Currency : null,
            Decimals = Has("Decimals") ? s.Decimals : null,
            Target = Has("Target") ? s.Target : null,
            StatusList = Has("StatusList") ? s.StatusList : null,
            Prefix = Has("Prefix") ? s.Prefix : null,
            Digits = Has("Digits") ? s.Digits : null,
            SerialPattern = Has("SerialPattern") && !string.IsNullOrWhiteSpace(s.SerialPattern) ? s.SerialPattern.Trim() : null,
            SerialReset = Has("SerialPattern") && !string.IsNullOrWhiteSpace(s.SerialPattern) && s.SerialReset is { } reset && reset != Fields.SerialReset.Never ? reset : null,
            Expression = Has("Expression") ? s.Expression?.Trim() : null,
            Format = Has("Format") ? s.Format : null,
            ResultType = Has("ResultType") && s.ResultType is { } rt && rt != "number" ? rt : null,
            ShowInList = s.ShowInList,
            FormerKeys = s.FormerKeys is { Count: > 0 } ? s.FormerKeys : null,
            Fill = Has("Target") && s.Fill is { Count: > 0 } ? s.Fill.Where(p => !string.IsNullOrWhiteSpace(p.From) && !string.IsNullOrWhiteSpace(p.To)).ToList() is { Count: > 0 } fill ? fill : null : null,
            PickFilter = Has("Target") && s.PickFilter is { Count: > 0 } ? s.PickFilter.Where(f => !string.IsNullOrWhiteSpace(f.Field)).ToList() is { Count: > 0 } filter ? filter : null : null,
            ShowFields = Has("Target") && s.ShowFields is { Count: > 0 } ? s.ShowFields.Where(k => !string.IsNullOrWhiteSpace(k)).Distinct(StringComparer.Ordinal).ToList() is { Count: > 0 } show ? show : null : null,
            Multiple = Has("Multiple") && s.Multiple == true ? true : null,
            // A subform's columns keep only the settings of their own types (and never columns of their own).
            Columns = Has("Columns") ? (s.Columns ?? []).Select(c => c with
            {
                Key = c.Key.Trim(),
                Label = Tidy(c.Label),
                // The footer setting belongs to the column, not to its type ("sum" is the default: no setting).
                Settings = Clean(c.Type, c.Settings with { Columns = null }) with
                {
                    Default = null, Unique = false, ShowInList = null,
                    Total = c.Settings.Total is null or Fields.Types.SubformField.TotalSum ? null : c.Settings.Total,
                },
            }).ToList() : null,
            MinRows = Has("MinRows") ? s.MinRows : null,
            MaxRows = Has("MaxRows") ? s.MaxRows : null,
            MaxFiles = Has("MaxFiles") ? s.MaxFiles : null,
            MaxFileSizeMb = Has("MaxFileSizeMb") ? s.MaxFileSizeMb : null,
            FileKinds = Has("FileKinds") && s.FileKinds is { Count: > 0 } ? s.FileKinds.Distinct(StringComparer.Ordinal).ToList() : null,
        };
    }

    private static bool IsBlank(JsonNode? node) => node is null || (node is JsonValue v && v.TryGetValue<string>(out var s) && string.IsNullOrWhiteSpace(s));

    /// <summary>Default values that stand for something resolved when a record is created.</summary>
    public static bool IsDynamicDefault(string type, JsonNode? value)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && FieldTypeRegistry.Find(type)?.DynamicDefaults.Contains(s) == true;

    /// <summary>
    /// Checks one value against the field as the record validator would (its JSON Schema and choice rules).
    /// Returns the first message, or null when the value is valid.
    /// </summary>
    public static string? CheckValue(EntityMeta entity, FieldDefinition field, JsonNode? value, RecordValidator validator)
    {
        var type = FieldTypeRegistry.Get(field.Type);
        var normalized = type.Normalize(value, new FieldContext(field, entity));
        if (normalized is null) return null;
        var values = new JsonObject { [field.Key] = normalized };
        var errors = new ValidationErrors();
        validator.Validate(entity, new JsonObject(), values, entity.DefaultPipeline, errors);
        return errors.For(field.Key).FirstOrDefault();
    }
}
