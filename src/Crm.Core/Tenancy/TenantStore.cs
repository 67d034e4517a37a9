using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Crm.Core.Tenancy;

/// <summary>Finbuckle's <c>IMultiTenantStore</c>, reduced to what the CRM uses.</summary>
public interface ITenantStore
{
    Task<TenantInfo?> GetByIdentifierAsync(string identifier, CancellationToken ct = default);
    Task<TenantInfo?> GetByIdAsync(Guid id, CancellationToken ct = default);
    void Invalidate(TenantInfo tenant);
}

/// <summary>EF-backed store with a short in-memory cache (tenants are read on every request).</summary>
public sealed class EfTenantStore(ICrmDbContextFactory factory, IMemoryCache cache) : ITenantStore
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    public async Task<TenantInfo?> GetByIdentifierAsync(string identifier, CancellationToken ct = default)
    {
        var key = "tenant:slug:" + identifier.ToLowerInvariant();
        if (cache.TryGetValue(key, out TenantInfo? hit)) return hit;
        await using var db = factory.CreateGlobal();
        var normalized = identifier.ToLowerInvariant();
        // A deleted workspace (erasure pending or running) is unknown from the moment it was deleted.
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Identifier == normalized && t.DeletedAt == null, ct);
        // Misses are cached briefly too, so a flood of unknown slugs does not reach the database each time.
        cache.Set(key, tenant, tenant is null ? TimeSpan.FromSeconds(5) : Ttl);
        return tenant;
    }

    public async Task<TenantInfo?> GetByIdAsync(Guid id, CancellationToken ct = default)
    {
        var key = "tenant:id:" + id;
        if (cache.TryGetValue(key, out TenantInfo? hit)) return hit;
        await using var db = factory.CreateGlobal();
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id && t.DeletedAt == null, ct);
        if (tenant is not null) cache.Set(key, tenant, Ttl);
        return tenant;
    }

    public void Invalidate(TenantInfo tenant)
    {
        cache.Remove("tenant:slug:" + tenant.Identifier.ToLowerInvariant());
        cache.Remove("tenant:id:" + tenant.Id);
    }
}
