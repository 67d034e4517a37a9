using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Records;

/// <summary>
/// The validation a value set can have without the database: the field types' value checks (the entity type's
/// JSON Schema, compiled from the same types) and the choice rules
/// (stage of the record's pipeline, no newly chosen archived option). The record writer runs it on every write,
/// and forms run the very same code while the user types, so both show the same messages.
/// </summary>
public sealed class RecordValidator(IStringLocalizer<CoreStrings> t)
{
    /// <summary>Validates <paramref name="values"/>; <paramref name="before"/> are the stored values (unchanged archived options stay valid).</summary>
    public void Validate(EntityMeta entity, JsonObject before, JsonObject values, PipelineMeta? pipeline, ValidationErrors errors)
        => Validate(entity, before, values, pipeline, errors, FormRuleState.None);

    /// <summary>
    /// As <see cref="Validate(EntityMeta, JsonObject, JsonObject, PipelineMeta?, ValidationErrors)"/> under the entity
    /// type's form rules as they are for these values (<see cref="FormRuleState.Evaluate"/>): a field they hide and
    /// that is empty is not required (its own "required" setting included); a field they require must be filled in.
    /// </summary>
    public void Validate(EntityMeta entity, JsonObject before, JsonObject values, PipelineMeta? pipeline, ValidationErrors errors, FormRuleState rules)
    {
        if (rules.Hidden.Count == 0) ValidateSchema(entity, values, errors);
        else
        {
            var found = new ValidationErrors();
            ValidateSchema(entity, values, found);
            foreach (var (key, messages) in found.ByField)
                if (!rules.IsHidden(FieldKeyOf(key)) || !FormRuleState.IsEmpty(values[FieldKeyOf(key)]))
                    foreach (var message in messages) errors.Add(key, message);
        }
        foreach (var key in rules.Required)
            if (FormRuleState.IsEmpty(values[key]) && errors.For(key).Count == 0 && entity.Field(key) is { } field)
                errors.Add(key, t["Validation.Required", field.Label.Get()]);
        ValidateChoices(entity, before, values, pipeline, errors);
    }

    /// <summary>The field an error key belongs to: "items" of "items/1/qty" (a subform cell), the key itself otherwise.</summary>
    public static string FieldKeyOf(string errorKey)
    {
        var slash = errorKey.IndexOf('/');
        return slash > 0 ? errorKey[..slash] : errorKey;
    }

    /// <summary>Each entity type's value checks, compiled once per metadata version (the <see cref="EntityMeta"/>
    /// is cached with its version, so the checks go with it).</summary>
    private static readonly ConditionalWeakTable<EntityMeta, RecordChecks> Compiled = new();

    /// <summary>The value checks of every field in the schema's order: all fields, archived ones included (their
    /// values are still accepted), required when the field is required, active and not computed.</summary>
    private sealed class RecordChecks
    {
        public RecordChecks(EntityMeta entity)
        {
            foreach (var field in entity.AllFields)
            {
                if (FieldTypeRegistry.Find(field.Type) is not { } type) continue;
                var required = field.Settings.Required && !field.IsArchived && !type.IsComputed;
                var entry = (field, type.CompileCheck(new FieldContext(field, entity), required), required);
                // A key twice (should not happen): the later field counts, as in the schema's property map.
                if (Index.TryGetValue(field.Key, out var at)) Fields[at] = entry;
                else { Index[field.Key] = Fields.Count; Fields.Add(entry); }
                if (type.ChecksParts) HasParts.Add(field.Key);
            }
            // Patterns depend on the type and the settings only: the active fields that have any, in field order
            // (a field of an unknown type stays in, so it fails as before when it holds text).
            foreach (var field in entity.Fields)
            {
                var ctx = new FieldContext(field, entity);
                if (field.Key.StartsWith('_') || (FieldTypeRegistry.Find(field.Type) is { } type && !type.Patterns(ctx).Any())) continue;
                Patterned.Add(ctx);
            }
        }

