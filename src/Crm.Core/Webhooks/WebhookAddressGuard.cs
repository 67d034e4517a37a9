using System.Net;
using System.Net.Sockets;

namespace Crm.Core.Webhooks;

/// <summary>Resolves host names (a seam, so tests can make a name resolve to a private address).</summary>
public interface IWebhookDnsResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

public sealed class SystemDnsResolver : IWebhookDnsResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}

/// <summary>A webhook URL or address the SSRF guard refuses; the message says why.</summary>
public sealed class WebhookAddressException(string message) : Exception(message);

/// <summary>
/// The SSRF guard. A webhook must not reach inside the installation: the host is resolved here, and every address
/// it resolves to must be public (no loopback, private RFC 1918, CGNAT, ULA, link-local, multicast, unspecified,
/// reserved, nor IPv4-mapped/compatible, NAT64 or 6to4 forms of those). Checked when a webhook is saved and again at
/// every connection (<see cref="WebhookHttp"/> connects only to the address vetted here, so a DNS answer that
/// changes between the check and the connection — DNS rebinding — cannot slip through).
/// </summary>
public sealed class WebhookAddressGuard(WebhookOptions options, IWebhookDnsResolver dns)
{
    /// <summary>Checks the URL's form (absolute http/https, no user info) and its host's addresses; returns the parsed URL.</summary>
    public async Task<Uri> CheckUrlAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new WebhookAddressException("The URL must be an absolute http:// or https:// address.");
        if (!string.IsNullOrEmpty(uri.UserInfo)) throw new WebhookAddressException("The URL must not contain a user name or password.");
        if (uri.ToString().Length > 2000) throw new WebhookAddressException("The URL has more than 2000 characters.");
        await ResolveAsync(uri.IdnHost, ct);
        return uri;
    }

    /// <summary>The address to connect to for <paramref name="host"/>: the first of its addresses, after all of them passed.</summary>
    public async Task<IPAddress> ResolveAsync(string host, CancellationToken ct)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) addresses = [literal];
        else
        {
            try { addresses = await dns.ResolveAsync(host, ct); }
            catch (SocketException e) { throw new WebhookAddressException($"The host '{host}' could not be resolved ({e.SocketErrorCode})."); }
            if (addresses.Length == 0) throw new WebhookAddressException($"The host '{host}' could not be resolved.");
        }
        // Every address must pass: a name with one public and one internal address is refused (the client could use either).
        foreach (var a in addresses)
            if (!IsAllowed(a)) throw new WebhookAddressException($"The host '{host}' resolves to {a}, an internal address; webhooks may only call public addresses.");
        return addresses.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
    }

    public bool IsAllowed(IPAddress address)
    {
        if (options.AllowPrivateNetworks) return true;
        if (options.AllowedAddresses.Any(s => IPAddress.TryParse(s, out var ok) && ok.Equals(address))) return true;
        return !IsInternal(address);
    }

    /// <summary>Whether <paramref name="address"/> is anything but a public unicast address.</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return IsInternal(address.MapToIPv4());
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 0                                   // 0.0.0.0/8 "this network", unspecified
                || b[0] == 10                                  // RFC 1918
                || b[0] == 127                                 // loopback
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)  // CGNAT 100.64.0.0/10
                || (b[0] == 169 && b[1] == 254)                // link-local (cloud metadata 169.254.169.254)
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)   // RFC 1918
                || (b[0] == 192 && b[1] == 168)                // RFC 1918
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)     // IETF protocol assignments
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) // benchmarking
                || b[0] >= 224;                                // multicast, reserved, broadcast
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;
        if (IPAddress.IPv6Loopback.Equals(address) || IPAddress.IPv6None.Equals(address)) return true;
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast) return true;
        var v6 = address.GetAddressBytes();
        if ((v6[0] & 0xFE) == 0xFC) return true;                              // ULA fc00::/7
        if (v6.Take(12).All(x => x == 0)) return IsInternal(new IPAddress(v6[12..16])); // IPv4-compatible ::a.b.c.d
        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xFF && v6[3] == 0x9B)           // NAT64 64:ff9b::/96
            return IsInternal(new IPAddress(v6[12..16]));
        if (v6[0] == 0x20 && v6[1] == 0x02) return IsInternal(new IPAddress(v6[2..6])); // 6to4 2002::/16
        if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0D && v6[3] == 0xB8) return true; // documentation
        return false;
    }
}
