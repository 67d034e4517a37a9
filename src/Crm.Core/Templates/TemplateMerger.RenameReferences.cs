using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Core.Automation;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Templates;

/// <summary>A stage key renamed by an upgrade (records point at the stage by id; rules and filters name it by key).</summary>
internal sealed record StageRename(Guid EntityTypeId, string From, string To);

/// <summary>A status option key renamed by an upgrade (pool return rules, rule triggers and filters name it by key).</summary>
internal sealed record StatusRename(string StatusList, string From, string To);

/// <summary>
/// Everything else that names a renamed key follows it in the same unit of work (rename13b): automation rules
/// (trigger, conditions, the field assignments of their actions, {field} placeholders), pool return rules (kept
/// statuses), filter values that name a renamed option, stage or status (views, reports, rule conditions, form-rule
/// conditions, lookup pick filters), other entity types' lookups (fill pairs, shown fields, pick filters, formulas
/// reading <c>lookup.field</c>) and subform lookup columns. Only old keys are replaced, so elements the new version
/// brought (already under the new keys) are untouched.
/// </summary>
internal sealed partial class TemplateMerger
{
    private readonly List<StageRename> _stageRenames = [];
    private readonly List<StatusRename> _statusRenames = [];

    private bool AnyRename => _fieldRenames.Count > 0 || _optionRenames.Count > 0 || _stageRenames.Count > 0 || _statusRenames.Count > 0;

    private static readonly IReadOnlyDictionary<string, string> NoRenames = new Dictionary<string, string>();

    /// <summary>from → to of the fields of one entity type.</summary>
    private IReadOnlyDictionary<string, string> FieldMap(Guid entityId)
        => _fieldRenames.Count == 0 ? NoRenames : _fieldRenames.Where(r => r.EntityTypeId == entityId).ToDictionary(r => r.From, r => r.To, StringComparer.Ordinal);

    private IReadOnlyDictionary<string, string> FieldMap(EntityType? entity) => entity is null ? NoRenames : FieldMap(entity.Id);

    /// <summary>from → to of the keys a value of <paramref name="fieldKey"/> (its new key) names: options, stages or statuses.</summary>
    private IReadOnlyDictionary<string, string> ValueMap(EntityType? entity, string? fieldKey)
    {
        if (entity is null || fieldKey is null) return NoRenames;
        if (fieldKey == entity.StageFieldKey)
            return _stageRenames.Where(r => r.EntityTypeId == entity.Id).GroupBy(r => r.From).ToDictionary(g => g.Key, g => g.First().To, StringComparer.Ordinal);
        if (entity.Fields.FirstOrDefault(f => f.Key == fieldKey) is { Type: Fields.FieldTypes.Status, Settings.StatusList: { } list })
            return _statusRenames.Where(r => r.StatusList == list).ToDictionary(r => r.From, r => r.To, StringComparer.Ordinal);
        return _optionRenames.Where(r => r.EntityTypeId == entity.Id && r.Field == fieldKey).ToDictionary(r => r.From, r => r.To, StringComparer.Ordinal);
    }

    private static string Follow(IReadOnlyDictionary<string, string> map, string key) => map.TryGetValue(key, out var to) ? to : key;

    private static string? FollowOrNull(IReadOnlyDictionary<string, string> map, string? key) => key is null ? null : Follow(map, key);

    /// <summary>A filter value (a key or a list of keys) with renamed keys replaced; the same node when nothing changes.</summary>
    private static JsonNode? FollowValue(IReadOnlyDictionary<string, string> map, JsonNode? value)
    {
        if (map.Count == 0 || value is null) return value;
        if (value is JsonValue v && v.TryGetValue<string>(out var s)) return map.TryGetValue(s, out var to) ? JsonValue.Create(to) : value;
        if (value is JsonArray a && a.Any(x => x is JsonValue xv && xv.TryGetValue<string>(out var xs) && map.ContainsKey(xs)))
            return new JsonArray(a.Select(x => x is JsonValue xv && xv.TryGetValue<string>(out var xs) && map.TryGetValue(xs, out var xt) ? JsonValue.Create(xt) : x?.DeepClone()).ToArray());
        return value;
    }

    /// <summary>Filters on <paramref name="entity"/>: the field follows its rename, then the value follows the renamed
    /// option/stage/status keys of that field; "$form.key" values follow the renames of <paramref name="form"/>.</summary>
    private List<FilterSpec> FollowFilters(EntityType? entity, List<FilterSpec> filters, EntityType? form = null)
    {
        var fields = FieldMap(entity);
        var formFields = FieldMap(form);
        var changed = false;
        var result = filters.Select(x =>
        {
            var field = Follow(fields, x.Field);
            var value = FollowValue(ValueMap(entity, field), x.Value);
            if (formFields.Count > 0 && value is JsonValue fv && fv.TryGetValue<string>(out var fs) && fs.StartsWith("$form.", StringComparison.Ordinal)
                && formFields.TryGetValue(fs["$form.".Length..], out var formTo))
                value = JsonValue.Create("$form." + formTo);
            if (field == x.Field && ReferenceEquals(value, x.Value)) return x;
            changed = true;
            return x with { Field = field, Value = value };
        }).ToList();
        return changed ? result : filters;
    }

