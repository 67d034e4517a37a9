using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.Core.Jobs;

public static class JobServiceCollectionExtensions
{
    /// <summary>
    /// Runs <paramref name="runOnce"/> of the singleton <typeparamref name="TSweep"/> every <paramref name="interval"/>,
    /// on one instance at a time. The one-liner for a sweep shaped <c>Task&lt;int&gt; RunOnceAsync(DateTime utcNow, CancellationToken)</c>:
    /// <code>services.AddPeriodicJob&lt;TimeTriggerSweep&gt;("automation.time-triggers", TimeSpan.FromMinutes(1), (s, now, ct) =&gt; s.RunOnceAsync(now, ct));</code>
    /// The sweep itself is registered as a singleton unless it already is.
    /// </summary>
    public static IServiceCollection AddPeriodicJob<TSweep>(this IServiceCollection services, string name, TimeSpan interval,
        Func<TSweep, DateTime, CancellationToken, Task<int>> runOnce) where TSweep : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > JobRunner.MaxNameLength) throw new ArgumentException($"A job name has at most {JobRunner.MaxNameLength} characters.", nameof(name));
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval must be positive.");
        services.TryAddSingleton<TSweep>();
        services.AddSingleton(new PeriodicJob(name, interval, (sp, now, ct) => runOnce(sp.GetRequiredService<TSweep>(), now, ct)));
        return services;
    }

    /// <summary>Runs queued jobs of <paramref name="kind"/> (see <see cref="JobQueue.EnqueueAsync"/>) with <typeparamref name="THandler"/>.</summary>
    public static IServiceCollection AddQueuedJobHandler<THandler>(this IServiceCollection services, string kind,
        Func<THandler, QueuedJob, CancellationToken, Task> run) where THandler : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        if (kind.Length > JobRunner.MaxNameLength) throw new ArgumentException($"A job kind has at most {JobRunner.MaxNameLength} characters.", nameof(kind));
        services.TryAddSingleton<THandler>();
        services.AddSingleton(new QueuedJobHandler(kind, (sp, job, ct) => run(sp.GetRequiredService<THandler>(), job, ct)));
        return services;
    }
}
