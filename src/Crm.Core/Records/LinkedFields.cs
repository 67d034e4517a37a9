using System.Text.Json.Nodes;
using Crm.Core.Automation;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Views;

namespace Crm.Core.Records;

/// <summary>
/// Linked fields (数据联动 / 关联数据) of a lookup field, from its settings: <see cref="FieldSettings.Fill"/> copies
/// fields of the picked record into this form's fields, <see cref="FieldSettings.PickFilter"/> limits the records
/// offered (list filters on the target entity type, whose values may name this form's fields as "$form.key"),
/// <see cref="FieldSettings.ShowFields"/> shows fields of the picked record read-only under the lookup.
/// The functions work on any value object (a record's values, a subform row): the form, the record writer and
/// anything else that sets a lookup call the same code.
/// </summary>
public static class LinkedFields
{
    /// <summary>A filter value "$form.customer" stands for this form's value of field "customer".</summary>
    public const string FormToken = "$form.";

    /// <summary>The lookup fields of <paramref name="entity"/> that fill, filter or show anything.</summary>
    public static IEnumerable<FieldDefinition> Linking(EntityMeta entity)
        => entity.Fields.Where(f => f.Type == FieldTypes.Lookup && HasLinks(f.Settings));

    public static bool HasLinks(FieldSettings s) => s.Fill is { Count: > 0 } || s.PickFilter is { Count: > 0 } || s.ShowFields is { Count: > 0 };

    /// <summary>
    /// Whether a value of a <paramref name="from"/> field may be copied into a <paramref name="to"/> field: the same
    /// kind of value (text into text, numbers into number/money/percent, a select into a select by option key, a
    /// lookup into a lookup of the same target …). Computed targets (formula, auto-number) take nothing.
    /// </summary>
    public static bool Compatible(FieldDefinition from, FieldDefinition to)
    {
        var target = FieldTypeRegistry.Find(to.Type);
        var source = FieldTypeRegistry.Find(from.Type);
        if (target is null || source is null || target.IsComputed) return false;
        return to.Type switch
        {
            FieldTypes.Text => from.Type is FieldTypes.Text or FieldTypes.Email or FieldTypes.Phone or FieldTypes.Url or FieldTypes.AutoNumber,
            FieldTypes.LongText => from.Type is FieldTypes.Text or FieldTypes.LongText or FieldTypes.Email or FieldTypes.Phone or FieldTypes.Url or FieldTypes.AutoNumber,
            FieldTypes.Number or FieldTypes.Money or FieldTypes.Percent => from.Type is FieldTypes.Number or FieldTypes.Money or FieldTypes.Percent || (from.Type == FieldTypes.Formula),
            FieldTypes.Select => from.Type == FieldTypes.Select,
            FieldTypes.MultiSelect => from.Type is FieldTypes.MultiSelect or FieldTypes.Select,
            FieldTypes.Lookup => from.Type == FieldTypes.Lookup && from.Settings.Target == to.Settings.Target,
            FieldTypes.Department => from.Type == FieldTypes.Department && (from.Settings.Multiple == true) == (to.Settings.Multiple == true),
            FieldTypes.Email or FieldTypes.Phone or FieldTypes.Url or FieldTypes.Date or FieldTypes.DateTime or FieldTypes.Bool or FieldTypes.Member => from.Type == to.Type,
            _ => false, // status and stage belong to their record's list and pipeline
        };
    }

    /// <summary>
    /// The value of <paramref name="from"/> (as stored in the picked record) as a value of <paramref name="to"/>, or
    /// null when it has none that fits (an option key the target does not have, an archived one).
    /// </summary>
    public static JsonNode? Convert(FieldDefinition from, JsonNode? value, FieldDefinition to, EntityMeta toEntity)
    {
        if (value is null) return null;
        if (to.Type is FieldTypes.Select or FieldTypes.MultiSelect)
        {
            var keys = (to.Settings.Options ?? []).Where(o => !o.IsArchived).Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
            var picked = RuleConditionEvaluator.Texts(value).Where(keys.Contains).ToList();
            if (to.Type == FieldTypes.Select) return picked.Count == 1 ? JsonValue.Create(picked[0]) : null;
            return picked.Count == 0 ? null : new JsonArray(picked.Distinct(StringComparer.Ordinal).Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());
        }
        if (from.Type == FieldTypes.Formula && JsonNumbers.AsDecimal(value) is null) return null;
        return FieldTypeRegistry.Get(to.Type).Normalize(value, new FieldContext(to, toEntity));
    }

    /// <summary>
    /// Fills <paramref name="values"/> from the record <paramref name="lookup"/> picked (<paramref name="picked"/>, its
    /// values): for every pair of the lookup's <see cref="FieldSettings.Fill"/> whose target <paramref name="fills"/>
    /// accepts, the target takes the source's value (cleared when the source is empty). Sources
    /// <paramref name="canRead"/> refuses are left alone (a fill never shows a field the person may not read).
    /// Returns the keys it set. Works on any value object: a record's values, a subform row.
    /// </summary>
    public static List<string> Fill(EntityMeta entity, FieldDefinition lookup, EntityMeta target, JsonObject picked, JsonObject values,
        Func<string, bool>? fills = null, Func<string, bool>? canRead = null)
    {
        var set = new List<string>();
        foreach (var pair in lookup.Settings.Fill ?? [])
        {
            if (target.Field(pair.From) is not { IsArchived: false } from || entity.Field(pair.To) is not { IsArchived: false } to) continue;
            if (!Compatible(from, to) || (fills is not null && !fills(to.Key)) || (canRead is not null && !canRead(from.Key))) continue;
            var value = Convert(from, picked[from.Key], to, entity);
            if (value is null) values.Remove(to.Key);
            else values[to.Key] = value;
            set.Add(to.Key);
        }
        return set;
    }