    private static readonly Regex Placeholder = new(@"\{([A-Za-z0-9_]+)\}", RegexOptions.CultureInvariant);

    /// <summary>"{field}" placeholders of a text (task text, messages, copied values) with renamed keys replaced.</summary>
    private static string? FollowPlaceholders(IReadOnlyDictionary<string, string> map, string? text)
        => text is null || map.Count == 0 ? text : Placeholder.Replace(text, m => map.TryGetValue(m.Groups[1].Value, out var to) ? "{" + to + "}" : m.Value);

    /// <summary>The references elsewhere follow the renames of this upgrade (see the class summary).</summary>
    private async Task FollowRenamesElsewhereAsync(CancellationToken ct)
    {
        if (!AnyRename) return;
        EntityType? ByKey(string? key) => key is null ? null : _entities.FirstOrDefault(e => e.Key == key);
        EntityType? ById(Guid id) => _entities.FirstOrDefault(e => e.Id == id);

        // Filter values of views and reports (their field keys followed in FollowRenamesInViewsAndReportsAsync).
        foreach (var view in await db.Views.ToListAsync(ct))
        {
            var entity = ById(view.EntityTypeId);
            var filters = FollowFilters(entity, view.Definition.Filters);
            if (ReferenceEquals(filters, view.Definition.Filters)) continue;
            view.Definition = view.Definition with { Filters = filters };
            view.UpdatedAt = now;
        }
        foreach (var report in await db.Reports.ToListAsync(ct))
        {
            var entity = ById(report.EntityTypeId);
            var filters = FollowFilters(entity, report.Spec.Filters);
            if (ReferenceEquals(filters, report.Spec.Filters)) continue;
            report.Spec = report.Spec with { Filters = filters };
            report.UpdatedAt = now;
        }

        foreach (var entity in _entities) FollowInEntity(entity, ByKey);
        foreach (var rule in await db.AutomationRules.ToListAsync(ct)) FollowInRule(rule, ById(rule.EntityTypeId), ByKey);

        if (_statusRenames.Count > 0)
            foreach (var pool in await db.Pools.ToListAsync(ct))
            {
                if (!pool.ReturnRules.Any(r => r.KeepStatuses is { Count: > 0 })) continue;
                var entity = ById(pool.EntityTypeId);
                var map = ValueMap(entity, entity?.StatusFieldKey);
                if (map.Count == 0 || !pool.ReturnRules.Any(r => r.KeepStatuses?.Any(map.ContainsKey) == true)) continue;
                pool.ReturnRules = pool.ReturnRules.Select(r => r.KeepStatuses is { Count: > 0 } keep ? r with { KeepStatuses = keep.Select(k => Follow(map, k)).ToList() } : r).ToList();
                pool.UpdatedAt = now;
            }
    }

    /// <summary>Form-rule condition values, select defaults, lookups (also subform lookup columns) and formulas of one entity type.</summary>
    private void FollowInEntity(EntityType entity, Func<string?, EntityType?> byKey)
    {
        if (entity.FormRules.Count > 0)
        {
            var rules = entity.FormRules.Select(r =>
            {
                var filters = FollowFilters(entity, r.When.Filters);
                return ReferenceEquals(filters, r.When.Filters) ? r : r with { When = r.When with { Filters = filters } };
            }).ToList();
            if (!rules.SequenceEqual(entity.FormRules)) entity.FormRules = rules;
        }
        var own = FieldMap(entity);
        foreach (var field in entity.Fields)
        {
            var s = field.Settings;
            var next = s;
            // A default naming a renamed option.
            if (s.Default is not null && ValueMap(entity, field.Key) is { Count: > 0 } options)
                next = next with { Default = FollowValue(options, s.Default) };
            if (s.Target is not null) next = FollowLookup(next, byKey(s.Target), entity, own, column: false);
            if (s.Columns is { Count: > 0 } columns)
            {
                var followed = columns.Select(c => c.Settings.Target is null ? c : c with { Settings = FollowLookup(c.Settings, byKey(c.Settings.Target), entity, own, column: true) }).ToList();
                if (!followed.SequenceEqual(columns)) next = next with { Columns = followed };
            }
            if (s.Expression is { } expression && FollowQualified(expression, entity, byKey) is { } rewritten && rewritten != expression)
                next = next with { Expression = rewritten };
            if (ReferenceEquals(next, s) || next.Equals(s)) continue;
            field.Settings = next;
            field.UpdatedAt = now;
        }
    }

