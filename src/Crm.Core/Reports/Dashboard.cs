using Crm.Core.Metadata;
using Crm.Core.Tenancy;

namespace Crm.Core.Reports;

/// <summary>A grid of widgets, each showing a saved report. The default dashboard is the workspace home page.</summary>
public sealed class Dashboard : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Key { get; set; } = "";
    public LocalizedText Name { get; set; } = LocalizedText.Same("");
    public bool IsDefault { get; set; }
    public List<DashboardWidget> Widgets { get; set; } = [];
    public string? Origin { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>A widget on a 12-column grid; it names its report by key so dashboards export and import cleanly.</summary>
public sealed record DashboardWidget(string Key, string ReportKey, string Kind, LocalizedText? Title, int X, int Y, int W, int H);
