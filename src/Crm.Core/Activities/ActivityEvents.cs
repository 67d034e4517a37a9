namespace Crm.Core.Activities;

public sealed record ActivityEvent(Guid TenantId, Guid RecordId, Guid ActivityId, Guid? ByUserId, IReadOnlyCollection<Guid> Assignees);

/// <summary>
/// In-process notifications after an activity write commits: open record pages refresh their timeline and the
/// "My tasks" badge of the assignees updates. Same shape as <see cref="Records.RecordEvents"/>, relayed to the other
/// instances through <paramref name="cluster"/>.
/// </summary>
public sealed class ActivityEvents(Cluster.IClusterNotifier? cluster = null)
{
    private readonly Lock _gate = new();
    private readonly List<(Guid TenantId, Action<ActivityEvent> Handler)> _subscribers = [];

    public IDisposable Subscribe(Guid tenantId, Action<ActivityEvent> handler)
    {
        lock (_gate) _subscribers.Add((tenantId, handler));
        return new Subscription(this, tenantId, handler);
    }

    public void Publish(ActivityEvent e)
    {
        Deliver(e);
        cluster?.Notify(Cluster.ClusterMessages.Activity(e));
    }

    /// <summary>To this instance's subscribers only (an event from another instance).</summary>
    public void Deliver(ActivityEvent e)
    {
        (Guid, Action<ActivityEvent>)[] targets;
        lock (_gate) targets = _subscribers.Where(s => s.TenantId == e.TenantId).ToArray();
        foreach (var (_, handler) in targets)
        {
            try { handler(e); }
            catch (Exception) { /* a broken subscriber must not fail the writer */ }
        }
    }

    private sealed class Subscription(ActivityEvents owner, Guid tenantId, Action<ActivityEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) owner._subscribers.Remove((tenantId, handler));
        }
    }
}
