using Crm.Core.Tenancy;

namespace Crm.Core.Records;

/// <summary>The next number of an auto-number field, per tenant, entity type and field.</summary>
public sealed class SequenceCounter : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string FieldKey { get; set; } = "";
    public long NextValue { get; set; } = 1;
    public long Version { get; set; }
}
