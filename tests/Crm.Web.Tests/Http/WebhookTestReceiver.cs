using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Web.Tests.Http;

/// <summary>A local Kestrel server on 127.0.0.1 that records what webhooks post to it; <see cref="Answer"/> decides each answer.</summary>
public sealed class WebhookTestReceiver : IAsyncDisposable
{
    public sealed record Received(string Path, string Body, IReadOnlyDictionary<string, string> Headers);

    private readonly WebApplication app;
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Given the request number (1-based) and path: a status code, and optionally a Location to redirect to.</summary>
    public Func<int, string, (int Status, string? Location)> Answer { get; set; } = (_, _) => (200, null);

    public string BaseUrl { get; }
    public int Port { get; }

    private WebhookTestReceiver(WebApplication app, string baseUrl, int port) => (this.app, BaseUrl, Port) = (app, baseUrl, port);

    public static async Task<WebhookTestReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        WebhookTestReceiver? self = null;
        var count = 0;
        app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            self!.Requests.Enqueue(new Received(ctx.Request.Path, body, ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            var (status, location) = self.Answer(Interlocked.Increment(ref count), ctx.Request.Path);
            ctx.Response.StatusCode = status;
            if (location is not null) ctx.Response.Headers.Location = location;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        self = new WebhookTestReceiver(app, address.TrimEnd('/'), port);
        return self;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
