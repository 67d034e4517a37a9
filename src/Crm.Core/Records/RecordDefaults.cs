using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;

namespace Crm.Core.Records;

/// <summary>
/// The values a new record starts with: each field's default ("$me", "$today", "$now" resolved), the owner field
/// set to the creator, and the stage set to the pipeline's first open stage. Forms show the same start values the
/// writer uses.
/// </summary>
public static class RecordDefaults
{
    public static JsonObject For(EntityMeta entity, Guid userId, DateTime utcNow, PipelineMeta? pipeline)
    {
        var values = new JsonObject();
        foreach (var field in entity.Fields)
        {
            var type = FieldTypeRegistry.Get(field.Type);
            if (type.IsComputed) continue;
            if (field.Settings.Default is { } d)
            {
                var value = d is JsonValue v && v.TryGetValue<string>(out var s) ? Resolve(field, s, userId, utcNow) : d.DeepClone();
                if (value is not null) values[field.Key] = value;
            }
            else if (field.Key == entity.Entity.OwnerFieldKey && type.DynamicDefaults.Contains("$me"))
            {
                values[field.Key] = userId.ToString();
            }
        }
        if (entity.StageField is { } stage && values[stage.Key] is null && (pipeline ?? entity.DefaultPipeline)?.FirstOpenStage is { } first)
            values[stage.Key] = first.Key;
        return values;
    }

    private static JsonNode? Resolve(FieldDefinition field, string value, Guid userId, DateTime utcNow)
        => FieldTypeRegistry.Get(field.Type).ResolveDefault(value, userId, utcNow) ?? JsonValue.Create(value);
}
