using Crm.Core.Tenancy;

namespace Crm.Core.Views;

/// <summary>The columns one person chose under "Columns" for the lists of one entity type without saving a view;
/// the list opens with them until they reset to the default view's columns.</summary>
public sealed class ListColumnPreference : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public Guid EntityTypeId { get; set; }
    public List<string> Columns { get; set; } = [];
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}
