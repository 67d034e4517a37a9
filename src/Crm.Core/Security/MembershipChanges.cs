using Crm.Core.Tenancy;

namespace Crm.Core.Security;

/// <summary>A member's role in a workspace changed; <see cref="NewRole"/> is null when they were removed.</summary>
public sealed record MembershipChange(Guid TenantId, Guid UserId, MemberRole? NewRole)
{
    public bool Removed => NewRole is null;

    /// <summary>The role is unchanged, but the member's custom roles, their permissions or departments changed:
    /// open pages re-read what the member may see and do.</summary>
    public bool AccessChanged { get; init; }
}

/// <summary>
/// Tells open pages that a member's rights changed, so they turn read-only or leave the workspace without a reload.
/// The check that matters is <see cref="CurrentRights"/> on every write; this only keeps the screen honest.
/// </summary>
public interface IMembershipChanges
{
    /// <summary>Called after the change is committed.</summary>
    void Publish(MembershipChange change);

    /// <summary>Changes of one user in one workspace. Dispose the subscription when the page closes.</summary>
    IDisposable Subscribe(Guid tenantId, Guid userId, Action<MembershipChange> handler);
}

/// <summary>
/// Reaches the circuits of this instance and, through <paramref name="cluster"/> (PostgreSQL LISTEN/NOTIFY), those of
/// the other instances, which call <see cref="Deliver"/>.
/// </summary>
public sealed class InProcessMembershipChanges(Cluster.IClusterNotifier? cluster = null) : IMembershipChanges
{
    private readonly Lock _gate = new();
    private readonly List<Subscriber> _subscribers = [];

    public IDisposable Subscribe(Guid tenantId, Guid userId, Action<MembershipChange> handler)
    {
        var subscriber = new Subscriber(this, tenantId, userId, handler);
        lock (_gate) _subscribers.Add(subscriber);
        return subscriber;
    }

    public void Publish(MembershipChange change)
    {
        Deliver(change);
        cluster?.Notify(Cluster.ClusterMessages.Membership(change));
    }

    /// <summary>To this instance's pages only (a change made on another instance).</summary>
    public void Deliver(MembershipChange change)
    {
        Subscriber[] targets;
        lock (_gate) targets = _subscribers.Where(s => s.TenantId == change.TenantId && s.UserId == change.UserId).ToArray();
        foreach (var target in targets)
        {
            try { target.Handler(change); }
            catch (Exception) { /* a broken page must not fail the admin's change */ }
        }
    }

    private sealed class Subscriber(InProcessMembershipChanges owner, Guid tenantId, Guid userId, Action<MembershipChange> handler) : IDisposable
    {
        public Guid TenantId { get; } = tenantId;
        public Guid UserId { get; } = userId;
        public Action<MembershipChange> Handler { get; } = handler;

        public void Dispose()
        {
            lock (owner._gate) owner._subscribers.Remove(this);
        }
    }
}
