namespace Crm.Web.Hosting;

/// <summary>
/// Headers on every response (set when the response starts, so error answers that clear the response keep them).
/// The Content-Security-Policy allows what Blazor Server and MudBlazor need and nothing more:
/// scripts only from this site (blazor.web.js, MudBlazor.min.js, our js files; no inline script and no eval — Blazor
/// Server needs neither), the circuit's WebSocket to this site, styles from this site plus inline styles (MudBlazor
/// sets style attributes and its theme provider writes a &lt;style&gt; element), images from this site and data: URLs
/// (MudBlazor's icons and the favicon). No framing by other sites.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext http)
    {
        http.Response.OnStarting(static state =>
        {
            var headers = ((HttpContext)state).Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers.XFrameOptions = "DENY";
            return Task.CompletedTask;
        }, http);
        return next(http);
    }
}
