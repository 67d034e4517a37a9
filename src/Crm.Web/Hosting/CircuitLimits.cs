using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Crm.Web.Hosting;

/// <summary>
/// How long a server circuit outlives its tab and how many may wait for a reconnect (<c>Circuits</c> settings;
/// docs/decisions.md "Memory per circuit" says why these values). A disconnected circuit holds as much memory as a
/// live one, so it is kept only as long as a reconnect is likely: a dropped Wi-Fi, a laptop lid, a proxy restart.
/// </summary>
public sealed class CircuitLimits
{
    /// <summary>A disconnected circuit is kept this long for its tab to reconnect (Blazor's default: 3 minutes).</summary>
    public TimeSpan DisconnectedRetention { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>At most this many disconnected circuits wait at once; the oldest go first (Blazor's default: 100).</summary>
    public int DisconnectedMaxRetained { get; set; } = 100;
    /// <summary>A call into the browser that gets no answer in this time fails instead of holding the circuit (default: 1 minute).</summary>
    public TimeSpan JSInteropTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Render batches sent but not yet acknowledged by a slow client, held in memory (Blazor's default: 10).</summary>
    public int MaxUnacknowledgedRenderBatches { get; set; } = 10;

    public void Apply(CircuitOptions options)
    {
        if (DisconnectedRetention <= TimeSpan.Zero) throw new InvalidOperationException("Circuits:DisconnectedRetention must be positive.");
        if (DisconnectedMaxRetained < 0) throw new InvalidOperationException("Circuits:DisconnectedMaxRetained must not be negative.");
        if (JSInteropTimeout <= TimeSpan.Zero) throw new InvalidOperationException("Circuits:JSInteropTimeout must be positive.");
        if (MaxUnacknowledgedRenderBatches < 1) throw new InvalidOperationException("Circuits:MaxUnacknowledgedRenderBatches must be at least 1.");
        options.DisconnectedCircuitRetentionPeriod = DisconnectedRetention;
        options.DisconnectedCircuitMaxRetained = DisconnectedMaxRetained;
        options.JSInteropDefaultCallTimeout = JSInteropTimeout;
        options.MaxBufferedUnacknowledgedRenderBatches = MaxUnacknowledgedRenderBatches;
    }
}

/// <summary>Counts the circuits this instance holds (connected or waiting for a reconnect), for diagnostics and the circuits benchmark.</summary>
public sealed class OpenCircuits
{
    private int _open, _connected;
    public int Open => Volatile.Read(ref _open);
    public int Connected => Volatile.Read(ref _connected);

    internal sealed class Handler(OpenCircuits counts) : CircuitHandler
    {
        public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken) { Interlocked.Increment(ref counts._open); return Task.CompletedTask; }
        public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken) { Interlocked.Decrement(ref counts._open); return Task.CompletedTask; }
        public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken) { Interlocked.Increment(ref counts._connected); return Task.CompletedTask; }
        public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken) { Interlocked.Decrement(ref counts._connected); return Task.CompletedTask; }
    }
}
