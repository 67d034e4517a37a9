using Crm.Core.Fields;
using Crm.Core.Metadata;
using NJsonSchema;

namespace Crm.Core.Records;

/// <summary>
/// Compiles an entity type's fields into the JSON Schema of its record values: the one source of truth for
/// validation. The server validates every write against it and serves it to integrators
/// (<c>GET …/api/entities/{key}/schema</c>); forms show the same rules.
/// </summary>
public static class RecordSchemaCompiler
{
    /// <param name="withPatterns">false for the schema the server validates with: NJsonSchema matches
    /// <c>pattern</c> with a backtracking regex, so a tenant's pattern must never reach it.</param>
    /// <param name="fields">One actor's view of the fields: hidden fields are left out, fields the actor may not
    /// write are <c>readOnly</c> and not required. Null: every field (the cached schema of <see cref="EntityMeta.Schema"/>).</param>
    public static JsonSchema Compile(EntityMeta entity, bool withPatterns = true, Permissions.EntityFieldView? fields = null)
    {
        var schema = new JsonSchema
        {
            Type = JsonObjectType.Object,
            AllowAdditionalProperties = false,
            Title = entity.Entity.Label.En,
        };
        schema.ExtensionData = new Dictionary<string, object?> { ["x-entity"] = entity.Key, ["x-label"] = Labels(entity.Entity.Label) };

        foreach (var field in fields?.AllFields ?? entity.AllFields)
        {
            var writable = fields?.CanWrite(field.Key) ?? true;
            var type = FieldTypeRegistry.Find(field.Type);
            if (type is null) continue;
            var ctx = new FieldContext(field, entity);
            var property = new JsonSchemaProperty();
            var fragment = type.BuildSchema(ctx);
            Copy(fragment, property);
            if (!withPatterns) property.Pattern = null;
            var required = field.Settings.Required && !field.IsArchived && !type.IsComputed && writable;
            if (required)
            {
                schema.RequiredProperties.Add(field.Key);
                if (property.Type.HasFlag(JsonObjectType.String) && property.Enumeration.Count == 0) property.MinLength = Math.Max(property.MinLength ?? 0, 1);
                if (property.Type.HasFlag(JsonObjectType.Array)) property.MinItems = Math.Max(property.MinItems, 1);
            }
            else
            {
                property.Type |= JsonObjectType.Null;
                if (property.Enumeration.Count > 0) property.Enumeration.Add(null);
            }
            property.Title = field.Key;
            if (field.HelpText is not null) property.Description = field.HelpText.En;
            property.IsReadOnly = type.IsComputed || !writable;
            property.ExtensionData = new Dictionary<string, object?>
            {
                ["x-label"] = Labels(field.Label),
                ["x-field-type"] = field.Type,
                ["x-archived"] = field.IsArchived,
            };
            // A lookup: the record type it names and its linked fields (数据联动): the fields a pick fills when the
            // write does not give them, and the filter a picked record must pass ("$form.key" is this record's field).
            if (field.Type == Fields.FieldTypes.Lookup)
            {
                property.ExtensionData["x-target"] = field.Settings.Target;
                if (field.Settings.Fill is { Count: > 0 } fill)
                    property.ExtensionData["x-fills"] = fill.Select(p => new Dictionary<string, string> { ["from"] = p.From, ["to"] = p.To }).ToList();
                if (field.Settings.PickFilter is { Count: > 0 } filter)
                    property.ExtensionData["x-pick-filter"] = filter.Select(f => new Dictionary<string, string?>
                    {
                        ["field"] = f.Field, ["op"] = f.Op,
                        ["value"] = f.Value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text) ? text : f.Value?.ToJsonString(),
                    }).ToList();
            }
            // For one actor's schema: a field they may see but not change (the server refuses a different value).
            if (!writable) property.ExtensionData["x-access"] = "readOnly";
            schema.Properties[field.Key] = property;
        }
        // Form rules (显隐规则) as the server enforces them on user writes, by keys (field keys, option keys), so an
        // API client sees which fields a condition makes required or read-only. For one actor's schema, a rule that
        // reads or targets a field hidden from them is left out (its condition would tell the hidden field's values).
        var rules = entity.Entity.FormRules.Where(r => fields is null || r.Reads.Concat(r.Fields).All(fields.CanSee)).ToList();
        if (rules.Count > 0)
            schema.ExtensionData["x-rules"] = rules.Select(r => new Dictionary<string, object?>
            {
                ["key"] = r.Key,
                ["match"] = r.When.Match,
                ["when"] = r.When.Filters.Select(f => new Dictionary<string, object?> { ["field"] = f.Field, ["op"] = f.Op, ["value"] = Plain(f.Value) }).ToList(),
                ["fields"] = r.Fields.ToList(),
                ["effects"] = r.Effects.ToList(),
            }).ToList();
        return schema;
    }

    /// <summary>A filter value as plain values (string, number, bool, list) for the schema's extension data.</summary>
    private static object? Plain(System.Text.Json.Nodes.JsonNode? node) => node switch
    {
        null => null,
        System.Text.Json.Nodes.JsonArray a => a.Select(Plain).ToList(),
        System.Text.Json.Nodes.JsonValue v when v.TryGetValue<string>(out var s) => s,
        System.Text.Json.Nodes.JsonValue v when v.TryGetValue<bool>(out var b) => b,
        System.Text.Json.Nodes.JsonValue v when JsonNumbers.TryGetDecimal(v, out var d) => d,
        _ => node.ToJsonString(),
    };

    private static Dictionary<string, string> Labels(LocalizedText text) => new() { ["zh-CN"] = text.ZhCn, ["en"] = text.En };

    private static void Copy(JsonSchema from, JsonSchema to)
    {
        to.Type = from.Type;
        to.Format = from.Format;
        to.Pattern = from.Pattern;
        to.MaxLength = from.MaxLength;
        to.MinLength = from.MinLength;
        to.Minimum = from.Minimum;
        to.Maximum = from.Maximum;
        to.UniqueItems = from.UniqueItems;
        to.Item = from.Item;
        foreach (var e in from.Enumeration) to.Enumeration.Add(e);
    }
}
