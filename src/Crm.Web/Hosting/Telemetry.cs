using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Crm.Web.Hosting;

/// <summary>
/// OpenTelemetry traces and metrics, exported over OTLP when <c>Telemetry:OtlpEndpoint</c> is set (off otherwise):
/// ASP.NET Core requests, Npgsql commands (the SQL EF sends, as spans and connection-pool metrics), EF Core's own
/// meter, and the .NET runtime's. The service name is <c>Telemetry:ServiceName</c> (default crm-saas); each instance
/// reports its host name as the instance id, so traces of several instances stay apart.
/// </summary>
public static class Telemetry
{
    public const string DefaultServiceName = "crm-saas";

    public static WebApplicationBuilder AddCrmTelemetry(this WebApplicationBuilder builder)
    {
        var endpoint = builder.Configuration["Telemetry:OtlpEndpoint"];
        if (string.IsNullOrWhiteSpace(endpoint)) return builder;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
            throw new InvalidOperationException($"Telemetry:OtlpEndpoint is not an absolute URI: '{endpoint}'.");
        var serviceName = builder.Configuration["Telemetry:ServiceName"] is { Length: > 0 } name ? name : DefaultServiceName;

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: Environment.MachineName))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddNpgsql()
                .AddOtlpExporter(o => o.Endpoint = uri))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter("Microsoft.EntityFrameworkCore")
                .AddMeter("System.Runtime")
                .AddOtlpExporter(o => o.Endpoint = uri));
        return builder;
    }
}
