using Crm.Core.Tenancy;

namespace Crm.Core.Metadata;

/// <summary>One row per tenant: the metadata version stamp that caches compare against.</summary>
public sealed class TenantSettings : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public long MetadataVersion { get; set; }
}
