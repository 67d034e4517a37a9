using System.Text.Json.Nodes;
using Crm.Core.Automation;
using Crm.Core.Fields;
using Crm.Core.Records;
using Crm.Core.Views;

namespace Crm.Core.Metadata;

/// <summary>
/// A form rule (显隐规则) of an entity type: when <see cref="When"/> holds on a record's values (the list filter model,
/// joined with AND or OR, as automation conditions), <see cref="Effects"/> apply to <see cref="Fields"/>:
/// <see cref="FormRuleEffects.Show"/> (a field with show rules is hidden unless one holds), <see cref="FormRuleEffects.Require"/>
/// and <see cref="FormRuleEffects.ReadOnly"/>. Forms apply them live; the record writer enforces them on user writes.
/// Stored on <see cref="EntityType.FormRules"/> in order; <see cref="Key"/> is stable (templates merge by it).
/// </summary>
public sealed record FormRule
{
    public string Key { get; init; } = "";
    /// <summary>What the designer lists (optional; the designer describes the rule when it is empty).</summary>
    public LocalizedText? Name { get; init; }
    public FormRuleCondition When { get; init; } = new();
    public List<string> Fields { get; init; } = [];
    public List<string> Effects { get; init; } = [];
    /// <summary>Template that shipped it (null when made in the designer).</summary>
    public string? Origin { get; init; }

    /// <summary>The fields the conditions read.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<string> Reads => When.Filters.Select(f => f.Field).Distinct(StringComparer.Ordinal);
}

/// <summary>Conditions of a <see cref="FormRule"/>: <see cref="Match"/> "all" (AND) or "any" (OR) over list filters.</summary>
public sealed record FormRuleCondition
{
    public string Match { get; init; } = "all";
    public List<FilterSpec> Filters { get; init; } = [];
}

/// <summary>The effects a form rule has on its fields, as stored.</summary>
public static class FormRuleEffects
{
    public const string Show = "show";
    public const string Require = "require";
    public const string ReadOnly = "readOnly";
    public static readonly string[] All = [Show, Require, ReadOnly];
}

/// <summary>
/// What an entity type's form rules say about one set of values: which fields are hidden, required and read-only.
/// The same code runs in the form (while the user types) and in the record writer (on save).
/// </summary>
public sealed class FormRuleState
{
    public static readonly FormRuleState None = new([], [], []);

    private FormRuleState(HashSet<string> hidden, HashSet<string> required, HashSet<string> readOnly)
        => (Hidden, Required, ReadOnly) = (hidden, required, readOnly);

    public IReadOnlySet<string> Hidden { get; }
    /// <summary>Required by a rule and not hidden.</summary>
    public IReadOnlySet<string> Required { get; }
    public IReadOnlySet<string> ReadOnly { get; }

    public bool IsHidden(string key) => Hidden.Contains(key);
    public bool IsRequired(string key) => Required.Contains(key);
    public bool IsReadOnly(string key) => ReadOnly.Contains(key);

    /// <summary>Evaluates <paramref name="entity"/>'s form rules on <paramref name="values"/> ("$me" is <paramref name="me"/>,
    /// "$today" is today in <paramref name="zone"/>, the workspace's time zone; UTC when not given).</summary>
    public static FormRuleState Evaluate(EntityMeta entity, JsonObject values, Guid me = default, DateTime? utcNow = null, Record? record = null, TimeZoneInfo? zone = null)
    {
        var rules = entity.Entity.FormRules;
        if (rules is not { Count: > 0 }) return None;
        var now = utcNow ?? DateTime.UtcNow;
        record ??= new Record { EntityTypeId = entity.Entity.Id };
        var shown = new HashSet<string>(StringComparer.Ordinal);
        var hasShow = new HashSet<string>(StringComparer.Ordinal);
        var required = new HashSet<string>(StringComparer.Ordinal);
        var readOnly = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (rule.Effects.Contains(FormRuleEffects.Show)) hasShow.UnionWith(rule.Fields);
            if (!Holds(rule.When, entity, record, values, me, now, zone)) continue;
            if (rule.Effects.Contains(FormRuleEffects.Show)) shown.UnionWith(rule.Fields);
            if (rule.Effects.Contains(FormRuleEffects.Require)) required.UnionWith(rule.Fields);
            if (rule.Effects.Contains(FormRuleEffects.ReadOnly)) readOnly.UnionWith(rule.Fields);
        }
        hasShow.ExceptWith(shown);
        required.ExceptWith(hasShow);
        // A computed field is never typed in: "required" cannot apply to it.
        required.RemoveWhere(k => entity.Field(k) is not { } f || FieldTypeRegistry.Find(f.Type)?.IsComputed != false || f.IsArchived);
        return new FormRuleState(hasShow, required, readOnly);
    }

    public static bool Holds(FormRuleCondition when, EntityMeta entity, Record record, JsonObject values, Guid me, DateTime utcNow, TimeZoneInfo? zone = null)
    {
        if (when.Filters.Count == 0) return true;
        var any = when.Match == "any";
        foreach (var filter in when.Filters)
        {
            var ok = RuleConditionEvaluator.Matches(filter, entity, record, values, me, utcNow, zone ?? TimeZoneInfo.Utc);
            if (any && ok) return true;
            if (!any && !ok) return false;
        }
        return !any;
    }

    /// <summary>True when <paramref name="value"/> counts as not filled in (missing, null, "", []).</summary>
    public static bool IsEmpty(JsonNode? value) => value switch
    {
        null => true,
        JsonArray a => a.Count == 0,
        JsonValue v when v.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s),
        _ => false,
    };
}

