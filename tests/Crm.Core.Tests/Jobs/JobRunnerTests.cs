using System.Collections.Concurrent;
using Crm.Core.Data;
using Crm.Core.Jobs;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Jobs;

/// <summary>
/// Background work once across instances, on both databases: two runners (two service containers, as two app
/// instances would have) on one database, started at the same moment.
/// </summary>
public class JobRunnerTests
{
    private static readonly DateTime T0 = new(2026, 12, 2, 9, 0, 0, DateTimeKind.Utc);

    /// <summary>A sweep shaped like the ones other parts register: <c>Task&lt;int&gt; RunOnceAsync(DateTime, CancellationToken)</c>.</summary>
    public sealed class CountingSweep(ConcurrentBag<DateTime> runs)
    {
        public async Task<int> RunOnceAsync(DateTime utcNow, CancellationToken ct)
        {
            await Task.Delay(50, ct); // long enough for the other instance to try while this one holds the lease
            runs.Add(utcNow);
            return 1;
        }
    }

    private static ServiceProvider Instance(TestDatabase database, string jobName, ConcurrentBag<DateTime> runs, Action<IServiceCollection>? more = null)
        => CoreServices.Create(database, configure: services =>
        {
            services.AddSingleton(runs);
            services.AddPeriodicJob<CountingSweep>(jobName, TimeSpan.FromMinutes(1), (s, now, ct) => s.RunOnceAsync(now, ct));
            more?.Invoke(services);
        });

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_periodic_job_with_two_instances_running_fires_once_per_due_time(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var name = "test." + Guid.NewGuid().ToString("N");
        var runs = new ConcurrentBag<DateTime>();
        await using var one = Instance(database, name, runs);
        await using var two = Instance(database, name, runs);
        var runners = new[] { one.GetRequiredService<JobRunner>(), two.GetRequiredService<JobRunner>() };

        foreach (var now in new[] { T0, T0.AddSeconds(20), T0.AddMinutes(1), T0.AddMinutes(1).AddSeconds(30) })
            await Task.WhenAll(runners.Select(r => Task.Run(() => r.RunDueAsync(now))));

        Assert.Equal([T0, T0.AddMinutes(1)], runs.Order().ToArray());
        await using var db = database.Factory.CreateGlobal();
        var schedule = await db.JobSchedules.SingleAsync(s => s.Name == name);
        Assert.Equal(T0.AddMinutes(2), schedule.NextRunAt);
        Assert.Null(schedule.LeaseOwner);
        Assert.Equal(1, schedule.LastResult);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_job_held_by_an_instance_that_died_runs_elsewhere_once_the_lease_ran_out(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var name = "test." + Guid.NewGuid().ToString("N");
        var runs = new ConcurrentBag<DateTime>();
        await using var survivor = Instance(database, name, runs);
        await using (var db = database.Factory.CreateGlobal())
        {
            // The state a crash mid-run leaves: due, and leased to an instance that will never finish it.
            db.JobSchedules.Add(new JobSchedule { Name = name, NextRunAt = T0, LeaseOwner = "dead/instance", LeaseUntil = T0.AddMinutes(5), LastStartedAt = T0 });
            await db.SaveChangesAsync();
        }
        var runner = survivor.GetRequiredService<JobRunner>();

        Assert.Equal(0, await runner.RunDueAsync(T0.AddMinutes(4)));
        Assert.Empty(runs);
        Assert.Equal(1, await runner.RunDueAsync(T0.AddMinutes(5)));
        Assert.Equal([T0.AddMinutes(5)], runs.ToArray());
    }

    public sealed class RecordingHandler(ConcurrentDictionary<Guid, int> handled)
    {
        public Task RunAsync(QueuedJob job, CancellationToken ct)
        {
            if (job.Payload == "fail") throw new InvalidOperationException("handler refused");
            handled.AddOrUpdate(job.Id, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Queued_jobs_are_each_run_once_by_two_instances_working_the_queue_at_once(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var kind = "test." + Guid.NewGuid().ToString("N");
        var handled = new ConcurrentDictionary<Guid, int>();
        void Register(IServiceCollection s)
        {
            s.AddSingleton(handled);
            s.AddSingleton(new JobRunnerOptions { QueueBatch = 3, MaxAttempts = 2 });
            s.AddQueuedJobHandler<RecordingHandler>(kind, (h, job, ct) => h.RunAsync(job, ct));
        }
        await using var one = Instance(database, "unused." + kind, [], Register);
        await using var two = Instance(database, "unused2." + kind, [], Register);
        var queue = one.GetRequiredService<JobQueue>();
        var ids = new List<Guid>();
        for (var i = 0; i < 12; i++) ids.Add(await queue.EnqueueAsync(kind, Guid.NewGuid(), $"{{\"n\":{i}}}", T0));
        var failing = await queue.EnqueueAsync(kind, null, "fail", T0);

        var runners = new[] { one.GetRequiredService<JobRunner>(), two.GetRequiredService<JobRunner>() };
        for (var round = 0; round < 6; round++)
            await Task.WhenAll(runners.Select(r => Task.Run(() => r.RunQueuedAsync(T0.AddSeconds(round)))));

        Assert.Equal(ids.Order(), handled.Keys.Order());
        Assert.All(handled.Values, n => Assert.Equal(1, n));
        await using var db = database.Factory.CreateGlobal();
        Assert.Equal(12, await db.QueuedJobs.CountAsync(j => j.Kind == kind && j.CompletedAt != null && j.Attempts == 1));
        var failed = await db.QueuedJobs.SingleAsync(j => j.Id == failing);
        Assert.Null(failed.CompletedAt);
        Assert.Equal(1, failed.Attempts);
        Assert.Equal("handler refused", failed.LastError);
        Assert.True(failed.RunAfter > T0, "a failed job waits before its next attempt");

        // Its second (last allowed) attempt fails too: given up.
        await runners[0].RunQueuedAsync(failed.RunAfter);
        await using var db2 = database.Factory.CreateGlobal();
        Assert.NotNull((await db2.QueuedJobs.SingleAsync(j => j.Id == failing)).FailedAt);
    }

    [Fact]
    public async Task Bad_registrations_and_times_are_refused_naming_the_parameter()
    {
        var services = new ServiceCollection();
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddPeriodicJob<CountingSweep>("x", TimeSpan.Zero, (s, n, c) => s.RunOnceAsync(n, c)));
        Assert.Equal("interval", e1.ParamName);
        var e2 = Assert.Throws<ArgumentException>(() => services.AddPeriodicJob<CountingSweep>(new string('x', 101), TimeSpan.FromMinutes(1), (s, n, c) => s.RunOnceAsync(n, c)));
        Assert.Equal("name", e2.ParamName);

        var database = await TestDatabase.GetAsync(DatabaseProvider.Sqlite);
        await using var sp = Instance(database, "test." + Guid.NewGuid().ToString("N"), []);
        var e3 = await Assert.ThrowsAsync<ArgumentException>(() => sp.GetRequiredService<JobRunner>().RunDueAsync(DateTime.Now));
        Assert.Equal("utcNow", e3.ParamName);
        var e4 = await Assert.ThrowsAsync<ArgumentException>(() => sp.GetRequiredService<JobQueue>().EnqueueAsync("k", null, new string('x', 4001)));
        Assert.Equal("payload", e4.ParamName);
    }
}
