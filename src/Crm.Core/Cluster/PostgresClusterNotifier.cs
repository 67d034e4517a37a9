using System.Threading.Channels;
using Crm.Core.Activities;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Crm.Core.Cluster;

/// <summary>
/// Relays in-process events between app instances over PostgreSQL <c>LISTEN/NOTIFY</c> on one channel
/// (<see cref="Channel"/>); no other server to run. Each message starts with the sending instance's id, so an
/// instance ignores its own (its subscribers were reached in process already).
/// <para>
/// Listening needs a session of its own: a direct connection (<c>Database:ListenConnectionString</c> when the main
/// one goes through PgBouncer in transaction mode, where LISTEN does not work). When that connection breaks (a
/// database restart), it reconnects with a growing pause (up to 10 s) and listens again; messages sent while it was
/// away are lost, which costs no correctness: metadata is checked against its version stamp on every read and
/// boards reload on the next event or navigation. Sending goes through the main connection, one message at a time
/// in order, from a queue, so a writer never waits for it.
/// </para>
/// </summary>
public sealed class PostgresClusterNotifier : IClusterNotifier, IHostedService, IAsyncDisposable
{
    public const string Channel = "crm_cluster";
    private const int MaxPayloadBytes = 7900;

    private readonly string _sendConnection;
    private readonly string _listenConnection;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly Channel<string> _outbox = System.Threading.Channels.Channel.CreateBounded<string>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _stop;
    private Task _loops = Task.CompletedTask;
    private NpgsqlConnection? _listener;
    private volatile bool _running;
    private int _disposed;

    public PostgresClusterNotifier(string sendConnection, string? listenConnection, IServiceProvider services, ILogger<PostgresClusterNotifier>? logger = null)
    {
        _sendConnection = sendConnection;
        _listenConnection = string.IsNullOrWhiteSpace(listenConnection) ? sendConnection : listenConnection;
        _services = services;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>This instance's id, the first field of every message it sends.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>How many times the listening connection was (re)opened; the first time counts.</summary>
    public int Connections { get; private set; }

    /// <summary>Completes when the first LISTEN is in place (tests wait for it).</summary>
    public Task Listening => _listening.Task;

    public void Notify(string message)
    {
        if (!_running) return;
        _outbox.Writer.TryWrite(InstanceId + "|" + message);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stop = new CancellationTokenSource();
        _running = true;
        _loops = Task.WhenAll(Task.Run(() => ListenLoopAsync(_stop.Token)), Task.Run(() => SendLoopAsync(_stop.Token)));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop is null || Volatile.Read(ref _disposed) != 0) return;
        _running = false;
        await _stop.CancelAsync();
        try { await _loops.WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { }
    }

    /// <summary>Idempotent: the container disposes it once per registration it is reachable by.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _stop?.Dispose();
    }

    /// <summary>Breaks the listening connection as a database restart would (tests of the reconnect).</summary>
    public async Task BreakListenerAsync()
    {
        var pid = _listener?.ProcessID ?? throw new InvalidOperationException("Not listening.");
        await using var connection = new NpgsqlConnection(_sendConnection);
        await connection.OpenAsync();
        await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(@pid)", connection);
        kill.Parameters.AddWithValue("pid", pid);
        await kill.ExecuteScalarAsync();
    }

    private async Task ListenLoopAsync(CancellationToken ct)
    {
        var pause = TimeSpan.FromMilliseconds(250);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_listenConnection) { Pooling = false, KeepAlive = 15 }.ConnectionString);
                await connection.OpenAsync(ct);
                connection.Notification += (_, e) => Receive(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(ct);
                _listener = connection;
                Connections++;
                if (Connections > 1) _logger.LogInformation("Listening again on {Channel} after the connection broke", Channel);
                _listening.TrySetResult();
                pause = TimeSpan.FromMilliseconds(250);
                while (!ct.IsCancellationRequested)
                    await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or System.IO.IOException or System.Net.Sockets.SocketException or InvalidOperationException or TimeoutException)
            {
                _listener = null;
                _logger.LogWarning(e, "Cluster notifications: listening connection lost; reconnecting in {Pause}", pause);
                try { await Task.Delay(pause, ct); } catch (OperationCanceledException) { return; }
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var message in _outbox.Reader.ReadAllAsync(ct))
            {
                if (System.Text.Encoding.UTF8.GetByteCount(message) > MaxPayloadBytes)
                {
                    _logger.LogWarning("Cluster notification dropped: {Bytes} bytes is over the NOTIFY limit", System.Text.Encoding.UTF8.GetByteCount(message));
                    continue;
                }
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await using var connection = new NpgsqlConnection(_sendConnection);
                        await connection.OpenAsync(ct);
                        await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
                        notify.Parameters.AddWithValue("channel", Channel);
                        notify.Parameters.AddWithValue("payload", message);
                        await notify.ExecuteNonQueryAsync(ct);
                        break;
                    }
                    catch (Exception e) when (e is NpgsqlException or System.IO.IOException or TimeoutException && !ct.IsCancellationRequested)
                    {
                        if (attempt >= 3)
                        {
                            _logger.LogWarning(e, "Cluster notification dropped after {Attempts} attempts", attempt);
                            break;
                        }
                        await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Receive(string payload)
    {
        var bar = payload.IndexOf('|');
        if (bar <= 0 || payload.AsSpan(0, bar).SequenceEqual(InstanceId)) return;
        var targets = new ClusterTargets(
            _services.GetService<RecordEvents>(),
            _services.GetService<ActivityEvents>(),
            _services.GetService<MetadataChanges>(),
            _services.GetService<MetadataStore>(),
            _services.GetService<IMembershipChanges>() as InProcessMembershipChanges,
            _services.GetService<ITenantStore>());
        if (!ClusterMessages.Dispatch(payload[(bar + 1)..], targets))
            _logger.LogWarning("Cluster notification not understood: {Payload}", payload.Length > 200 ? payload[..200] : payload);
    }
}