/// <summary>
/// Checks a list of form rules against an entity type's fields: keys, known fields and effects, a rule targeting a
/// field its condition reads, and cycles (A's rule reads B while B's rule reads A). Used by the designer and the
/// template checker, which word the problems (<see cref="FormRuleProblem"/>) in their own messages.
/// </summary>
public static partial class FormRuleChecks
{
    /// <param name="optionKeys">The option keys a condition's value may name for a choice field (select, multiselect,
    /// status, stage), null when any value goes: conditions store keys, never labels (labels are renamed and translated).</param>
    public static IEnumerable<FormRuleProblem> Check(IReadOnlyList<FormRule> rules, Func<string, FieldDefinition?> field, Func<string, IReadOnlySet<string>?>? optionKeys = null)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (!MetadataKeys.IsValid(rule.Key)) yield return new(i, rule, "key", FormRuleProblemKind.KeyInvalid, rule.Key);
            else if (!keys.Add(rule.Key)) yield return new(i, rule, "key", FormRuleProblemKind.KeyTaken, rule.Key);
            if (rule.When.Match is not ("all" or "any")) yield return new(i, rule, "when/match", FormRuleProblemKind.Match, rule.When.Match);
            if (rule.When.Filters.Count == 0) yield return new(i, rule, "when", FormRuleProblemKind.NoConditions, "");
            foreach (var f in rule.When.Filters)
            {
                if (field(f.Field) is not { } cf) yield return new(i, rule, "when", FormRuleProblemKind.UnknownConditionField, f.Field);
                else if (cf.IsArchived) yield return new(i, rule, "when", FormRuleProblemKind.ArchivedField, f.Field);
                if (!RuleValidator.Ops.Contains(f.Op)) yield return new(i, rule, "when", FormRuleProblemKind.UnknownOp, f.Op);
            }
            for (var j = 0; j < rule.When.Filters.Count; j++)
            {
                var f = rule.When.Filters[j];
                if (optionKeys?.Invoke(f.Field) is not { } options) continue;
                foreach (var value in Strings(f.Value).Where(v => !v.StartsWith('$') && !options.Contains(v)))
                    yield return new(i, rule, $"when/filters/{j}/value", FormRuleProblemKind.UnknownOption, value) { Field = f.Field };
            }
            if (rule.Fields.Count == 0) yield return new(i, rule, "fields", FormRuleProblemKind.NoFields, "");
            foreach (var key in rule.Fields)
            {
                if (field(key) is not { } tf) { yield return new(i, rule, "fields", FormRuleProblemKind.UnknownTargetField, key); continue; }
                if (tf.IsArchived) yield return new(i, rule, "fields", FormRuleProblemKind.ArchivedField, key);
                if (rule.Reads.Contains(key)) yield return new(i, rule, "fields", FormRuleProblemKind.SelfReference, key);
                if (FieldTypeRegistry.Find(tf.Type)?.IsComputed == true && rule.Effects.Any(e => e != FormRuleEffects.Show))
                    yield return new(i, rule, "effects", FormRuleProblemKind.Computed, key);
            }
            if (rule.Effects.Count == 0) yield return new(i, rule, "effects", FormRuleProblemKind.NoEffects, "");
            foreach (var e in rule.Effects.Where(e => !FormRuleEffects.All.Contains(e)))
                yield return new(i, rule, "effects", FormRuleProblemKind.UnknownEffect, e);
        }
        if (Cycle(rules) is { } cycle)
            yield return new(rules.ToList().FindIndex(r => r.Fields.Contains(cycle[0])), null, "", FormRuleProblemKind.Cycle, string.Join(" → ", cycle));
    }

    private static IEnumerable<string> Strings(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        JsonArray a => a.OfType<JsonValue>().Select(x => x.TryGetValue<string>(out var s) ? s : null).OfType<string>(),
        _ => [],
    };

    /// <summary>The option keys of <paramref name="key"/> on <paramref name="entity"/> when it is a choice field (select
    /// and multiselect options, the status list's options, the stages of all pipelines); null when any value goes.</summary>
    public static IReadOnlySet<string>? OptionKeys(EntityMeta entity, string key)
    {
        if (entity.Field(key) is not { } f) return null;
        HashSet<string>? keys = f.Type switch
        {
            FieldTypes.Select or FieldTypes.MultiSelect => (f.Settings.Options ?? []).Select(o => o.Key).ToHashSet(StringComparer.Ordinal),
            FieldTypes.Stage when entity.AllPipelines.Count > 0 => entity.AllPipelines.SelectMany(p => p.AllStages).Select(s => s.Key).ToHashSet(StringComparer.Ordinal),
            FieldTypes.Status => entity.Owner?.StatusList(f.Settings.StatusList)?.Options.Select(o => o.Key).ToHashSet(StringComparer.Ordinal),
            _ => null,
        };
        return keys;
    }

    /// <summary>A cycle of "a rule on X reads Y" among the rules (the keys in order, the first repeated at the end), or null.</summary>
    public static List<string>? Cycle(IReadOnlyList<FormRule> rules)
    {
        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var rule in rules)
            foreach (var target in rule.Fields)
            {
                if (!edges.TryGetValue(target, out var set)) edges[target] = set = new(StringComparer.Ordinal);
                set.UnionWith(rule.Reads.Where(r => r != target));
            }
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in edges.GetValueOrDefault(node) ?? [])
            {
                var s = state.GetValueOrDefault(next);
                if (s == 1) return [.. path.Skip(path.IndexOf(next)), next];
                if (s == 0 && Visit(next) is { } found) return found;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (var node in edges.Keys.Order(StringComparer.Ordinal))
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle) return cycle;
        return null;
    }
}

