using Crm.Core.Activities;
using Crm.Core.Cluster;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;

namespace Crm.Core.Tests.Cluster;

/// <summary>What crosses between instances: ids only, and each kind arrives as it was sent.</summary>
public class ClusterMessagesTests
{
    [Fact]
    public void A_record_event_arrives_as_it_was_sent_and_carries_ids_only()
    {
        var sent = new RecordEvent(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), RecordEventKind.Updated, 42, Guid.NewGuid());
        var message = ClusterMessages.Record(sent);
        Assert.Matches("^r(\\|[0-9a-f]{32}){3}\\|1\\|42\\|[0-9a-f]{32}$", message);

        var events = new RecordEvents();
        RecordEvent? received = null;
        using var _ = events.Subscribe(sent.TenantId, e => received = e);
        Assert.True(ClusterMessages.Dispatch(message, new ClusterTargets(events, null, null, null, null)));
        Assert.Equal(sent, received);
    }

    [Fact]
    public void An_activity_event_keeps_its_assignees_and_a_missing_user()
    {
        var sent = new ActivityEvent(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), null, [Guid.NewGuid(), Guid.NewGuid()]);
        var events = new ActivityEvents();
        ActivityEvent? received = null;
        using var _ = events.Subscribe(sent.TenantId, e => received = e);
        Assert.True(ClusterMessages.Dispatch(ClusterMessages.Activity(sent), new ClusterTargets(null, events, null, null, null)));
        Assert.NotNull(received);
        Assert.Equal(sent.ActivityId, received.ActivityId);
        Assert.Null(received.ByUserId);
        Assert.Equal(sent.Assignees, received.Assignees);
    }

    [Fact]
    public void Metadata_and_membership_changes_reach_their_subscribers()
    {
        var tenant = Guid.NewGuid();
        var user = Guid.NewGuid();
        var metadata = new MetadataChanges();
        var memberships = new InProcessMembershipChanges();
        var told = 0;
        MembershipChange? change = null;
        using var a = metadata.Subscribe(tenant, () => told++);
        using var b = memberships.Subscribe(tenant, user, c => change = c);
        var targets = new ClusterTargets(null, null, metadata, null, memberships);

        Assert.True(ClusterMessages.Dispatch(ClusterMessages.Metadata(tenant), targets));
        Assert.True(ClusterMessages.Dispatch(ClusterMessages.Membership(new MembershipChange(tenant, user, null)), targets));
        Assert.Equal(1, told);
        Assert.NotNull(change);
        Assert.True(change.Removed);
        Assert.True(ClusterMessages.Dispatch(ClusterMessages.Membership(new MembershipChange(tenant, user, MemberRole.Viewer)), targets));
        Assert.Equal(MemberRole.Viewer, change.NewRole);
        Assert.False(change.AccessChanged);
        // Rights changed by an admin with the role unchanged: the flag crosses instances too (the page says "an admin
        // changed what you may see", not "your role is now …").
        Assert.True(ClusterMessages.Dispatch(ClusterMessages.Membership(new MembershipChange(tenant, user, MemberRole.Member) { AccessChanged = true }), targets));
        Assert.True(change.AccessChanged);
        Assert.Equal(MemberRole.Member, change.NewRole);
        // A message of an instance from before the flag still reads.
        Assert.True(ClusterMessages.Dispatch($"u|{tenant:N}|{user:N}|{(int)MemberRole.Admin}", targets));
        Assert.Equal(MemberRole.Admin, change.NewRole);
        Assert.False(change.AccessChanged);
    }

    [Theory]
    [InlineData("")]
    [InlineData("x|1")]
    [InlineData("r|not-a-guid|a|b|1|1|")]
    [InlineData("m")]
    public void A_message_it_does_not_understand_is_refused_not_thrown(string message)
        => Assert.False(ClusterMessages.Dispatch(message, new ClusterTargets(new RecordEvents(), null, new MetadataChanges(), null, null)));

    [Fact]
    public void A_deleted_workspace_leaves_the_tenant_cache_of_the_instance_that_receives_it()
    {
        var tenantId = Guid.NewGuid();
        var message = ClusterMessages.Tenant(tenantId, "acme-sales");
        Assert.Equal($"t|{tenantId:N}|acme-sales", message);

        var store = new RecordingTenantStore();
        Assert.True(ClusterMessages.Dispatch(message, new ClusterTargets(null, null, null, null, null, store)));
        var dropped = Assert.Single(store.Invalidated);
        Assert.Equal((tenantId, "acme-sales"), (dropped.Id, dropped.Identifier));
        Assert.False(ClusterMessages.Dispatch($"t|{tenantId:N}", new ClusterTargets(null, null, null, null, null, store)));
    }

    private sealed class RecordingTenantStore : ITenantStore
    {
        public List<TenantInfo> Invalidated { get; } = [];
        public Task<TenantInfo?> GetByIdentifierAsync(string identifier, CancellationToken ct = default) => Task.FromResult<TenantInfo?>(null);
        public Task<TenantInfo?> GetByIdAsync(Guid id, CancellationToken ct = default) => Task.FromResult<TenantInfo?>(null);
        public void Invalidate(TenantInfo tenant) => Invalidated.Add(tenant);
    }
}
