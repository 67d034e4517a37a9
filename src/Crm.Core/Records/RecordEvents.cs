namespace Crm.Core.Records;

public enum RecordEventKind
{
    Created,
    Updated,
    Deleted,
}

public sealed record RecordEvent(Guid TenantId, Guid EntityTypeId, Guid RecordId, RecordEventKind Kind, long Version, Guid? ByUserId);

/// <summary>
/// Notifications after a write commits, so open boards and lists of the same tenant refresh live. Subscriptions are
/// disposable (components dispose them). <see cref="Publish"/> reaches this instance's subscribers and, through
/// <paramref name="cluster"/> (PostgreSQL LISTEN/NOTIFY), the other instances, which call <see cref="Deliver"/>.
/// </summary>
public sealed class RecordEvents(Cluster.IClusterNotifier? cluster = null)
{
    private readonly Lock _gate = new();
    private readonly List<(Guid TenantId, Action<RecordEvent> Handler)> _subscribers = [];

    public IDisposable Subscribe(Guid tenantId, Action<RecordEvent> handler)
    {
        lock (_gate) _subscribers.Add((tenantId, handler));
        return new Subscription(this, tenantId, handler);
    }

    public void Publish(RecordEvent e)
    {
        Deliver(e);
        cluster?.Notify(Cluster.ClusterMessages.Record(e));
    }

    /// <summary>To this instance's subscribers only (an event from another instance).</summary>
    public void Deliver(RecordEvent e)
    {
        (Guid, Action<RecordEvent>)[] targets;
        lock (_gate) targets = _subscribers.Where(s => s.TenantId == e.TenantId).ToArray();
        foreach (var (_, handler) in targets)
        {
            try { handler(e); }
            catch (Exception) { /* a broken subscriber must not fail the writer */ }
        }
    }

    private sealed class Subscription(RecordEvents owner, Guid tenantId, Action<RecordEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) owner._subscribers.Remove((tenantId, handler));
        }
    }
}
