using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Metadata;
using NJsonSchema;

namespace Crm.Core.Fields;

/// <summary>How a field's value is stored in the record JSON, which decides how SQL compares and sorts it.</summary>
public enum FieldValueKind
{
    /// <summary>A JSON string compared as text.</summary>
    Text,
    /// <summary>A JSON number.</summary>
    Number,
    Boolean,
    /// <summary>"yyyy-MM-dd".</summary>
    Date,
    /// <summary>ISO-8601 UTC, "yyyy-MM-ddTHH:mm:ssZ".</summary>
    DateTime,
    /// <summary>A key of an option (select, status, stage).</summary>
    Choice,
    /// <summary>A JSON array of option keys.</summary>
    Choices,
    /// <summary>A GUID string pointing at a record or a user.</summary>
    Reference,
    /// <summary>A JSON array of row objects (a subform): not filtered, sorted or grouped by SQL.</summary>
    Rows,
    /// <summary>A JSON object of region codes and a detail line (an address): filtered and grouped by a part's code.</summary>
    Address,
}

/// <summary>The field and where it lives, handed to a field type.</summary>
public sealed record FieldContext(FieldDefinition Field, EntityMeta Entity)
{
    public FieldSettings Settings => Field.Settings;
    public TenantMetadata Metadata => Entity.Owner;
    public FieldType Type => FieldTypeRegistry.Get(Field.Type);
    public string Label(CultureInfo? culture = null) => Field.Label.Get(culture);
}

/// <summary>
/// One kind of field: its settings, its JSON Schema fragment, its value normalisation and display, and which
/// other kinds its values convert from. One class per kind in <c>Fields/Types</c>, registered in
/// <see cref="FieldTypeRegistry"/>; the web project pairs each with an editor component by <see cref="Name"/>.
/// </summary>
public abstract class FieldType
{
    public abstract string Name { get; }
    public abstract FieldValueKind ValueKind { get; }
    /// <summary>Values are computed by the server (auto-number, formula); input is ignored.</summary>
    public virtual bool IsComputed => false;
    /// <summary>Included in the global search text.</summary>
    public virtual bool IsSearchable => false;
    /// <summary>Can be summed and averaged in reports and board headers.</summary>
    public virtual bool IsNumeric => ValueKind == FieldValueKind.Number;
    /// <summary><see cref="IsNumeric"/> for a field with these settings: a formula is numeric only when its result
    /// type is number (a text, date or boolean formula is not summed, averaged or given a number format).</summary>
    public virtual bool IsNumericFor(Metadata.FieldSettings settings) => IsNumeric;

    /// <summary>Whether <paramref name="field"/> holds numbers (totals, report measures, the number format): its type's
    /// <see cref="IsNumericFor"/> with its settings; false for an unknown type.</summary>
    public static bool IsNumericField(Metadata.FieldDefinition? field) => field is not null && FieldTypeRegistry.Find(field.Type)?.IsNumericFor(field.Settings) == true;
    /// <summary>Can make board columns and report groups.</summary>
    public virtual bool IsGroupable => ValueKind is FieldValueKind.Choice;

    /// <summary>The settings the designer offers for this type (names of <see cref="FieldSettings"/> properties).</summary>
    public abstract IReadOnlyList<string> SettingNames { get; }

    /// <summary>How values are stored for a field with these settings (a type whose shape depends on a setting,
    /// like a department field that holds one or several, overrides it). SQL filters and sorts follow it.</summary>
    public virtual FieldValueKind KindOf(FieldSettings settings) => ValueKind;

    /// <summary>The settings a new field of this type starts with in the designer.</summary>
    public virtual FieldSettings NewSettings() => new();

    /// <summary>The types a field of this type may be changed into (<see cref="Design.FieldTypeChanger"/>); values
    /// convert by the target's <see cref="TryConvertFrom"/>. Computed and reference types offer none.</summary>
    public virtual IReadOnlyList<string> ConversionTargets => [];

    /// <summary>The record columns (<see cref="FieldBindings"/>) a field of this type can feed.</summary>
    public virtual IReadOnlyList<string> Bindings => [];

    /// <summary>Default values that are resolved when a record is made ("$me", "$today", "$now").</summary>
    public virtual IReadOnlyList<string> DynamicDefaults => [];

