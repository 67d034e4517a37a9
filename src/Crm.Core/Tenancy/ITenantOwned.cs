namespace Crm.Core.Tenancy;

/// <summary>
/// Marks an entity as owned by one tenant. Such entities get the primary key <c>(TenantId, Id)</c>, the named
/// query filter <see cref="Data.CrmDbContext.TenantFilter"/>, the SaveChanges guard and, on PostgreSQL, a
/// row-level security policy.
/// </summary>
public interface ITenantOwned
{
    Guid TenantId { get; set; }
}
