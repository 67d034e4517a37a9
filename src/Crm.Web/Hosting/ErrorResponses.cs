using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Crm.Web.Api;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Diagnostics;

namespace Crm.Web.Hosting;

/// <summary>
/// One place where failures become answers. Input the framework cannot bind (broken JSON or UTF-8, a wrong type,
/// a missing or expired antiforgery token) is the caller's mistake: 400, never 500. API routes always answer RFC
/// 7807 problem details (application/problem+json) in the caller's language — also for 401/404/405 without a body and
/// for unexpected errors, so an API client never gets HTML. Pages get the friendly status page (<c>/status/400</c>
/// through the status-code pages; unexpected errors keep going to <c>/error</c>).
/// </summary>
public sealed partial class ErrorResponses(RequestDelegate next, ILogger<ErrorResponses> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var api = ApiPaths.IsApi(http.Request.Path);
        // API clients get problem details, not the HTML status page re-executed for an empty 404.
        if (api && http.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.Response.HasStarted && InputError(e, http) is { } input)
        {
            logger.LogInformation("Bad request {Method} {Path}: {Message}", http.Request.Method, http.Request.Path, e.Message);
            http.Response.Clear();
            http.Response.StatusCode = input.Status;
            if (api) await WriteProblemAsync(http, input.Status, input.Detail);
            // A page: the empty 400 is turned into the friendly status page by the status-code pages middleware,
            // which re-executes with the request's method; as a POST the page would need the very token that failed.
            else http.Request.Method = HttpMethods.Get;
            return;
        }
        catch (Exception e) when (api && !http.Response.HasStarted && e is not OperationCanceledException)
        {
            logger.LogError(e, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
            http.Response.Clear();
            // Developers see what broke (as the developer exception page shows it for pages); others a request id.
            var env = http.RequestServices.GetRequiredService<IWebHostEnvironment>();
            await WriteProblemAsync(http, StatusCodes.Status500InternalServerError, env.IsDevelopment() ? e.GetType().Name + ": " + e.Message : null);
            return;
        }
        if (api && http.Response.StatusCode >= 400 && !http.Response.HasStarted && http.Response.ContentType is null && (http.Response.ContentLength ?? 0) == 0)
            await WriteProblemAsync(http, http.Response.StatusCode, null);
    }

    private sealed record Input(int Status, string? Detail);

    /// <summary>The status for an exception caused by the request's content, else null (a bug of ours).</summary>
    private static Input? InputError(Exception e, HttpContext http)
    {
        var t = ApiText.For(http);
        return e switch
        {
            BadHttpRequestException bad when bad.InnerException is JsonException json => new(400, t["Problem.Body", ParameterName(bad.Message) ?? "body", json.Path is { Length: > 0 } p ? p : json.Message]),
            BadHttpRequestException bad when bad.InnerException is DecoderFallbackException || bad.InnerException?.InnerException is DecoderFallbackException => new(400, t["Problem.BodyEncoding"]),
            BadHttpRequestException bad when bad.InnerException is AntiforgeryValidationException || bad.Message.Contains("anti-forgery", StringComparison.OrdinalIgnoreCase) => new(400, t["Problem.Antiforgery"]),
            BadHttpRequestException bad when ParameterName(bad.Message) is { } name => new(bad.StatusCode, t["Problem.Parameter", name]),
            BadHttpRequestException bad => new(bad.StatusCode, null),
            AntiforgeryValidationException => new(400, t["Problem.Antiforgery"]),
            // The form feature refuses to read a form whose antiforgery check failed.
            InvalidOperationException when e.Message.Contains("anti-forgery", StringComparison.OrdinalIgnoreCase) => new(400, t["Problem.Antiforgery"]),
            JsonException json => new(400, t["Problem.Body", "body", json.Path ?? json.Message]),
            DecoderFallbackException => new(400, t["Problem.BodyEncoding"]),
            _ => null,
        };
    }

    /// <summary>The framework names the parameter as <c>parameter "RecordBody body"</c>; the last word is its name.</summary>
    private static string? ParameterName(string message)
        => ParameterPattern().Match(message) is { Success: true } m ? m.Groups["name"].Value : null;

    [GeneratedRegex("""parameter "(?:[^"]*\s)?(?<name>[^"\s]+)"\s""")]
    private static partial Regex ParameterPattern();

    private static async Task WriteProblemAsync(HttpContext http, int status, string? detail)
    {
        var t = ApiText.For(http);
        var title = t[$"Problem.{status}"];
        http.Response.StatusCode = status;
        // Always JSON, whatever the Accept header says (a browser's text/html must not turn an API error into a page).
        await Results.Json(new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title.ResourceNotFound ? null : title.Value, Detail = detail,
                Extensions = { ["traceId"] = System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier } },
            contentType: "application/problem+json", statusCode: status).ExecuteAsync(http);
    }
}
