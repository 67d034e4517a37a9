using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Views;

namespace Crm.Core.Automation;

/// <summary>
/// Decides a rule's conditions on the values just written, in memory (no query per write): the list filter model
/// (<see cref="FilterSpec"/>, the ops and "$me"/"$today±N" of <see cref="RecordFilters"/>) over one record, joined
/// with AND or OR, and "changed from/to" over the save's changes. A test holds it to the SQL filters' answers.
/// </summary>
public static class RuleConditionEvaluator
{
    public static bool Matches(RuleConditions conditions, EntityMeta entity, Record record, JsonObject values,
        IReadOnlyList<FieldChange>? changes, Guid me, DateTime utcNow, TimeZoneInfo zone)
    {
        foreach (var change in conditions.Changes)
            if (!Changed(change, entity, changes)) return false;
        if (conditions.Filters.Count == 0) return true;
        var any = conditions.Match == "any";
        foreach (var filter in conditions.Filters)
        {
            var ok = Matches(filter, entity, record, values, me, utcNow, zone);
            if (any && ok) return true;
            if (!any && !ok) return false;
        }
        return !any;
    }

    private static bool Changed(ChangeCondition condition, EntityMeta entity, IReadOnlyList<FieldChange>? changes)
    {
        var key = FieldKey(entity, condition.Field);
        var change = changes?.LastOrDefault(c => c.Field == key);
        if (change is null) return false;
        return (condition.From is null || Texts(change.Old).Contains(condition.From))
            && (condition.To is null || Texts(change.New).Contains(condition.To));
    }

    /// <summary>"$owner", "$stage", "$status" name the bound fields.</summary>
    private static string FieldKey(EntityMeta entity, string field) => field switch
    {
        "$owner" => entity.Entity.OwnerFieldKey ?? field,
        "$stage" => entity.Entity.StageFieldKey ?? field,
        "$status" => entity.Entity.StatusFieldKey ?? field,
        _ => field,
    };

    public static bool Matches(FilterSpec filter, EntityMeta entity, Record record, JsonObject values, Guid me, DateTime utcNow, TimeZoneInfo zone)
    {
        var wanted = Wanted(filter.Value, me, utcNow, zone);
        List<string> actual = filter.Field switch
        {
            "$title" => [record.Title],
            "$createdAt" => [record.CreatedAt.ToString("O", CultureInfo.InvariantCulture)],
            "$updatedAt" => [record.UpdatedAt.ToString("O", CultureInfo.InvariantCulture)],
            _ => entity.Field(FieldKey(entity, filter.Field)) is { } field ? Texts(values[field.Key]) : [],
        };
        // A status value may name the option or its group ("at_risk"), as in lists.
        if (FieldKey(entity, filter.Field) == entity.Entity.StatusFieldKey && entity.StatusField is { } sf
            && entity.Owner.StatusList(sf.Settings.StatusList) is { } list)
            actual = [.. actual, .. actual.Select(k => list.Option(k)?.GroupKey).OfType<string>()];

        var first = wanted.FirstOrDefault() ?? "";
        bool Eq() => actual.Any(a => wanted.Any(w => Same(a, w)));
        return filter.Op switch
        {
            "empty" => actual.All(string.IsNullOrEmpty),
            "notEmpty" => actual.Any(a => !string.IsNullOrEmpty(a)),
            "eq" or "in" => Eq(),
            "neq" or "nin" => !Eq(),
            "contains" => actual.Any(a => a.Contains(first, StringComparison.OrdinalIgnoreCase)),
            "gt" => actual.Any(a => Compare(a, first) > 0),
            "gte" => actual.Any(a => Compare(a, first) >= 0),
            "lt" => actual.Any(a => Compare(a, first) < 0),
            "lte" => actual.Any(a => Compare(a, first) <= 0),
            "between" => actual.Any(a => Compare(a, first) >= 0 && Compare(a, wanted.Skip(1).FirstOrDefault() ?? "") <= 0),
            _ => true, // an unknown op filters nothing, as in lists
        };
    }

    /// <summary>A value as texts: one per item of a multi-select, "true"/"false" for booleans, none when empty.</summary>
    public static List<string> Texts(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a => a.Select(Text).OfType<string>().ToList(),
        _ => Text(node) is { } s ? [s] : [],
    };

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        _ => node.ToJsonString(),
    };

    private static List<string> Wanted(JsonNode? value, Guid me, DateTime utcNow, TimeZoneInfo zone)
    {
        IEnumerable<JsonNode?> nodes = value is JsonArray a ? a : new[] { value };
        return nodes.Select(Text).OfType<string>().Select(s => Resolve(s, me, utcNow, zone)).ToList();
    }

    /// <summary>"$me" and "$today±N" as in list filters.</summary>
    public static string Resolve(string s, Guid me, DateTime utcNow, TimeZoneInfo zone)
    {
        if (s == "$me") return me.ToString();
        if (s.StartsWith("$today", StringComparison.Ordinal))
            return RecordFilters.Today(s["$today".Length..].Replace("+", "", StringComparison.Ordinal), utcNow, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return s;
    }

    private static bool Same(string a, string b)
        => a == b || (Number(a) is { } x && Number(b) is { } y && x == y) || (a is "true" or "false" && (b is "1" or "yes" ? "true" : b is "0" or "no" ? "false" : b) == a);

    private static int Compare(string a, string b)
        => Number(a) is { } x && Number(b) is { } y ? x.CompareTo(y) : string.CompareOrdinal(a, b);

    private static double? Number(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
}
