using Crm.Core.Cluster;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Cluster;

/// <summary>
/// Two "instances" (two service containers, each with its own notifier and in-process publishers) on one PostgreSQL
/// database: what one publishes reaches the other's subscribers over LISTEN/NOTIFY, once, and still after the
/// listening connection was killed (as by a database restart).
/// </summary>
public class PostgresClusterNotifierTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2);

    private static async Task<(ServiceProvider One, ServiceProvider Two)> StartTwoAsync()
    {
        var database = await TestDatabase.GetAsync(DatabaseProvider.Postgres);
        var one = CoreServices.Create(database);
        var two = CoreServices.Create(database);
        foreach (var sp in new[] { one, two })
        {
            var notifier = sp.GetRequiredService<PostgresClusterNotifier>();
            Assert.Same(notifier, sp.GetRequiredService<IClusterNotifier>());
            await notifier.StartAsync(CancellationToken.None);
            await notifier.Listening.WaitAsync(TimeSpan.FromSeconds(10));
        }
        return (one, two);
    }

    [Fact]
    public async Task A_record_event_published_on_one_instance_reaches_the_other_within_two_seconds_and_once_on_its_own()
    {
        var (one, two) = await StartTwoAsync();
        await using var o1 = one;
        await using var o2 = two;
        var tenant = Guid.NewGuid();
        var onTwo = new TaskCompletionSource<RecordEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var countOnOne = 0;
        using var s2 = two.GetRequiredService<RecordEvents>().Subscribe(tenant, e => onTwo.TrySetResult(e));
        using var s1 = one.GetRequiredService<RecordEvents>().Subscribe(tenant, _ => Interlocked.Increment(ref countOnOne));

        var sent = new RecordEvent(tenant, Guid.NewGuid(), Guid.NewGuid(), RecordEventKind.Updated, 3, Guid.NewGuid());
        one.GetRequiredService<RecordEvents>().Publish(sent);

        Assert.Equal(sent, await onTwo.Task.WaitAsync(Within));
        await Task.Delay(300); // one's own message comes back from PostgreSQL too, and must be ignored
        Assert.Equal(1, countOnOne);
    }

    [Fact]
    public async Task A_metadata_change_drops_the_other_instances_cache_and_tells_its_screens()
    {
        var (one, two) = await StartTwoAsync();
        await using var o1 = one;
        await using var o2 = two;
        var database = await TestDatabase.GetAsync(DatabaseProvider.Postgres);
        var tenant = await database.CreateTenantAsync();
        var cache = two.GetRequiredService<Microsoft.Extensions.Caching.Memory.IMemoryCache>();
        await two.GetRequiredService<MetadataStore>().GetAsync(tenant.Id);
        Assert.True(cache.TryGetValue("metadata:" + tenant.Id, out _));
        var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var s = two.GetRequiredService<MetadataChanges>().Subscribe(tenant.Id, () => told.TrySetResult());

        one.GetRequiredService<MetadataChanges>().Publish(tenant.Id);

        await told.Task.WaitAsync(Within);
        Assert.False(cache.TryGetValue("metadata:" + tenant.Id, out _));
    }

    [Fact]
    public async Task A_membership_change_reaches_the_users_page_on_the_other_instance()
    {
        var (one, two) = await StartTwoAsync();
        await using var o1 = one;
        await using var o2 = two;
        var tenant = Guid.NewGuid();
        var user = Guid.NewGuid();
        var received = new TaskCompletionSource<MembershipChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var s = two.GetRequiredService<IMembershipChanges>().Subscribe(tenant, user, c => received.TrySetResult(c));

        one.GetRequiredService<IMembershipChanges>().Publish(new MembershipChange(tenant, user, MemberRole.Viewer));

        Assert.Equal(MemberRole.Viewer, (await received.Task.WaitAsync(Within)).NewRole);
    }

    [Fact]
    public async Task After_its_connection_is_killed_an_instance_listens_again_and_receives()
    {
        var (one, two) = await StartTwoAsync();
        await using var o1 = one;
        await using var o2 = two;
        var notifier = two.GetRequiredService<PostgresClusterNotifier>();
        await notifier.BreakListenerAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (notifier.Connections < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(2, notifier.Connections);

        var tenant = Guid.NewGuid();
        var onTwo = new TaskCompletionSource<RecordEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var s = two.GetRequiredService<RecordEvents>().Subscribe(tenant, e => onTwo.TrySetResult(e));
        var sent = new RecordEvent(tenant, Guid.NewGuid(), Guid.NewGuid(), RecordEventKind.Created, 1, null);
        one.GetRequiredService<RecordEvents>().Publish(sent);
        Assert.Equal(sent, await onTwo.Task.WaitAsync(Within));
    }

    [Fact]
    public void On_SQLite_there_is_one_process_and_no_bus()
    {
        var services = new ServiceCollection().AddLogging().AddCrmCore(DatabaseProvider.Sqlite, "Data Source=:memory:").BuildServiceProvider();
        Assert.IsType<SingleInstanceNotifier>(services.GetRequiredService<IClusterNotifier>());
        Assert.Null(services.GetService<PostgresClusterNotifier>());
    }
}
