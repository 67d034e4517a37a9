namespace Crm.Core.Tenancy;

/// <summary>The resolved tenant of a request or circuit, and which strategy found it.</summary>
public sealed record TenantContext(TenantInfo Tenant, string StrategyName);

/// <summary>Reads the current tenant (Finbuckle: <c>IMultiTenantContextAccessor</c>).</summary>
public interface ITenantContextAccessor
{
    TenantContext? Current { get; }

    /// <summary>The current tenant, or an exception when none was resolved: use where a tenant is required.</summary>
    TenantInfo RequiredTenant => Current?.Tenant
        ?? throw new TenantRequiredException("No tenant has been resolved for this operation.");
}

/// <summary>Writes the current tenant (Finbuckle: <c>IMultiTenantContextSetter</c>).</summary>
public interface ITenantContextSetter
{
    void Set(TenantContext? context);
}

/// <summary>
/// One instance per DI scope: per HTTP request, or per Blazor circuit (a circuit's scope lives as long as the
/// circuit, so the tenant resolved when the circuit opened stays with it; no AsyncLocal, no HttpContext).
/// </summary>
public sealed class TenantContextHolder : ITenantContextAccessor, ITenantContextSetter
{
    public TenantContext? Current { get; private set; }

    public void Set(TenantContext? context) => Current = context;
}

public sealed class TenantRequiredException(string message) : InvalidOperationException(message);
