using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Core.Jobs;

/// <summary>
/// Runs due background work, on as many instances as there are, each piece once:
/// <list type="bullet">
/// <item>a periodic job runs when this instance moved its <see cref="JobSchedule"/> lease to itself in one
/// conditional UPDATE (the row lock makes the second instance's UPDATE find the row already taken);</item>
/// <item>queued jobs are claimed in batches with <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL (instances take
/// different rows without waiting on each other), with a conditional UPDATE per row on SQLite (one process).</item>
/// </list>
/// Every claim is a lease: work whose instance died is taken again once the lease ran out, so a sweep must be
/// safe to run again for the same moment (the sweeps here are: they look at what is due and not yet done).
/// </summary>
public sealed class JobRunner(
    ICrmDbContextFactory factory,
    IServiceProvider services,
    IEnumerable<PeriodicJob> periodicJobs,
    IEnumerable<QueuedJobHandler> handlers,
    JobRunnerOptions options,
    ILogger<JobRunner>? logger = null)
{
    public const int MaxNameLength = 100;
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly PeriodicJob[] _periodic = periodicJobs.ToArray();
    private readonly Dictionary<string, QueuedJobHandler> _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);

    /// <summary>Who holds a lease: this instance (machine name and a random part).</summary>
    public string InstanceId { get; } = $"{Environment.MachineName}/{Guid.NewGuid():N}"[..Math.Min(Environment.MachineName.Length + 33, MaxNameLength)];

    public IReadOnlyList<PeriodicJob> PeriodicJobs => _periodic;

    /// <summary>Runs every periodic job that is due at <paramref name="utcNow"/> and not held elsewhere, then a batch of queued jobs; returns how many ran here.</summary>
    public async Task<int> RunDueAsync(DateTime utcNow, CancellationToken ct = default)
    {
        if (utcNow.Kind != DateTimeKind.Utc) throw new ArgumentException("utcNow must be a UTC time (DateTimeKind.Utc).", nameof(utcNow));
        var ran = 0;
        foreach (var job in _periodic)
            if (await TryRunPeriodicAsync(job, utcNow, ct)) ran++;
        ran += await RunQueuedAsync(utcNow, ct);
        return ran;
    }

    /// <summary>Runs <paramref name="job"/> if it is due and this instance wins the claim; true when it ran here.</summary>
    public async Task<bool> TryRunPeriodicAsync(PeriodicJob job, DateTime utcNow, CancellationToken ct = default)
    {
        await EnsureScheduleAsync(job.Name, utcNow, ct);
        await using var db = factory.CreateGlobal();
        var leaseUntil = utcNow + options.Lease;
        var claimed = await db.JobSchedules
            .Where(s => s.Name == job.Name && s.NextRunAt <= utcNow && (s.LeaseUntil == null || s.LeaseUntil <= utcNow))
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LeaseOwner, InstanceId)
                .SetProperty(s => s.LeaseUntil, leaseUntil)
                .SetProperty(s => s.LastStartedAt, utcNow), ct);
        if (claimed == 0) return false;

        int? result = null;
        string? error = null;
        try
        {
            result = await job.RunOnceAsync(services, utcNow, ct);
            _logger.LogInformation("Job {Job} ran for {Time:O}: {Result}", job.Name, utcNow, result);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            error = Truncate(e.Message);
            _logger.LogError(e, "Job {Job} failed for {Time:O}", job.Name, utcNow);
        }
        var next = utcNow + job.Interval;
        var finished = DateTime.UtcNow;
        await db.JobSchedules.Where(s => s.Name == job.Name && s.LeaseOwner == InstanceId)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.NextRunAt, next)
                .SetProperty(s => s.LeaseOwner, (string?)null)
                .SetProperty(s => s.LeaseUntil, (DateTime?)null)
                .SetProperty(s => s.LastFinishedAt, finished)
                .SetProperty(s => s.LastResult, result)
                .SetProperty(s => s.LastError, error), CancellationToken.None);
        return true;
    }

    /// <summary>Claims up to <see cref="JobRunnerOptions.QueueBatch"/> due queued jobs and runs them; returns how many ran.</summary>
    public async Task<int> RunQueuedAsync(DateTime utcNow, CancellationToken ct = default)
    {
        var jobs = await ClaimQueuedAsync(utcNow, ct);
        foreach (var job in jobs) await RunQueuedJobAsync(job, utcNow, ct);
        return jobs.Count;
    }

    private async Task<List<QueuedJob>> ClaimQueuedAsync(DateTime utcNow, CancellationToken ct)
    {
        await using var db = factory.CreateGlobal();
        var leaseUntil = utcNow + options.Lease;
        if (factory.Provider == DatabaseProvider.Postgres)
        {
            // SKIP LOCKED: rows another instance is claiming at this moment are passed over, not waited for.
            return await db.QueuedJobs.FromSqlRaw("""
                UPDATE queued_jobs SET lease_owner = {0}, lease_until = {1}, attempts = attempts + 1
                WHERE id IN (SELECT id FROM queued_jobs
                             WHERE completed_at IS NULL AND failed_at IS NULL AND run_after <= {2}
                               AND (lease_until IS NULL OR lease_until <= {2})
                             ORDER BY run_after LIMIT {3} FOR UPDATE SKIP LOCKED)
                RETURNING *
                """, InstanceId, leaseUntil, utcNow, options.QueueBatch).AsNoTracking().ToListAsync(ct);
        }

        var candidates = await Due(db.QueuedJobs, utcNow).OrderBy(j => j.RunAfter).Select(j => j.Id).Take(options.QueueBatch).ToListAsync(ct);
        var claimed = new List<QueuedJob>();
        foreach (var id in candidates)
        {
            var n = await Due(db.QueuedJobs, utcNow).Where(j => j.Id == id).ExecuteUpdateAsync(u => u
                .SetProperty(j => j.LeaseOwner, InstanceId)
                .SetProperty(j => j.LeaseUntil, leaseUntil)
                .SetProperty(j => j.Attempts, j => j.Attempts + 1), ct);
            if (n == 1) claimed.Add(await db.QueuedJobs.AsNoTracking().SingleAsync(j => j.Id == id, ct));
        }
        return claimed;
    }

    private static IQueryable<QueuedJob> Due(IQueryable<QueuedJob> jobs, DateTime utcNow)
        => jobs.Where(j => j.CompletedAt == null && j.FailedAt == null && j.RunAfter <= utcNow && (j.LeaseUntil == null || j.LeaseUntil <= utcNow));

    private async Task RunQueuedJobAsync(QueuedJob job, DateTime utcNow, CancellationToken ct)
    {
        string? error;
        if (!_handlers.TryGetValue(job.Kind, out var handler))
        {
            error = $"No handler for job kind '{job.Kind}'.";
        }
        else
        {
            try
            {
                await handler.RunAsync(services, job, ct);
                error = null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                error = Truncate(e.Message);
                _logger.LogError(e, "Queued job {Id} ({Kind}) failed, attempt {Attempt}", job.Id, job.Kind, job.Attempts);
            }
        }

        await using var db = factory.CreateGlobal();
        var mine = db.QueuedJobs.Where(j => j.Id == job.Id && j.LeaseOwner == InstanceId);
        var now = DateTime.UtcNow > utcNow ? DateTime.UtcNow : utcNow;
        if (error is null)
        {
            await mine.ExecuteUpdateAsync(u => u.SetProperty(j => j.CompletedAt, now).SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseUntil, (DateTime?)null).SetProperty(j => j.LastError, (string?)null), CancellationToken.None);
        }
        else if (job.Attempts >= options.MaxAttempts || handler is null)
        {
            await mine.ExecuteUpdateAsync(u => u.SetProperty(j => j.FailedAt, now).SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseUntil, (DateTime?)null).SetProperty(j => j.LastError, error), CancellationToken.None);
        }
        else
        {
            var retryAt = utcNow + TimeSpan.FromSeconds(30 * job.Attempts);
            await mine.ExecuteUpdateAsync(u => u.SetProperty(j => j.RunAfter, retryAt).SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseUntil, (DateTime?)null).SetProperty(j => j.LastError, error), CancellationToken.None);
        }
    }

    private async Task EnsureScheduleAsync(string name, DateTime utcNow, CancellationToken ct)
    {
        await using (var probe = factory.CreateGlobal())
            if (await probe.JobSchedules.AnyAsync(s => s.Name == name, ct)) return;
        try
        {
            await using var db = factory.CreateGlobal();
            db.JobSchedules.Add(new JobSchedule { Name = name, NextRunAt = utcNow });
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another instance added it at the same moment: the row is there, which is all that was needed.
        }
    }

    private static string Truncate(string message) => message.Length <= 2000 ? message : message[..2000];
}
