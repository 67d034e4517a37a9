using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Crm.Web.Hosting;

/// <summary>
/// <c>/health</c> as JSON: overall status and each check (the database included); 503 when unhealthy.
/// <c>/health/ready</c>: the checks tagged <see cref="ReadyTag"/> (the database): a load balancer sends traffic only
/// to an instance that can reach it. <c>/health/live</c>: no checks, 200 while the process serves requests (an
/// orchestrator restarts it otherwise; a database outage must not restart every instance).
/// </summary>
public static class HealthResponse
{
    public const string ReadyTag = "ready";

    public static readonly HealthCheckOptions Options = Build(_ => true);
    public static readonly HealthCheckOptions Ready = Build(c => c.Tags.Contains(ReadyTag));
    public static readonly HealthCheckOptions Live = Build(_ => false);

    private static HealthCheckOptions Build(Func<HealthCheckRegistration, bool> predicate) => new()
    {
        Predicate = predicate,
        ResponseWriter = async (http, report) =>
        {
            http.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(http.Response.Body, new
            {
                status = report.Status.ToString(),
                durationMs = report.TotalDuration.TotalMilliseconds,
                checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), error = e.Value.Exception?.Message }),
            });
        },
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
    };
}
