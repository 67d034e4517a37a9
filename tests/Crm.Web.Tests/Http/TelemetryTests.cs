using Crm.Core.Data;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Crm.Web.Tests.Http;

/// <summary>OpenTelemetry is off unless an OTLP endpoint is configured; with one, traces and metrics are set up.</summary>
public class TelemetryTests
{
    [Fact]
    public async Task Without_an_endpoint_nothing_is_collected()
    {
        await using var app = new CrmAppFactory(await TestDatabase.GetAsync(DatabaseProvider.Sqlite));
        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task With_an_otlp_endpoint_traces_and_metrics_are_exported()
    {
        await using var app = new CrmAppFactory(await TestDatabase.GetAsync(DatabaseProvider.Sqlite),
            b => b.UseSetting("Telemetry:OtlpEndpoint", "http://127.0.0.1:4317"));
        Assert.NotNull(app.Services.GetService<TracerProvider>());
        Assert.NotNull(app.Services.GetService<MeterProvider>());
        using var client = app.CreateBrowserLikeClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }
}