    /// <summary>A lookup's settings: fill pairs (from the target, into this form — a column fills cells of its row,
    /// which are not renamed), shown fields and pick filters follow the renames of the target and of this form.</summary>
    private FieldSettings FollowLookup(FieldSettings s, EntityType? target, EntityType form, IReadOnlyDictionary<string, string> own, bool column)
    {
        var theirs = FieldMap(target);
        var fill = s.Fill?.Select(p => new LookupFill(Follow(theirs, p.From), column ? p.To : Follow(own, p.To))).ToList();
        var show = s.ShowFields?.Select(k => Follow(theirs, k)).ToList();
        var pick = s.PickFilter is null ? null : FollowFilters(target, s.PickFilter, form);
        var next = s with
        {
            Fill = fill is not null && !fill.SequenceEqual(s.Fill!) ? fill : s.Fill,
            ShowFields = show is not null && !show.SequenceEqual(s.ShowFields!) ? show : s.ShowFields,
            PickFilter = pick,
        };
        return next.Equals(s) ? s : next;
    }

    /// <summary>
    /// Names in a formula that the field rename of its own entity type does not reach (subtot): <c>lookup.field</c>
    /// where the lookup points at a type whose field was renamed; <c>entity.lookup</c> (the first argument of
    /// ROLLUP_SUM/ROLLUP_COUNT) where that entity type's lookup was renamed; the names of a roll-up's field and condition
    /// arguments (read in the related records: <c>amount</c>, <c>stage</c> of <c>ROLLUP_SUM(opportunity.company, amount,
    /// stage = "won")</c>) where the related type's field was renamed; and text literals compared with a select,
    /// status or stage (<c>tier = "high"</c>, also inside a roll-up's condition) whose option, status or stage key was
    /// renamed. Names of the formula's own record were renamed with the field (<see cref="RenameOwnName"/>). A formula
    /// that does not parse gets the qualified names replaced as words (<see cref="FollowQualifiedWords"/>).
    /// </summary>
    private string? FollowQualified(string expression, EntityType entity, Func<string?, EntityType?> byKey)
    {
        try
        {
            return FormulaExpression.Rewrite(expression, s => s.Kind switch
            {
                FormulaExpression.SpanKind.RollupLink => FollowRollupLink(s.Text, byKey),
                FormulaExpression.SpanKind.Name => FollowName(s.Entity is null ? entity : byKey(s.Entity), s.Text, own: s.Entity is null, byKey),
                _ => FollowLiteral(s, entity, byKey),
            });
        }
        catch (FormatException) { return FollowQualifiedWords(expression, entity, byKey); }
    }

    /// <summary><c>entity.lookup</c> of a roll-up: the lookup follows its rename (when it is still a lookup).</summary>
    private string? FollowRollupLink(string link, Func<string?, EntityType?> byKey)
    {
        var dot = link.IndexOf('.');
        if (dot < 1 || byKey(link[..dot]) is not { } other) return null;
        var to = Follow(FieldMap(other), link[(dot + 1)..]);
        return other.Fields.FirstOrDefault(f => f.Key == to)?.Settings.Target is null ? null : other.Key + "." + to;
    }

    /// <summary>A name read in <paramref name="scope"/>'s records: its field follows the renames of that type (unless
    /// it is the formula's own record, renamed already), and the part after <c>lookup.</c> the renames of the lookup's target.</summary>
    private string? FollowName(EntityType? scope, string name, bool own, Func<string?, EntityType?> byKey)
    {
        if (scope is null) return null;
        var dot = name.IndexOf('.');
        var head = dot > 0 ? name[..dot] : name;
        if (!own) head = Follow(FieldMap(scope), head);
        if (dot < 1) return head;
        var tail = name[(dot + 1)..];
        if (scope.Fields.FirstOrDefault(f => f.Key == head)?.Settings.Target is { } target) tail = Follow(FieldMap(byKey(target)), tail);
        return head + "." + tail;
    }

    /// <summary>A text compared with a name: the option, status or stage key it names follows its rename.</summary>
    private string? FollowLiteral(FormulaExpression.FormulaSpan literal, EntityType entity, Func<string?, EntityType?> byKey)
    {
        var scope = literal.Entity is null ? entity : byKey(literal.Entity);
        if (scope is null || literal.Field is null || FollowName(scope, literal.Field, own: literal.Entity is null, byKey) is not { } name) return null;
        var dot = name.IndexOf('.');
        var map = dot < 1 ? ValueMap(scope, name)
            : scope.Fields.FirstOrDefault(f => f.Key == name[..dot])?.Settings.Target is { } target ? ValueMap(byKey(target), name[(dot + 1)..]) : NoRenames;
        return map.TryGetValue(literal.Text, out var to) ? to : null;
    }