        /// <summary>Fields whose values have parts checked one by one (<see cref="FieldType.PartProblems"/>).</summary>
        public HashSet<string> HasParts { get; } = new(StringComparer.Ordinal);

        public List<(FieldDefinition Field, ValueChecker Check, bool Required)> Fields { get; } = [];
        public Dictionary<string, int> Index { get; } = new(StringComparer.Ordinal);
        public List<FieldContext> Patterned { get; } = [];
    }

    /// <summary>
    /// Each field's value against its type's compiled check (<see cref="FieldType.CompileCheck"/>), then the
    /// patterns. The same verdicts and messages as the entity's JSON Schema (<see cref="EntityMeta.ValidationSchema"/>,
    /// still what the API publishes), without serialising each record for a schema validator.
    /// </summary>
    internal void ValidateSchema(EntityMeta entity, JsonObject values, ValidationErrors errors)
    {
        var checks = Compiled.GetValue(entity, e => new RecordChecks(e));
        List<(string Key, string Message, bool Required)>? found = null;
        foreach (var (field, check, required) in checks.Fields)
        {
            ValueProblem problem;
            if (values.TryGetPropertyValue(field.Key, out var value)) problem = check(value);
            else problem = required ? ValueProblem.Required : ValueProblem.None;
            if (problem != ValueProblem.None) (found ??= []).Add((field.Key, Message(field, problem), problem == ValueProblem.Required));
            else if (value is not null && checks.HasParts.Contains(field.Key))
                foreach (var part in PartMessages(new FieldContext(field, entity), value))
                    (found ??= []).Add((part.Key, part.Message, false));
        }
        // Keys starting with "_" hold data the product keeps aside (e.g. values that did not convert on a field
        // type change); they are not fields and are not validated. Any other key must be a field.
        foreach (var (key, _) in values)
            if (!key.StartsWith('_') && !checks.Index.ContainsKey(key)) (found ??= []).Add((key, t["Record.UnknownField", key], false));
        // Patterns run here, in bounded time, on values the checks found nothing wrong with.
        foreach (var ctx in checks.Patterned)
        {
            var field = ctx.Field;
            if (values[field.Key] is not JsonValue v || !v.TryGetValue<string>(out var text) || (found?.Any(f => f.Key == field.Key) ?? false)) continue;
            if (PatternError(ctx, text) is { } message) (found ??= []).Add((field.Key, message, false));
        }
        if (found is null) return;
        // One message per field; "required" wins over the type errors an empty value also produces.
        foreach (var group in found.GroupBy(f => f.Key))
            errors.Add(group.Key, (group.FirstOrDefault(g => g.Required).Message ?? group.First().Message));
    }

    /// <summary>
    /// The problems inside a value (a subform's cells and row count), each keyed by its path from the field
    /// ("items/1/qty": the JSON path of the cell below the record's values; "items" for the row count) with a
    /// message naming the cell ("产品明细[2].数量 is required").
    /// </summary>
    public IReadOnlyList<(string Key, string Message)> PartMessages(FieldContext ctx, JsonNode? value)
    {
        List<(string, string)>? result = null;
        foreach (var part in ctx.Type.PartProblems(ctx, value))
        {
            var key = part.Path.Length == 0 ? ctx.Field.Key : ctx.Field.Key + "/" + part.Path;
            var arguments = part.Arguments ?? [];
            string message = part.MessageKey switch
            {
                null => Message(part.Part, part.Problem),
                "Record.UnknownField" => t[part.MessageKey, arguments],
                var mk => t[mk, new object[] { ctx.Field.Label.Get() }.Concat(arguments).ToArray()],
            };
            (result ??= []).Add((key, message));
        }
        return result ?? (IReadOnlyList<(string, string)>)[];
    }

