namespace Crm.Core.Metadata;

/// <summary>
/// Tells open screens that a workspace's metadata changed (a template was installed), so that e.g. the menu shows
/// new record types at once. Ids only. Other instances hear it through <paramref name="cluster"/> (PostgreSQL
/// LISTEN/NOTIFY): they drop the cached metadata and tell their screens; the version stamp checked on every
/// <see cref="MetadataStore"/> read keeps them right even if a message is lost.
/// </summary>
public sealed class MetadataChanges(Cluster.IClusterNotifier? cluster = null)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, List<Action>> _handlers = [];

    /// <summary>Calls <paramref name="handler"/> after each change of <paramref name="tenantId"/>'s metadata until disposed.</summary>
    public IDisposable Subscribe(Guid tenantId, Action handler)
    {
        lock (_gate)
        {
            if (!_handlers.TryGetValue(tenantId, out var list)) _handlers[tenantId] = list = [];
            list.Add(handler);
        }
        return new Subscription(() =>
        {
            lock (_gate)
            {
                if (_handlers.TryGetValue(tenantId, out var list) && list.Remove(handler) && list.Count == 0) _handlers.Remove(tenantId);
            }
        });
    }

    public void Publish(Guid tenantId)
    {
        Deliver(tenantId);
        cluster?.Notify(Cluster.ClusterMessages.Metadata(tenantId));
    }

    /// <summary>To this instance's screens only (a change made on another instance).</summary>
    public void Deliver(Guid tenantId)
    {
        Action[] handlers;
        lock (_gate) handlers = _handlers.TryGetValue(tenantId, out var list) ? [.. list] : [];
        foreach (var handler in handlers)
        {
            try { handler(); }
            catch (ObjectDisposedException) { /* a screen closed while being told: nothing left to refresh */ }
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
