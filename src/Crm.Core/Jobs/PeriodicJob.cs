namespace Crm.Core.Jobs;

/// <summary>
/// A sweep that runs every <see cref="Interval"/> on exactly one instance: given the time of the run, it does what is
/// due and returns how many items it handled. Registered with <see cref="JobServiceCollectionExtensions.AddPeriodicJob{TSweep}"/>.
/// </summary>
public sealed record PeriodicJob(string Name, TimeSpan Interval, Func<IServiceProvider, DateTime, CancellationToken, Task<int>> RunOnceAsync);

/// <summary>Runs queued jobs of one <see cref="Kind"/>.</summary>
public sealed record QueuedJobHandler(string Kind, Func<IServiceProvider, QueuedJob, CancellationToken, Task> RunAsync);

public sealed class JobRunnerOptions
{
    /// <summary>How often an instance looks for due work (<c>Jobs:PollInterval</c>).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a claim holds: a job not finished by then is taken by another instance (<c>Jobs:Lease</c>).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A queued job that failed this many times is left failed (<c>Jobs:MaxAttempts</c>).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Queued jobs one instance claims per poll.</summary>
    public int QueueBatch { get; set; } = 10;

    /// <summary>Set false to keep an instance from running background work at all (<c>Jobs:Enabled</c>).</summary>
    public bool Enabled { get; set; } = true;
}
