using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Crm.Core.Fields;

/// <summary>What is wrong with one value; <see cref="Records.RecordValidator"/> turns it into the field's message
/// ("Validation.*" in CoreStrings). <see cref="Required"/> wins over any other problem of the same value.</summary>
public enum ValueProblem
{
    None,
    Required,
    Text,
    TooLong,
    Number,
    TooSmall,
    TooBig,
    Boolean,
    List,
    NotAnOption,
    Date,
    DateTime,
    Email,
    Url,
    Reference,
    /// <summary>A value of the wrong JSON kind where no other problem says which (a subform row that is not an object).</summary>
    Type,
}

/// <summary>Checks one value of one field (null: the value is JSON null). Built once per field by
/// <see cref="FieldType.CompileCheck"/>, run for every write.</summary>
public delegate ValueProblem ValueChecker(JsonNode? value);

/// <summary>
/// The building blocks field types compile their value checks from. They give the verdicts the entity's JSON Schema
/// gave under NJsonSchema (same checks, same order, same format rules), without serialising the record: an
/// optional field takes null, a required one refuses it as the wrong type; a required text without options must not
/// be empty, a required list must not be; the first problem of a value is reported.
/// </summary>
public static class ValueChecks
{
    /// <summary>A string value. <paramref name="nonEmpty"/>: at least one character (required, no options);
    /// <paramref name="options"/>: the allowed values (none: any).</summary>
    public static ValueChecker String(bool nullable, bool nonEmpty, int? maxLength = null, Func<string, bool>? format = null,
        ValueProblem formatProblem = ValueProblem.None, IEnumerable<string>? options = null)
    {
        var allowed = options?.ToHashSet(StringComparer.Ordinal);
        if (allowed is { Count: 0 }) allowed = null;
        return value =>
        {
            if (value is null) return nullable ? ValueProblem.None : ValueProblem.Text;
            if (!TryString(value, out var s)) return ValueProblem.Text;
            if (nonEmpty && s.Length < 1) return ValueProblem.Required;
            if (maxLength is { } max && s.Length > max) return ValueProblem.TooLong;
            if (format is not null && !format(s)) return formatProblem;
            if (allowed is not null && !allowed.Contains(s)) return ValueProblem.NotAnOption;
            return ValueProblem.None;
        };
    }

    /// <summary>A number within <paramref name="min"/> and <paramref name="max"/> (inclusive).</summary>
    public static ValueChecker Number(bool nullable, decimal? min = null, decimal? max = null) => value =>
    {
        if (value is null) return nullable ? ValueProblem.None : ValueProblem.Number;
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return ValueProblem.Number;
        if (JsonNumbers.TryGetDecimal(v, out var d))
        {
            if (min is { } lo && d < lo) return ValueProblem.TooSmall;
            if (max is { } hi && d > hi) return ValueProblem.TooBig;
            return ValueProblem.None;
        }
        // Beyond decimal: compared as a double, as the schema validator does.
        var x = double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        if (min is { } l && x < (double)l) return ValueProblem.TooSmall;
        if (max is { } h && x > (double)h) return ValueProblem.TooBig;
        return ValueProblem.None;
    };

    public static ValueChecker Boolean(bool nullable) => value =>
        value is null ? (nullable ? ValueProblem.None : ValueProblem.Boolean)
        : value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? ValueProblem.None
        : ValueProblem.Boolean;

    /// <summary>A list of distinct items, each checked by <paramref name="item"/>; <paramref name="nonEmpty"/>: at least one.</summary>
    public static ValueChecker List(bool nullable, bool nonEmpty, ValueChecker item) => value =>
    {
        if (value is null) return nullable ? ValueProblem.None : ValueProblem.List;
        if (value is not JsonArray array) return ValueProblem.List;
        if (nonEmpty && array.Count < 1) return ValueProblem.Required;
        if (array.Count > 1)
        {
            // Items compare by their text, as the schema validator compares them ("1" and 1 are the same item).
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var n in array)
                if (!seen.Add(ItemText(n))) return ValueProblem.List;
        }
        foreach (var n in array)
            if (item(n) is not ValueProblem.None and var problem) return problem;
        return ValueProblem.None;
    };

    /// <summary>"yyyy-MM-dd" (the schema's <c>date</c> format).</summary>
    public static bool IsDate(string s) => DateTime.TryParseExact(s, "yyyy-MM-dd", null, DateTimeStyles.None, out _);

    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd' 'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd' 'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd' 'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd' 'HH:mm", "yyyy-MM-dd'T'HH",
        "yyyy-MM-dd' 'HH", "yyyy-MM-dd", "yyyy-MM-dd'Z'", "yyyyMMdd", "yyyy-MM", "yyyy",
    ];

    private static readonly Regex DateTimePattern = new(@"^((?:(\d{4}-\d{2}-\d{2})([Tt_]| )(\d{2}:\d{2}:\d{2}(?:\.\d+)?))([Zz]|[\+-]\d{2}:\d{2}))$", RegexOptions.Compiled, TimeSpan.FromMilliseconds(250));

    /// <summary>The schema's <c>date-time</c> format (ISO-8601 and the shorter forms it accepts).</summary>
    public static bool IsDateTime(string s)
        => DateTimeOffset.TryParseExact(s, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) || DateTimePattern.IsMatch(s);

    private static readonly Regex EmailPattern = new(@"^\A(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\Z$", RegexOptions.IgnoreCase | RegexOptions.Compiled);

    /// <summary>The schema's <c>email</c> format.</summary>
    public static bool IsEmail(string s) => EmailPattern.IsMatch(s);

    /// <summary>The schema's <c>guid</c> format.</summary>
    public static bool IsGuid(string s) => Guid.TryParse(s, out _);

    /// <summary>The schema's <c>uri</c> format: an absolute address.</summary>
    public static bool IsUri(string s) => Uri.TryCreate(s, UriKind.Absolute, out _);

    /// <summary>The value as a string when it is a JSON string (also one held as a Guid or date by code).</summary>
    public static bool TryString(JsonNode value, out string s)
    {
        s = "";
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return false;
        if (v.TryGetValue<string>(out var text)) { s = text; return true; }
        s = JsonSerializer.Deserialize<string>(v.ToJsonString()) ?? "";
        return true;
    }

    private static string ItemText(JsonNode? n) => n switch
    {
        null => "",
        JsonValue v when TryString(v, out var s) => s,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "True",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "False",
        _ => n.ToJsonString(),
    };
}
