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

    public bool Equals(FieldSettings? other)
        => other is not null && Json.Serialize(this) == Json.Serialize(other);

    public override int GetHashCode() => Json.Serialize(this).GetHashCode();
}

/// <summary>A pair of a lookup's <see cref="FieldSettings.Fill"/>: field <paramref name="From"/> of the target entity type into field <paramref name="To"/> of this form.</summary>
public sealed record LookupFill(string From, string To);

/// <summary>An option of a single or multi select.</summary>
public sealed record ChoiceOption(string Key, LocalizedText Label, string? Color = null, bool IsArchived = false);
