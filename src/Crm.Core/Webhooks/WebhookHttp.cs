using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Crm.Core.Webhooks;

/// <summary>The answer to one attempt: a status code (null when no answer came), an error text, how long it took.</summary>
public sealed record WebhookResponse(int? StatusCode, string? Error, int DurationMs)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}

/// <summary>
/// Posts webhook payloads with the SSRF guard on every connection: <see cref="SocketsHttpHandler.ConnectCallback"/>
/// resolves the host through <see cref="WebhookAddressGuard"/> and connects only to the address it vetted. Redirects
/// are followed by hand (at most <see cref="WebhookOptions.MaxRedirects"/>, each hop's URL checked again), every hop
/// within <see cref="WebhookOptions.Timeout"/>, and at most <see cref="WebhookOptions.MaxResponseBytes"/> of an
/// answer is read.
/// </summary>
public sealed class WebhookHttp : IDisposable
{
    private readonly WebhookOptions options;
    private readonly WebhookAddressGuard guard;
    private readonly HttpClient client;

    public WebhookHttp(WebhookOptions options, WebhookAddressGuard guard)
    {
        (this.options, this.guard) = (options, guard);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = options.Timeout,
            // Short-lived pooled connections: a host whose address changes is resolved and vetted again soon.
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = async (context, ct) =>
            {
                var address = await guard.ResolveAsync(context.DnsEndPoint.Host, ct);
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Crm.Saas-Webhooks", "1.0"));
    }

    /// <summary>POSTs <paramref name="body"/> to <paramref name="url"/> with <paramref name="headers"/>; never throws for the receiver's failures.</summary>
    public async Task<WebhookResponse> PostAsync(string url, string body, IReadOnlyDictionary<string, string> headers, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var target = await guard.CheckUrlAsync(url, ct);
            for (var hop = 0; ; hop++)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.Timeout);
                using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                foreach (var (k, v) in headers) request.Headers.TryAddWithoutValidation(k, v);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                await DrainAsync(response, timeout.Token);
                var code = (int)response.StatusCode;
                if (code is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
                {
                    if (hop >= options.MaxRedirects) return new(code, $"More than {options.MaxRedirects} redirects.", Ms(watch));
                    var next = location.IsAbsoluteUri ? location : new Uri(target, location);
                    // The next hop passes the same checks (scheme, user info, every resolved address).
                    target = await guard.CheckUrlAsync(next.ToString(), ct);
                    continue;
                }
                return new(code, code is >= 200 and < 300 ? null : $"The receiver answered {code} {response.ReasonPhrase}.", Ms(watch));
            }
        }
        catch (WebhookAddressException e)
        {
            return new(null, e.Message, Ms(watch));
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookAddressException inner)
        {
            return new(null, inner.Message, Ms(watch));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(null, $"No answer within {options.Timeout.TotalSeconds:0.#} s.", Ms(watch));
        }
        catch (HttpRequestException e)
        {
            return new(null, e.Message, Ms(watch));
        }
    }

    private async Task DrainAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[8192];
        var total = 0;
        int n;
        while (total < options.MaxResponseBytes && (n = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, options.MaxResponseBytes - total)), ct)) > 0)
            total += n;
    }

    private static int Ms(Stopwatch w) => (int)Math.Min(int.MaxValue, w.ElapsedMilliseconds);

    public void Dispose() => client.Dispose();
}
