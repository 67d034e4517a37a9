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
    /// <summary>
    /// The fields of a subform row by key (its columns as fields), for <see cref="Fill"/> and <see cref="Check"/> on a
    /// lookup column: a lookup column fills the other columns of its own row.
    /// </summary>
    public static Func<string, FieldDefinition?> RowFields(FieldSettings subform)
    {
        var columns = Fields.Types.SubformField.ColumnFields(subform);
        return key => columns.FirstOrDefault(c => c.Key == key);
    }

    /// <summary>The lookup columns of a subform that fill other columns of their row.</summary>
    public static IEnumerable<SubformColumn> FillingColumns(FieldSettings subform)
        => (subform.Columns ?? []).Where(c => c.Type == FieldTypes.Lookup && c.Settings.Fill is { Count: > 0 });

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
    /// Returns the keys it set. Works on any value object: a record's values, a subform row (then
    /// <paramref name="fieldOf"/> finds the row's columns, <see cref="RowFields"/>; by default the entity's fields).
    /// </summary>
    public static List<string> Fill(EntityMeta entity, FieldDefinition lookup, EntityMeta target, JsonObject picked, JsonObject values,
        Func<string, bool>? fills = null, Func<string, bool>? canRead = null, Func<string, FieldDefinition?>? fieldOf = null)
    {
        fieldOf ??= entity.Field;
        var set = new List<string>();
        foreach (var pair in lookup.Settings.Fill ?? [])
        {
            if (target.Field(pair.From) is not { IsArchived: false } from || fieldOf(pair.To) is not { IsArchived: false } to) continue;
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
    public static IEnumerable<LinkProblem> Check(FieldDefinition lookup, EntityMeta entity, EntityMeta target, Func<string, FieldDefinition?>? fieldOf = null)
        => Check(lookup, fieldOf ?? entity.Field, target.Field, target.Entity.Label.Get());

    /// <summary>
    /// The same checks with both sides given as field finders: <paramref name="fieldOf"/> for this form's fields (or
    /// a row's columns), <paramref name="targetField"/> for the picked type's, named <paramref name="targetLabel"/>.
    /// The template checker calls it on a template's fields before anything is installed. Each problem carries the
    /// index of the fill pair, filter or shown field it is about.
    /// </summary>
    public static IEnumerable<LinkProblem> Check(FieldDefinition lookup, Func<string, FieldDefinition?> fieldOf, Func<string, FieldDefinition?> targetField, string targetLabel)
    {
        var s = lookup.Settings;
        var filled = new HashSet<string>(StringComparer.Ordinal);
        var fill = s.Fill ?? [];
        for (var i = 0; i < fill.Count; i++)
        {
            var pair = fill[i];
            var from = targetField(pair.From);
            var to = fieldOf(pair.To);
            if (from is null || from.IsArchived) yield return new(LinkProblemKind.FillUnknownSource, pair.From, targetLabel, i);
            if (to is null || to.IsArchived) yield return new(LinkProblemKind.FillUnknownTarget, pair.To, "", i);
            if (from is null || to is null) continue;
            if (to.Key == lookup.Key) yield return new(LinkProblemKind.FillSelf, to.Label.Get(), "", i);
            else if (!filled.Add(to.Key)) yield return new(LinkProblemKind.FillTwice, to.Label.Get(), "", i);
            else if (!Compatible(from, to)) yield return new(LinkProblemKind.FillIncompatible, to.Label.Get(), from.Label.Get(), i);
        }
        var filters = s.PickFilter ?? [];
        for (var i = 0; i < filters.Count; i++)
        {
            var f = filters[i];
            if (!f.Field.StartsWith('$') && targetField(f.Field) is null) yield return new(LinkProblemKind.FilterUnknownField, f.Field, targetLabel, i);
            if (!RuleValidator.Ops.Contains(f.Op)) yield return new(LinkProblemKind.FilterUnknownOp, f.Op, "", i);
            if (f.Value is JsonValue v && v.TryGetValue<string>(out var x) && x.StartsWith(FormToken, StringComparison.Ordinal)
                && (x[FormToken.Length..] is var key && (fieldOf(key) is null || key == lookup.Key)))
                yield return new(LinkProblemKind.FilterUnknownFormField, key, "", i);
        }
        var shown = s.ShowFields ?? [];
        for (var i = 0; i < shown.Count; i++)
            if (targetField(shown[i]) is null or { IsArchived: true }) yield return new(LinkProblemKind.ShowUnknownField, shown[i], targetLabel, i);
    }
}

public enum LinkProblemKind { FillUnknownSource, FillUnknownTarget, FillSelf, FillTwice, FillIncompatible, FilterUnknownField, FilterUnknownOp, FilterUnknownFormField, ShowUnknownField }

/// <summary>A problem of a lookup's linked-field settings; <paramref name="Subject"/> and <paramref name="Other"/> name what is wrong,
/// <paramref name="Index"/> is the position of the pair, filter or shown field in its list.</summary>
public sealed record LinkProblem(LinkProblemKind Kind, string Subject, string Other, int Index = -1)
{
    /// <summary>The settings path the problem is reported under.</summary>
    public string Setting => Kind switch
    {
        LinkProblemKind.FilterUnknownField or LinkProblemKind.FilterUnknownOp or LinkProblemKind.FilterUnknownFormField => "pickFilter",
        LinkProblemKind.ShowUnknownField => "showFields",
        _ => "fill",
    };
}