    private string Message(FieldDefinition field, ValueProblem problem)
    {
        var label = field.Label.Get();
        var s = field.Settings;
        return problem switch
        {
            ValueProblem.Required => t["Validation.Required", label],
            ValueProblem.TooLong => t["Validation.TooLong", label, s.MaxLength ?? 0],
            ValueProblem.TooSmall => t["Validation.TooSmall", label, Number(s.Min)],
            ValueProblem.TooBig => t["Validation.TooBig", label, Number(s.Max)],
            ValueProblem.NotAnOption => t["Validation.NotAnOption", label],
            ValueProblem.Date => t["Validation.Date", label],
            ValueProblem.DateTime => t["Validation.DateTime", label],
            ValueProblem.Email => t["Validation.Email", label],
            ValueProblem.Url => t["Validation.Url", label],
            ValueProblem.Reference => t["Validation.Reference", label],
            ValueProblem.Number => t["Validation.Number", label],
            ValueProblem.Boolean => t["Validation.Boolean", label],
            ValueProblem.List => t["Validation.List", label],
            ValueProblem.Text => t["Validation.Text", label],
            ValueProblem.Type => t["Validation.Type", label],
            _ => t["Validation.Invalid", label],
        };
    }

    /// <summary>Why <paramref name="text"/> fails the field's patterns, or null when it matches them all.</summary>
    public string? PatternError(FieldContext ctx, string text)
    {
        var label = ctx.Label();
        foreach (var pattern in ctx.Type.Patterns(ctx))
        {
            switch (FieldPattern.Match(pattern.Pattern, text))
            {
                case PatternOutcome.Match: continue;
                case PatternOutcome.NoMatch:
                    return pattern.Custom && ctx.Settings.PatternMessage is { } pm && pm.Get().Length > 0
                        ? $"{label}: {pm.Get()}"
                        : t[$"Validation.Pattern.{(pattern.Custom ? "text" : ctx.Field.Type)}", label];
                case PatternOutcome.ValueTooLong: return t["Validation.PatternValueTooLong", label, FieldPattern.MaxValueLength];
                case PatternOutcome.TimedOut: return t["Validation.PatternTimeout", label];
                case PatternOutcome.Unusable: return t["Validation.PatternUnusable", label];
            }
        }
        return null;
    }

    /// <summary>The first option with this key (a loop: it runs for every select value of every write).</summary>
    private static ChoiceOption? Option(List<ChoiceOption>? options, string key)
    {
        if (options is null) return null;
        foreach (var o in options)
            if (o.Key == key) return o;
        return null;
    }

    private static string Number(decimal? d) => d?.ToString("0.##########", CultureInfo.CurrentCulture) ?? "";

    private void ValidateChoices(EntityMeta entity, JsonObject before, JsonObject values, PipelineMeta? pipeline, ValidationErrors errors)
    {
        foreach (var field in entity.Fields)
        {
            var value = values[field.Key];
            if (field.Type is not ("stage" or "status" or "select")) continue;
            if (value is null || JsonNode.DeepEquals(value, before[field.Key])) continue;
            var label = field.Label.Get();
            switch (field.Type)
            {
                case "stage" when value is JsonValue v && v.TryGetValue<string>(out var stageKey):
                    var stage = pipeline?.Stage(stageKey);
                    if (stage is null || stage.IsArchived) errors.Add(field.Key, t["Validation.StageNotInPipeline", label, pipeline?.Pipeline.Label.Get() ?? ""]);
                    break;
                case "status" when value is JsonValue v && v.TryGetValue<string>(out var statusKey):
                    if (entity.Owner.StatusList(field.Settings.StatusList)?.Option(statusKey) is not { IsArchived: false }) errors.Add(field.Key, t["Validation.NotAnOption", label]);
                    break;
                case "select" when value is JsonValue v && v.TryGetValue<string>(out var optionKey):
                    if (Option(field.Settings.Options, optionKey) is not { IsArchived: false }) errors.Add(field.Key, t["Validation.NotAnOption", label]);
                    break;
            }
        }
    }

}
