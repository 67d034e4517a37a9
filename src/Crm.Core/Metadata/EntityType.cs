using Crm.Core.Tenancy;

namespace Crm.Core.Metadata;

/// <summary>A kind of record a tenant keeps: 客户, 商机, 工单 … Defined by data, rendered by the UI.</summary>
public sealed class EntityType : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>Stable key (e.g. <c>opportunity</c>): URLs, API, templates and reports use it; labels may change.</summary>
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public LocalizedText PluralLabel { get; set; } = LocalizedText.Same("");
    public LocalizedText? Description { get; set; }
    public string Icon { get; set; } = "Description";
    public int SortOrder { get; set; }
    public bool IsArchived { get; set; }

    /// <summary>The field whose value becomes the record's title.</summary>
    public string TitleFieldKey { get; set; } = "";
    // Fields projected into the record's typed columns (indexes, boards, reports).
    public string? AmountFieldKey { get; set; }
    public string? CloseDateFieldKey { get; set; }
    public string? OwnerFieldKey { get; set; }
    public string? StatusFieldKey { get; set; }
    public string? StageFieldKey { get; set; }
    public string? LostReasonFieldKey { get; set; }

    /// <summary>Form sections in order; fields name their section by key.</summary>
    public List<FormSection> Sections { get; set; } = [];

    /// <summary>Form rules (显隐规则) in order: show, require or make read-only fields when conditions hold.</summary>
    public List<FormRule> FormRules { get; set; } = [];

    /// <summary>Template that created it (null when made in the designer).</summary>
    public string? Origin { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public List<FieldDefinition> Fields { get; set; } = [];
    public List<Pipeline> Pipelines { get; set; } = [];
}

public sealed record FormSection(string Key, LocalizedText Label, int Columns = 2);
