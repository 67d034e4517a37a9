namespace Crm.Core.Tenancy;

/// <summary>The outcome of resolution: a tenant, an identifier that matched no tenant, or nothing at all.</summary>
public sealed record TenantResolution(TenantContext? Context, string? UnknownIdentifier)
{
    public static readonly TenantResolution None = new(null, null);
    public bool IsUnknown => Context is null && UnknownIdentifier is not null;
}

/// <summary>
/// Tries the strategies in ascending <see cref="ITenantStrategy.Order"/> (route, host, API key) and stops at the
/// first that yields an identifier. An identifier that names no tenant stops the search too: a wrong
/// <c>/t/{slug}</c> must be a 404, not fall through to a host or key that names another workspace.
/// </summary>
public sealed class TenantResolver(IEnumerable<ITenantStrategy> strategies, ITenantStore store)
{
    private readonly ITenantStrategy[] _strategies = strategies.OrderBy(s => s.Order).ToArray();

    public IReadOnlyList<ITenantStrategy> Strategies => _strategies;

    public async Task<TenantResolution> ResolveAsync(TenantResolutionRequest request, CancellationToken ct = default)
    {
        foreach (var strategy in _strategies)
        {
            var identifier = await strategy.GetIdentifierAsync(request, ct);
            if (identifier is null) continue;
            var tenant = await store.GetByIdentifierAsync(identifier, ct);
            return tenant is null
                ? new TenantResolution(null, identifier)
                : new TenantResolution(new TenantContext(tenant, strategy.Name), null);
        }
        return TenantResolution.None;
    }
}
