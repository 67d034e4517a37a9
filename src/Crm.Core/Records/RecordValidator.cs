using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Microsoft.Extensions.Localization;
using NJsonSchema.Validation;

namespace Crm.Core.Records;

/// <summary>
/// The validation a value set can have without the database: the entity type's JSON Schema and the choice rules
/// (stage of the record's pipeline, no newly chosen archived option). The record writer runs it on every write,
/// and forms run the very same code while the user types, so both show the same messages.
/// </summary>
public sealed class RecordValidator(IStringLocalizer<CoreStrings> t)
{
    /// <summary>Validates <paramref name="values"/>; <paramref name="before"/> are the stored values (unchanged archived options stay valid).</summary>
    public void Validate(EntityMeta entity, JsonObject before, JsonObject values, PipelineMeta? pipeline, ValidationErrors errors)
    {
        ValidateSchema(entity, values, errors);
        ValidateChoices(entity, before, values, pipeline, errors);
    }

    /// <summary>
    /// One schema validator per thread, reused: building one (its format validators) cost about as much as
    /// validating a record. It keeps no state between calls; per thread only to be safe.
    /// </summary>
    [ThreadStatic] private static JsonSchemaValidator? validator;

    private void ValidateSchema(EntityMeta entity, JsonObject values, ValidationErrors errors)
    {
        // Keys starting with "_" hold data the product keeps aside (e.g. values that did not convert on a field
        // type change); they are not fields and are not validated.
        // (Copied without them only when there are any: the values are serialised as they are otherwise.)
        var document = values;
        foreach (var (key, _) in values)
            if (key.StartsWith('_'))
            {
                document = new JsonObject();
                foreach (var (k, value) in values)
                    if (!k.StartsWith('_')) document[k] = value?.DeepClone();
                break;
            }
        var found = new List<(string Key, string Message, bool Required)>();
        foreach (var error in (validator ??= new JsonSchemaValidator(new JsonSchemaValidatorSettings())).Validate(document.ToJsonString(), entity.ValidationSchema))
            CollectSchemaError(entity, error, found);
        // Patterns are not in the validation schema (NJsonSchema backtracks); they run here, in bounded time,
        // on values the schema found nothing wrong with.
        foreach (var field in entity.Fields)
        {
            if (field.Key.StartsWith('_') || document[field.Key] is not JsonValue v || !v.TryGetValue<string>(out var text) || found.Any(f => f.Key == field.Key)) continue;
            if (PatternError(new FieldContext(field, entity), text) is { } message) found.Add((field.Key, message, false));
        }
        // One message per field; "required" wins over the type errors an empty value also produces.
        foreach (var group in found.GroupBy(f => f.Key))
            errors.Add(group.Key, (group.FirstOrDefault(g => g.Required).Message ?? group.First().Message));
    }

    private void CollectSchemaError(EntityMeta entity, ValidationError error, List<(string Key, string Message, bool Required)> found)
    {
        if (error is ChildSchemaValidationError child)
        {
            foreach (var nested in child.Errors.SelectMany(e => e.Value)) CollectSchemaError(entity, nested, found);
            return;
        }
        if (error is MultiTypeValidationError multi)
        {
            // An optional field's schema is "its type or null": report why the value fails as its own type
            // ("must be an e-mail address"), not the generic "matches no type".
            var asType = multi.Errors.Where(e => e.Key != NJsonSchema.JsonObjectType.Null).SelectMany(e => e.Value).ToList();
            if (asType.Count > 0)
            {
                foreach (var nested in asType) CollectSchemaError(entity, nested, found);
                return;
            }
        }
        var key = error.Kind == ValidationErrorKind.PropertyRequired || error.Kind == ValidationErrorKind.NoAdditionalPropertiesAllowed
            ? error.Property
            : (error.Path ?? "").TrimStart('#', '/').Split('/', '.', '[')[0];
        if (string.IsNullOrEmpty(key)) key = error.Property ?? RecordWriter.RecordErrorKey;
        var field = entity.Field(key);
        var label = field?.Label.Get() ?? key;
        var s = field?.Settings;
        string message = error.Kind switch
        {
            ValidationErrorKind.PropertyRequired or ValidationErrorKind.StringTooShort or ValidationErrorKind.TooFewItems
                or ValidationErrorKind.NullExpected => t["Validation.Required", label],
            ValidationErrorKind.StringTooLong => t["Validation.TooLong", label, s?.MaxLength ?? 0],
            ValidationErrorKind.NumberTooSmall => t["Validation.TooSmall", label, Number(s?.Min)],
            ValidationErrorKind.NumberTooBig => t["Validation.TooBig", label, Number(s?.Max)],
            ValidationErrorKind.NotInEnumeration => t["Validation.NotAnOption", label],
            ValidationErrorKind.DateExpected => t["Validation.Date", label],
            ValidationErrorKind.DateTimeExpected => t["Validation.DateTime", label],
            ValidationErrorKind.EmailExpected => t["Validation.Email", label],
            ValidationErrorKind.UriExpected => t["Validation.Url", label],
            ValidationErrorKind.GuidExpected => t["Validation.Reference", label],
            ValidationErrorKind.NumberExpected or ValidationErrorKind.IntegerExpected => t["Validation.Number", label],
            ValidationErrorKind.BooleanExpected => t["Validation.Boolean", label],
            ValidationErrorKind.ArrayExpected or ValidationErrorKind.ItemsNotUnique => t["Validation.List", label],
            ValidationErrorKind.StringExpected => t["Validation.Text", label],
            ValidationErrorKind.NoAdditionalPropertiesAllowed => t["Record.UnknownField", key],
            _ when error.Kind.ToString().EndsWith("Expected", StringComparison.Ordinal) => t["Validation.Type", label],
            _ => t["Validation.Invalid", label],
        };
        var required = error.Kind is ValidationErrorKind.PropertyRequired or ValidationErrorKind.StringTooShort or ValidationErrorKind.TooFewItems or ValidationErrorKind.NullExpected;
        found.Add((key, message, required));
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

    private static string Number(decimal? d) => d?.ToString("0.##########", CultureInfo.CurrentCulture) ?? "";

    private void ValidateChoices(EntityMeta entity, JsonObject before, JsonObject values, PipelineMeta? pipeline, ValidationErrors errors)
    {
        foreach (var field in entity.Fields)
        {
            var value = values[field.Key];
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
                    if (field.Settings.Options?.FirstOrDefault(o => o.Key == optionKey) is not { IsArchived: false }) errors.Add(field.Key, t["Validation.NotAnOption", label]);
                    break;
            }
        }
    }

}
