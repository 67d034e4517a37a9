namespace Crm.Core.Security;

/// <summary>
/// Where an actor acts from: the client's IP address and user agent, taken from the HTTP request (or, in a Blazor
/// circuit, from the request that opened the page). Written into the audit log; never used to decide access.
/// </summary>
public sealed record RequestOrigin(string? IpAddress, string? UserAgent)
{
    public const int MaxIpLength = 64;
    public const int MaxUserAgentLength = 512;

    /// <summary>Trims to the stored lengths; null for blank values.</summary>
    public static RequestOrigin Of(string? ip, string? userAgent) => new(Cut(ip, MaxIpLength), Cut(userAgent, MaxUserAgentLength));

    private static string? Cut(string? value, int max)
        => string.IsNullOrWhiteSpace(value) ? null : value.Length <= max ? value : value[..max];
}

/// <summary>The origin of the current request or circuit (scoped, like the actor), also for anonymous pages.</summary>
public interface IRequestOriginAccessor
{
    RequestOrigin? Current { get; }
    void Set(RequestOrigin? origin);
}

public sealed class RequestOriginHolder : IRequestOriginAccessor
{
    public RequestOrigin? Current { get; private set; }
    public void Set(RequestOrigin? origin) => Current = origin;
}