    /// <summary>The value a dynamic default stands for; null when <paramref name="token"/> is not one of this type's.</summary>
    public virtual JsonNode? ResolveDefault(string token, Guid userId, DateTime utcNow) => null;

    /// <summary>How reports group by it.</summary>
    public virtual ReportGrouping Grouping => ReportGrouping.None;

    /// <summary>How report cells and board totals of its numbers read.</summary>
    public virtual NumberFormat NumberFormat(FieldSettings settings) => Fields.NumberFormat.Number;

    /// <summary>Values name members, records or departments: their names are loaded once per page
    /// (<see cref="Records.RecordDirectory.NamesAsync"/>) and handed to <see cref="Display"/>.</summary>
    public virtual bool ShowsNames => false;

    /// <summary>The ids of members, records or departments a value names (for loading their names).</summary>
    public virtual IEnumerable<Guid> ReferencedIds(JsonNode? value) => [];

    /// <summary>Offered as a column of a new entity type's default list (long text is not).</summary>
    public virtual bool InDefaultList => true;

    /// <summary>Values are taken from a sequence counter when a record is created (<see cref="Types.AutoNumberField.Format"/>).</summary>
    public virtual bool NumbersRecords => false;

    /// <summary>Values are days or moments: a date automation trigger may watch the field.</summary>
    public virtual bool IsDate => ValueKind is FieldValueKind.Date or FieldValueKind.DateTime;

    /// <summary>Values point at a record of the entity type named by <see cref="FieldSettings.Target"/> (a lookup):
    /// the writer checks the record exists, automation follows it to related records, sample data and a new
    /// record's query string may name one.</summary>
    public virtual bool LinksRecords => false;

    /// <summary>Values are workspace members: the writer checks membership, permissions may let such a field make a
    /// record "own" (<c>ownerFields</c>), automation offers members as values, a new record's query string may name one.</summary>
    public virtual bool NamesMembers => false;

    /// <summary>Options are kept in the field's own settings (<see cref="FieldSettings.Options"/>), so the designer
    /// edits and deletes them with the field (a status list or a pipeline is edited on its own).</summary>
    public virtual bool OwnsOptions => false;

    /// <summary>Can make the columns of a board (one column per option).</summary>
    public virtual bool MakesBoardColumns => ValueKind is FieldValueKind.Choice;

    /// <summary>Values are computed from other fields of the record on every write (a formula), so a field hidden
    /// from someone hides such fields that read it too.</summary>
    public virtual bool ReadsOtherFields => false;

    /// <summary>The options a value may name, archived ones left out, for pickers (automation conditions, report
    /// filters); empty for a type without options.</summary>
    public virtual IReadOnlyList<(string Key, Metadata.LocalizedText Label)> Choices(FieldContext ctx) => [];

    /// <summary>
    /// A dynamic default in sample data, which may carry a day offset ("$today+3", "$today-2.5"): the value of the
    /// default this type resolves, taken that many days later; null when the token is not one of this type's.
    /// </summary>
    public JsonNode? ResolveSample(string token, Guid userId, DateTime utcNow)
    {
        var days = 0d;
        var sign = token.IndexOfAny(['+', '-'], 1);
        if (sign > 0 && double.TryParse(token[sign..], NumberStyles.Float, CultureInfo.InvariantCulture, out var offset))
        {
            days = offset;
            token = token[..sign];
        }
        return DynamicDefaults.Contains(token) ? ResolveDefault(token, userId, utcNow.AddDays(days)) : null;
    }

    /// <summary>Checks the settings; errors are keyed by <paramref name="path"/> + "/" + setting name.</summary>
    public virtual void ValidateSettings(FieldContext ctx, ValidationErrors errors, string path, Func<string, string> t)
    {
        var s = ctx.Settings;
        if (s.Min is { } min && s.Max is { } max && min > max) errors.Add(path + "/max", t("Settings.MinAboveMax"));
        if (s.MaxLength is < 1) errors.Add(path + "/maxLength", t("Settings.MaxLength"));
        if (s.Pattern is { } pattern && SettingNames.Contains("Pattern"))
        {
            switch (FieldPattern.Check(pattern))
            {
                case PatternProblem.Invalid: errors.Add(path + "/pattern", t("Settings.Pattern")); break;
                case PatternProblem.TooLong: errors.Add(path + "/pattern", string.Format(System.Globalization.CultureInfo.CurrentCulture, t("Settings.PatternTooLong"), FieldPattern.MaxPatternLength)); break;
                case PatternProblem.Unsupported: errors.Add(path + "/pattern", t("Settings.PatternUnsupported")); break;
            }
        }
    }