    /// <summary>The word replacement of <see cref="FollowQualified"/> for a formula that does not parse: qualified names only.</summary>
    private string? FollowQualifiedWords(string expression, EntityType entity, Func<string?, EntityType?> byKey)
    {
        if (_fieldRenames.Count == 0) return null;
        var result = expression;
        foreach (var lookup in entity.Fields.Where(f => f.Settings.Target is not null))
            foreach (var (from, to) in FieldMap(byKey(lookup.Settings.Target)))
                result = QualifiedName(lookup.Key, from).Replace(result, lookup.Key + "." + to);
        foreach (var other in _entities)
            foreach (var (from, to) in FieldMap(other))
            {
                // entity.lookup — only when that field of the other type is a lookup (what ROLLUP_* name).
                if (other.Fields.FirstOrDefault(f => f.Key == to)?.Settings.Target is null) continue;
                result = QualifiedName(other.Key, from).Replace(result, other.Key + "." + to);
            }
        return result;
    }

    private static Regex QualifiedName(string first, string second)
        => new(@"(?<![A-Za-z0-9_.])" + Regex.Escape(first) + @"\." + Regex.Escape(second) + @"(?![A-Za-z0-9_])", RegexOptions.CultureInvariant);

    /// <summary>An automation rule of <paramref name="entity"/>: trigger, conditions and actions follow the renames.</summary>
    private void FollowInRule(AutomationRule rule, EntityType? entity, Func<string?, EntityType?> byKey)
    {
        if (entity is null) return;
        var own = FieldMap(entity);
        var t = rule.Trigger;
        var trigger = t with
        {
            Fields = t.Fields.Select(k => Follow(own, k)).ToList(),
            Field = FollowOrNull(own, t.Field),
            From = FollowOrNull(TriggerValues(entity, t.Kind), t.From),
            To = FollowOrNull(TriggerValues(entity, t.Kind), t.To),
        };
        var c = rule.Conditions;
        var conditions = c with
        {
            Filters = FollowFilters(entity, c.Filters),
            Changes = c.Changes.Select(x =>
            {
                var field = Follow(own, x.Field);
                var values = ValueMap(entity, field);
                return new ChangeCondition(field, FollowOrNull(values, x.From), FollowOrNull(values, x.To));
            }).ToList(),
        };
        var actions = rule.Actions.Select(a => FollowInAction(a, entity, own, byKey)).ToList();
        var changed = !SameJson(trigger, t) || !SameJson(conditions, c) || !SameJson(actions, rule.Actions);
        if (!changed) return;
        rule.Trigger = trigger;
        rule.Conditions = conditions;
        rule.Actions = actions;
        rule.UpdatedAt = now;
    }

    private static bool SameJson<T>(T a, T b) => Json.Serialize(a) == Json.Serialize(b);

    private IReadOnlyDictionary<string, string> TriggerValues(EntityType entity, string kind) => kind switch
    {
        TriggerKinds.StageEntered or TriggerKinds.InStage => ValueMap(entity, entity.StageFieldKey),
        TriggerKinds.StatusChanged => ValueMap(entity, entity.StatusFieldKey),
        _ => NoRenames,
    };

    private RuleAction FollowInAction(RuleAction a, EntityType entity, IReadOnlyDictionary<string, string> own, Func<string?, EntityType?> byKey)
    {
        // Whose fields the values are: this record's (setFields), the new related record's (createRelated: its entity
        // type and the lookup on it that points back) or the record the lookup points at (updateRelated).
        EntityType? into = a.Kind switch
        {
            ActionKinds.SetFields => entity,
            ActionKinds.CreateRelated => byKey(a.Entity),
            ActionKinds.UpdateRelated => byKey(entity.Fields.FirstOrDefault(f => f.Key == Follow(own, a.Field ?? ""))?.Settings.Target),
            _ => null,
        };
        var field = a.Kind switch
        {
            ActionKinds.CreateRelated => FollowOrNull(FieldMap(into), a.Field),
            ActionKinds.UpdateRelated => FollowOrNull(own, a.Field),
            _ => a.Field,
        };
        var theirs = FieldMap(into);
        var values = a.Values.Count == 0 ? a.Values : a.Values.ToDictionary(
            kv => Follow(theirs, kv.Key),
            kv => FollowPlaceholders(own, ValueMap(into, Follow(theirs, kv.Key)).TryGetValue(kv.Value, out var option) ? option : kv.Value)!,
            StringComparer.Ordinal);
        return a with { Field = field, Values = values, Text = FollowPlaceholders(own, a.Text) };
    }
}
