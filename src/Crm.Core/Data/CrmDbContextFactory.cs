using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Data;

/// <summary>
/// Creates a context per operation. The tenant is always given explicitly: Blazor circuits outlive requests,
/// so nothing here reads an ambient HttpContext or AsyncLocal.
/// </summary>
public interface ICrmDbContextFactory
{
    DatabaseProvider Provider { get; }
    CrmDbContext CreateForTenant(Guid tenantId);
    CrmDbContext CreateGlobal();
}

public sealed class CrmDbContextFactory(DbContextOptions<CrmDbContext> options, DatabaseProvider provider) : ICrmDbContextFactory
{
    public DatabaseProvider Provider => provider;

    public CrmDbContext CreateForTenant(Guid tenantId)
    {
        if (tenantId == Guid.Empty) throw new TenantRequiredException("A tenant id is required.");
        return new CrmDbContext(options, tenantId);
    }

    public CrmDbContext CreateGlobal() => new(options, null);
}

public static class CrmDbContextFactoryExtensions
{
    public static CrmDbContext CreateFor(this ICrmDbContextFactory factory, TenantInfo tenant) => factory.CreateForTenant(tenant.Id);
}
