using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;

namespace Crm.Web.Components.Fields;

/// <summary>
/// What every field editor receives: the field, its entity type, the JSON value (as stored in the record) and a
/// callback for the new value, the error to show, and whether it is read-only. Editors convert between JSON and
/// the MudBlazor input's type; validation messages come from the form (the server's own validator).
/// </summary>
public abstract class FieldEditorBase : ComponentBase
{
    [Parameter, EditorRequired] public FieldDefinition Field { get; set; } = default!;
    [Parameter, EditorRequired] public EntityMeta Entity { get; set; } = default!;
    [Parameter] public JsonNode? Value { get; set; }
    [Parameter] public EventCallback<JsonNode?> ValueChanged { get; set; }
    [Parameter] public string? Error { get; set; }
    [Parameter] public bool ReadOnly { get; set; }
    /// <summary>The record's pipeline (stage fields list its stages).</summary>
    [Parameter] public string? Pipeline { get; set; }
    /// <summary>Names of referenced records and members, for showing lookups and members before any search.</summary>
    [Parameter] public IReadOnlyDictionary<Guid, string>? Names { get; set; }
    /// <summary>The form's values (a lookup's pick filter may compare with them, "$form.key").</summary>
    [Parameter] public JsonObject? FormValues { get; set; }
    [CascadingParameter] public TenantSession? Session { get; set; }

    protected FieldContext Context => new(Field, Entity);
    protected FieldType Type => FieldTypeRegistry.Get(Field.Type);
    protected string Label => Field.Label.Get();
    protected string? Help => Field.HelpText?.Get();
    protected bool Required => Field.Settings.Required && !Type.IsComputed;
    protected bool HasError => !string.IsNullOrEmpty(Error);
    protected string InputId => "f-" + Field.Key;

    protected string? StringValue => Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The value as a number, whatever CLR number the JSON node was made from (parsed JSON, int, decimal …).</summary>
    protected decimal? NumberValue => JsonNumbers.AsDecimal(Value);

    protected Task SetAsync(JsonNode? value) => ValueChanged.InvokeAsync(value);
    protected Task SetStringAsync(string? value) => SetAsync(string.IsNullOrEmpty(value) ? null : JsonValue.Create(value));
}