public static partial class FormRuleChecks
{
    /// <summary>A problem in words: "Form rule “name”: …" with <paramref name="fieldName"/> naming the fields.</summary>
    public static string Message(FormRuleProblem p, Func<string, object[], string> t, Func<string, string> fieldName)
    {
        var subject = p.Kind switch
        {
            FormRuleProblemKind.UnknownConditionField or FormRuleProblemKind.UnknownTargetField or FormRuleProblemKind.KeyInvalid
                or FormRuleProblemKind.KeyTaken or FormRuleProblemKind.UnknownOp or FormRuleProblemKind.UnknownEffect or FormRuleProblemKind.Match => p.Subject,
            FormRuleProblemKind.Cycle => string.Join(" → ", p.Subject.Split(" → ").Select(fieldName)),
            _ => fieldName(p.Subject),
        };
        var text = p.Kind == FormRuleProblemKind.UnknownOption
            ? t("FormRule.Problem." + p.Kind, [p.Subject, fieldName(p.Field ?? "")])
            : t("FormRule.Problem." + p.Kind, [subject]);
        if (p.Rule is null) return text;
        var name = p.Rule.Name?.Get() is { Length: > 0 } n ? n : p.Rule.Key.Length > 0 ? p.Rule.Key : $"#{p.Index + 1}";
        return t("FormRule.Named", [name, text]);
    }
}

public enum FormRuleProblemKind
{
    KeyInvalid, KeyTaken, Match, NoConditions, UnknownConditionField, UnknownOp, NoFields, UnknownTargetField, ArchivedField,
    SelfReference, Computed, NoEffects, UnknownEffect, Cycle, UnknownOption,
}

/// <summary>One problem of rule number <paramref name="Index"/> (<paramref name="Rule"/> null for a cycle across rules).</summary>
public sealed record FormRuleProblem(int Index, FormRule? Rule, string Part, FormRuleProblemKind Kind, string Subject)
{
    /// <summary>The condition's field (<see cref="FormRuleProblemKind.UnknownOption"/>).</summary>
    public string? Field { get; init; }
}
