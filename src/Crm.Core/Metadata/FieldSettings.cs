using System.Text.Json.Nodes;

namespace Crm.Core.Metadata;

/// <summary>
/// The settings bag of a field. Each field type reads the settings it understands (see its
/// <c>SettingNames</c>) and validates them; the rest stay null. Stored as JSON.
/// </summary>
public sealed record FieldSettings
{
    public bool Required { get; init; }
    public bool Unique { get; init; }
    public JsonNode? Default { get; init; }
    public decimal? Min { get; init; }
    public decimal? Max { get; init; }
    public int? MaxLength { get; init; }
    public string? Pattern { get; init; }
    public LocalizedText? PatternMessage { get; init; }
    public List<ChoiceOption>? Options { get; init; }
    public string? Currency { get; init; }
    public int? Decimals { get; init; }
    /// <summary>lookup: the target entity type key.</summary>
    public string? Target { get; init; }
    /// <summary>status: the status list key.</summary>
    public string? StatusList { get; init; }
    public string? Prefix { get; init; }
    public int? Digits { get; init; }
    /// <summary>autonumber: a serial pattern with date parts, "HT-{yyyyMMdd}-{0000}" (replaces prefix and digits).</summary>
    public string? SerialPattern { get; init; }
    /// <summary>autonumber with a pattern: when the counter starts again (<see cref="Fields.SerialReset"/>; null: never).</summary>
    public string? SerialReset { get; init; }
    public string? Expression { get; init; }
    /// <summary>formula: number, money or percent.</summary>
    public string? Format { get; init; }
    /// <summary>formula: what the formula gives (<see cref="Fields.Types.FormulaField.ResultTypes"/>; null: number).</summary>
    public string? ResultType { get; init; }
    /// <summary>department: several departments (an array of ids) instead of one.</summary>
    public bool? Multiple { get; init; }
    /// <summary>lookup (数据联动): fields of the picked record copied into fields of this form when the lookup is picked or changed.</summary>
    public List<LookupFill>? Fill { get; init; }
    /// <summary>lookup: list filters on the target entity type limiting the records offered (values may be "$form.key").</summary>
    public List<Views.FilterSpec>? PickFilter { get; init; }
    /// <summary>lookup (关联数据): fields of the picked record shown read-only under the lookup.</summary>
    public List<string>? ShowFields { get; init; }
    /// <summary>Any type: the admin asked for this field as a column of the default list (null: never chosen).
    /// Switching it on adds the field to the default view's columns, switching it off removes it.</summary>
    public bool? ShowInList { get; init; }
    /// <summary>subform: the columns of its rows (each a field of a scalar type with its own settings).</summary>
    public List<SubformColumn>? Columns { get; init; }
    /// <summary>subform column of a numeric type: what its footer shows (<see cref="Fields.Types.SubformField.Totals"/>:
    /// "avg", "none"; null: the sum).</summary>
    public string? Total { get; init; }
    /// <summary>subform: the fewest rows a record may have (null: none).</summary>
    public int? MinRows { get; init; }
    /// <summary>subform: the most rows a record may have (null: <see cref="Fields.Types.SubformField.RowLimit"/>).</summary>
    public int? MaxRows { get; init; }
    /// <summary>file, image: the most files a record may hold (null: <see cref="Fields.Types.FileFieldBase.DefaultMaxFiles"/>).</summary>
    public int? MaxFiles { get; init; }
    /// <summary>file, image: the largest file in MB (null: the app's cap, <see cref="Files.FileStorageOptions.MaxUploadBytes"/>; never above it).</summary>
    public int? MaxFileSizeMb { get; init; }
    /// <summary>file: the kinds of files taken (<see cref="Files.FileKinds"/>; null: all).</summary>
    public List<string>? FileKinds { get; init; }
    /// <summary>Keys this field had before template upgrades renamed it (oldest first): record history written under an
    /// old key is told with this field's label, and an export says <c>renamedFrom</c> the latest one. Not a setting an
    /// admin edits; upgrades compare settings without it.</summary>
    public List<string>? FormerKeys { get; init; }

    public bool Equals(FieldSettings? other)
        => other is not null && Json.Serialize(this) == Json.Serialize(other);

    public override int GetHashCode() => Json.Serialize(this).GetHashCode();
}

/// <summary>A pair of a lookup's <see cref="FieldSettings.Fill"/>: field <paramref name="From"/> of the target entity type into field <paramref name="To"/> of this form.</summary>
public sealed record LookupFill(string From, string To);

/// <summary>An option of a single or multi select.</summary>
public sealed record ChoiceOption(string Key, LocalizedText Label, string? Color = null, bool IsArchived = false);

/// <summary>
/// A column of a subform (子表单): a key within the row, a scalar field type (<see cref="Fields.Types.SubformField.ColumnTypes"/>),
/// a label and that type's settings. <see cref="AsField"/> makes it a field so that the type's own checks, display and
/// editors serve the cells.
/// </summary>
public sealed record SubformColumn
{
    public string Key { get; init; } = "";
    public string Type { get; init; } = "text";
    public LocalizedText Label { get; init; } = LocalizedText.Same("");
    public FieldSettings Settings { get; init; } = new();

    public bool Equals(SubformColumn? other) => other is not null && Json.Serialize(this) == Json.Serialize(other);
    public override int GetHashCode() => Json.Serialize(this).GetHashCode();

    /// <summary>The column as a field (not stored; its id is derived from the key so that renders stay stable).</summary>
    public FieldDefinition AsField() => new() { Key = Key, Type = Type, Label = Label, Settings = Settings };
}
