using Crm.Core.Tenancy;

namespace Crm.Core.Templates;

/// <summary>
/// A template installed in a tenant, with the exact document installed. On upgrade the installer compares the
/// tenant's current metadata with this snapshot to tell the tenant's own changes (kept) from untouched template
/// values (updated).
/// </summary>
public sealed class TemplateInstallation : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string TemplateId { get; set; } = "";
    public string Version { get; set; } = "";
    public DateTime InstalledAt { get; set; } = DateTime.UtcNow;
    public Guid? InstalledBy { get; set; }
    public bool WithSampleData { get; set; }
    public string Snapshot { get; set; } = "{}";
}