    /// <summary>
    /// The lookup's pick filter with "$form.key" values replaced by this form's values (<paramref name="values"/>);
    /// a condition naming a form field that is empty is left out (until a 客户 is picked, every 联系人 is offered).
    /// </summary>
    public static List<FilterSpec> ResolveFilter(FieldDefinition lookup, JsonObject values)
    {
        var result = new List<FilterSpec>();
        foreach (var f in lookup.Settings.PickFilter ?? [])
        {
            if (f.Value is JsonValue v && v.TryGetValue<string>(out var s) && s.StartsWith(FormToken, StringComparison.Ordinal))
            {
                var own = values[s[FormToken.Length..]];
                if (FormRuleState.IsEmpty(own)) continue;
                result.Add(f with { Value = own!.DeepClone() });
            }
            else result.Add(f);
        }
        return result;
    }

    /// <summary>Whether the picked record (<paramref name="record"/> of <paramref name="target"/>) passes the resolved filter.</summary>
    public static bool Offers(IReadOnlyList<FilterSpec> filter, EntityMeta target, Record record, JsonObject pickedValues, Guid me, DateTime utcNow, TimeZoneInfo? zone = null)
        => filter.All(f => RuleConditionEvaluator.Matches(f, target, record, pickedValues, me, utcNow, zone ?? TimeZoneInfo.Utc));

    /// <summary>The form fields a pick filter reads ("$form.key" values).</summary>
    public static IEnumerable<string> FormFieldsRead(FieldSettings s)
        => (s.PickFilter ?? []).Select(f => f.Value is JsonValue v && v.TryGetValue<string>(out var x) && x.StartsWith(FormToken, StringComparison.Ordinal) ? x[FormToken.Length..] : null).OfType<string>();

    /// <summary>
    /// The problems of a lookup's linked-field settings: unknown or archived fields on either side, incompatible
    /// pairs, a target filled twice or the lookup filling itself, unknown filter fields and ops, "$form." naming an
    /// unknown field. Used by the lookup type's settings check (designer, installer, checker).
    /// </summary>
    public static IEnumerable<LinkProblem> Check(FieldDefinition lookup, EntityMeta entity, EntityMeta target)
    {
        var s = lookup.Settings;
        var filled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pair in s.Fill ?? [])
        {
            var from = target.Field(pair.From);
            var to = entity.Field(pair.To);
            if (from is null || from.IsArchived) yield return new(LinkProblemKind.FillUnknownSource, pair.From, target.Entity.Label.Get());
            if (to is null || to.IsArchived) yield return new(LinkProblemKind.FillUnknownTarget, pair.To, "");
            if (from is null || to is null) continue;
            if (to.Key == lookup.Key) yield return new(LinkProblemKind.FillSelf, to.Label.Get(), "");
            else if (!filled.Add(to.Key)) yield return new(LinkProblemKind.FillTwice, to.Label.Get(), "");
            else if (!Compatible(from, to)) yield return new(LinkProblemKind.FillIncompatible, to.Label.Get(), from.Label.Get());
        }
        foreach (var f in s.PickFilter ?? [])
        {
            if (!f.Field.StartsWith('$') && target.Field(f.Field) is null) yield return new(LinkProblemKind.FilterUnknownField, f.Field, target.Entity.Label.Get());
            if (!RuleValidator.Ops.Contains(f.Op)) yield return new(LinkProblemKind.FilterUnknownOp, f.Op, "");
        }
        foreach (var key in FormFieldsRead(s))
            if (entity.Field(key) is null || key == lookup.Key) yield return new(LinkProblemKind.FilterUnknownFormField, key, "");
        foreach (var key in s.ShowFields ?? [])
            if (target.Field(key) is null or { IsArchived: true }) yield return new(LinkProblemKind.ShowUnknownField, key, target.Entity.Label.Get());
    }
}

public enum LinkProblemKind { FillUnknownSource, FillUnknownTarget, FillSelf, FillTwice, FillIncompatible, FilterUnknownField, FilterUnknownOp, FilterUnknownFormField, ShowUnknownField }

/// <summary>A problem of a lookup's linked-field settings; <paramref name="Subject"/> and <paramref name="Other"/> name what is wrong.</summary>
public sealed record LinkProblem(LinkProblemKind Kind, string Subject, string Other)
{
    /// <summary>The settings path the problem is reported under.</summary>
    public string Setting => Kind switch
    {
        LinkProblemKind.FilterUnknownField or LinkProblemKind.FilterUnknownOp or LinkProblemKind.FilterUnknownFormField => "pickFilter",
        LinkProblemKind.ShowUnknownField => "showFields",
        _ => "fill",
    };
}
