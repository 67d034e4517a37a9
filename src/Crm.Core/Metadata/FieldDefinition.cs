using Crm.Core.Tenancy;

namespace Crm.Core.Metadata;

/// <summary>
/// One field of an entity type: a stable key, a field type name and a settings bag (OrchardCore's
/// "part field definition"). Values live in the record's JSON column under <see cref="Key"/>.
/// </summary>
public sealed class FieldDefinition : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string Key { get; set; } = "";
    /// <summary>Name of a registered field type (text, money, stage …), see <see cref="Fields.FieldTypeRegistry"/>.</summary>
    public string Type { get; set; } = "text";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public LocalizedText? HelpText { get; set; }
    public string? SectionKey { get; set; }
    public int SortOrder { get; set; }
    /// <summary>Hidden from forms and lists; its values stay in the records and come back on restore.</summary>
    public bool IsArchived { get; set; }
    public FieldSettings Settings { get; set; } = new();
    public string? Origin { get; set; }
    /// <summary>
    /// The record column holding this field's typed copy ("n3" → <c>Num3</c>, "t5" → <c>Text5</c>), or null when it
    /// has none (bound fields, multi-selects, long text, or every slot of its kind taken): see <see cref="Records.IndexSlots"/>.
    /// </summary>
    public string? IndexSlot { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}