    /// <summary>
    /// The patterns a value must match. <see cref="Records.RecordValidator"/> runs them through
    /// <see cref="FieldPattern"/> (linear time), never through the JSON Schema validator, which backtracks.
    /// </summary>
    public virtual IEnumerable<ValuePattern> Patterns(FieldContext ctx) => [];

    /// <summary>The JSON Schema of one value (without null; the compiler adds null for optional fields).</summary>
    public abstract JsonSchema BuildSchema(FieldContext ctx);

    /// <summary>
    /// The check of one value that every write runs (<see cref="Records.RecordValidator"/>), built once per field
    /// and entity-type version: the rules of <see cref="BuildSchema"/> (without patterns, which run through
    /// <see cref="Patterns"/>), checked on the value itself. <paramref name="required"/>: the field must have a
    /// value (null and, for text without options and lists, empty are refused).
    /// </summary>
    public abstract ValueChecker CompileCheck(FieldContext ctx, bool required);

    /// <summary>Tidies an input value before validation (trims, drops empty strings, canonical dates). Never throws.</summary>
    public virtual JsonNode? Normalize(JsonNode? value, FieldContext ctx) => value is JsonValue v && v.TryGetValue<string>(out var s)
        ? (string.IsNullOrWhiteSpace(s) ? null : JsonValue.Create(Text.StorableText.Clean(s)))
        : value?.DeepClone();

    /// <summary>The value as text for lists, exports and the timeline.</summary>
    public virtual string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is null ? "" : value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString();

    /// <summary>A change of the value as the timeline tells it: the old and the new value as text (a subform
    /// summarises the rows added, removed and changed instead of listing them).</summary>
    public virtual (string Old, string New) DisplayChange(JsonNode? old, JsonNode? @new, FieldContext ctx, DisplayContext dc)
        => (Display(old, ctx, dc), Display(@new, ctx, dc));

    /// <summary>Converts a value of another field type into this one; false when it does not convert.</summary>
    public virtual bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        if (from.Type.Name == Name) { converted = value.DeepClone(); return true; }
        return false;
    }

    /// <summary>
    /// Problems inside a value that its <see cref="CompileCheck"/> (the shape) let through: a subform's cells, row by
    /// row. Each names its path below the field ("1/qty": second row, column qty), the part as a field (its label
    /// already says where: "产品明细[2].数量") and the problem, or a ready message key (row counts).
    /// </summary>
    public virtual IEnumerable<PartProblem> PartProblems(FieldContext ctx, JsonNode? value) => [];

    /// <summary>The writer runs <see cref="PartProblems"/> on values that pass the shape check.</summary>
    public virtual bool ChecksParts => ValueKind == FieldValueKind.Rows;

    protected static readonly IReadOnlyList<string> Common = ["Required", "Default"];
}

/// <summary>A problem inside a value (<see cref="FieldType.PartProblems"/>): <paramref name="Path"/> below the field
/// ("" for the value as a whole), the part as a field, and either a value problem or a message key with arguments.</summary>
public sealed record PartProblem(string Path, FieldDefinition Part, ValueProblem Problem, string? MessageKey = null, object[]? Arguments = null);

/// <summary>A pattern a value must match; <paramref name="Custom"/> when the tenant set it (its message is the field's PatternMessage).</summary>
public sealed record ValuePattern(string Pattern, bool Custom);

/// <summary>What displaying a value needs: the culture, localized words, the viewer's time zone and names of
/// referenced users and records (loaded in one query per page, never per value).</summary>
public sealed record DisplayContext(CultureInfo Culture, Func<string, string> T, IReadOnlyDictionary<Guid, string>? Names = null, TimeZoneInfo? TimeZone = null)
{
    /// <summary>The displayed record's pipeline: stage keys are only unique within a pipeline.</summary>
    public Guid? PipelineId { get; init; }

    public DateTime ToLocal(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), TimeZone ?? TimeZoneInfo.Utc);
    public string? Name(Guid id) => Names is not null && Names.TryGetValue(id, out var n) ? n : null;
}
