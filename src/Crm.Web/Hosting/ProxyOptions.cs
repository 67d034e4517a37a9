using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Crm.Web.Hosting;

/// <summary>
/// <c>Proxy</c> settings: behind a TLS-terminating proxy (nginx, a load balancer) the app sees plain HTTP from the
/// proxy. With <c>Proxy:Enabled</c> the X-Forwarded-For/-Proto headers are honoured, so the request counts as HTTPS:
/// HSTS is sent and cookies are Secure. Only the proxies in <c>Proxy:KnownProxies</c> (IP addresses) and
/// <c>Proxy:KnownNetworks</c> (CIDR, e.g. 10.0.0.0/8) are believed; with neither, any sender is (as
/// ASPNETCORE_FORWARDEDHEADERS_ENABLED does) — only for an app that nothing but the proxy can reach.
/// Without <c>Proxy:Enabled</c> the headers are ignored: a client cannot claim HTTPS or another address.
/// </summary>
public sealed class ProxyOptions
{
    public bool Enabled { get; set; }
    public string[] KnownProxies { get; set; } = [];
    public string[] KnownNetworks { get; set; } = [];

    public void Apply(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in KnownProxies) options.KnownProxies.Add(IPAddress.Parse(proxy));
        foreach (var network in KnownNetworks) options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
    }
}
