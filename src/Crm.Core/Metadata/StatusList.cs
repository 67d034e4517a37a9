using Crm.Core.Tenancy;

namespace Crm.Core.Metadata;

/// <summary>An ordered list of statuses with groups, e.g. 潜在客户 (新增, 跟进中, 等待回复) … 流失客户.</summary>
public sealed class StatusList : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public List<StatusGroup> Groups { get; set; } = [];
    public string? Origin { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
    public List<StatusOption> Options { get; set; } = [];
}

public sealed record StatusGroup(string Key, LocalizedText Label, string? Color = null, LocalizedText? Description = null);

/// <summary>One status. A row (not JSON) so records can reference it and reports can join it.</summary>
public sealed class StatusOption : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid StatusListId { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string? GroupKey { get; set; }
    public string Color { get; set; } = "#868e96";
    public LocalizedText? Description { get; set; }
    public int SortOrder { get; set; }
    public bool IsArchived { get; set; }
}
