using Microsoft.Extensions.Options;

namespace Crm.Core.Tenancy;

/// <summary>What a strategy may look at: the request path, host and headers (an HTTP request or a circuit's URL).</summary>
public sealed record TenantResolutionRequest(string Path, string? Host, Func<string, string?> Header)
{
    public static TenantResolutionRequest FromUri(Uri uri) => new(uri.AbsolutePath, uri.Host, _ => null);

    /// <summary>The client's address and user agent, for the audit log (API key use); never used to resolve.</summary>
    public Security.RequestOrigin? Origin { get; init; }
}

/// <summary>Finds a tenant identifier in a request, or returns null. Strategies are tried by ascending <see cref="Order"/>.</summary>
public interface ITenantStrategy
{
    string Name { get; }
    int Order { get; }
    Task<string?> GetIdentifierAsync(TenantResolutionRequest request, CancellationToken ct);
}

public sealed class TenancyOptions
{
    /// <summary>The route prefix before the identifier: <c>/t/{identifier}</c>.</summary>
    public string RoutePrefix { get; set; } = "t";

    /// <summary>When set (e.g. <c>crm.example.com</c>), <c>{identifier}.crm.example.com</c> selects a tenant.</summary>
    public string? HostDomain { get; set; }

    /// <summary>Header carrying an API key that belongs to one tenant.</summary>
    public string ApiKeyHeader { get; set; } = "X-Api-Key";
}

/// <summary><c>/t/{identifier}/…</c>: first, because it works on localhost and is explicit in every link.</summary>
public sealed class RoutePrefixStrategy(IOptions<TenancyOptions> options) : ITenantStrategy
{
    public string Name => "route";
    public int Order => 100;

    public Task<string?> GetIdentifierAsync(TenantResolutionRequest request, CancellationToken ct)
        => Task.FromResult(Parse(request.Path, options.Value.RoutePrefix));

    public static string? Parse(string path, string prefix)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 2 && string.Equals(segments[0], prefix, StringComparison.OrdinalIgnoreCase))
            return Uri.UnescapeDataString(segments[1]).ToLowerInvariant();
        return null;
    }
}

/// <summary><c>{identifier}.{HostDomain}</c>, only when a host domain is configured.</summary>
public sealed class HostStrategy(IOptions<TenancyOptions> options) : ITenantStrategy
{
    public string Name => "host";
    public int Order => 200;

    public Task<string?> GetIdentifierAsync(TenantResolutionRequest request, CancellationToken ct)
    {
        var domain = options.Value.HostDomain;
        if (string.IsNullOrWhiteSpace(domain) || string.IsNullOrEmpty(request.Host)) return Task.FromResult<string?>(null);
        var host = request.Host.ToLowerInvariant();
        var suffix = "." + domain.Trim().TrimStart('.').ToLowerInvariant();
        if (!host.EndsWith(suffix, StringComparison.Ordinal)) return Task.FromResult<string?>(null);
        var label = host[..^suffix.Length];
        return Task.FromResult<string?>(label.Length == 0 || label.Contains('.') ? null : label);
    }
}

/// <summary>An API key in a header: for integrations calling <c>/api/…</c> without a browser session.</summary>
public sealed class ApiKeyStrategy(IOptions<TenancyOptions> options, IApiKeyStore keys) : ITenantStrategy
{
    public string Name => "api-key";
    public int Order => 300;

    public async Task<string?> GetIdentifierAsync(TenantResolutionRequest request, CancellationToken ct)
    {
        var key = request.Header(options.Value.ApiKeyHeader);
        if (string.IsNullOrWhiteSpace(key)) return null;
        var found = await keys.FindAsync(key, request.Origin, ct);
        return found?.TenantIdentifier;
    }
}
