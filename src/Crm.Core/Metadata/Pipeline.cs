using Crm.Core.Tenancy;

namespace Crm.Core.Metadata;

/// <summary>A sales process of an entity type; an entity type may have several (e.g. new business, renewals).</summary>
public sealed class Pipeline : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public bool IsDefault { get; set; }
    public int SortOrder { get; set; }
    public bool IsArchived { get; set; }
    public string? Origin { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
    public List<PipelineStage> Stages { get; set; } = [];
}

public enum StageKind
{
    Open = 0,
    Won = 1,
    Lost = 2,
}

/// <summary>A funnel stage with its win probability, kind and how long a deal may sit in it.</summary>
public sealed class PipelineStage : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid PipelineId { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string Color { get; set; } = "#4dabf7";
    /// <summary>Win probability in percent, 0–100.</summary>
    public int Probability { get; set; }
    public StageKind Kind { get; set; }
    public int? StaleAfterDays { get; set; }
    public int SortOrder { get; set; }
    public bool IsArchived { get; set; }
}
