namespace Crm.Core.Notifications;

/// <summary>New notifications (or read marks) for these people of a workspace: their bells refresh.</summary>
public sealed record NotificationEvent(Guid TenantId, IReadOnlyCollection<Guid> UserIds);

/// <summary>
/// In-process, after the notifications are committed: open bells of the same instance refresh their unread count.
/// Same shape as <see cref="Records.RecordEvents"/>; across instances a bus carries them (LISTEN/NOTIFY).
/// </summary>
public sealed class NotificationEvents
{
    private readonly Lock _gate = new();
    private readonly List<(Guid TenantId, Action<NotificationEvent> Handler)> _subscribers = [];

    public IDisposable Subscribe(Guid tenantId, Action<NotificationEvent> handler)
    {
        lock (_gate) _subscribers.Add((tenantId, handler));
        return new Subscription(this, tenantId, handler);
    }

    public void Publish(NotificationEvent e)
    {
        (Guid, Action<NotificationEvent>)[] targets;
        lock (_gate) targets = _subscribers.Where(s => s.TenantId == e.TenantId).ToArray();
        foreach (var (_, handler) in targets)
        {
            try { handler(e); }
            catch (Exception) { /* a broken subscriber must not fail the writer */ }
        }
    }

    private sealed class Subscription(NotificationEvents owner, Guid tenantId, Action<NotificationEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) owner._subscribers.Remove((tenantId, handler));
        }
    }
}
