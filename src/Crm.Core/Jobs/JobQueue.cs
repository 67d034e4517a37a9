using Crm.Core.Data;

namespace Crm.Core.Jobs;

/// <summary>Puts one-off work on the queue that <see cref="JobRunner"/> works through on whichever instance is free.</summary>
public sealed class JobQueue(ICrmDbContextFactory factory, TimeProvider clock)
{
    public const int MaxPayloadLength = 4000;

    /// <param name="kind">Names the handler (<see cref="JobServiceCollectionExtensions.AddQueuedJobHandler{THandler}"/>).</param>
    /// <param name="tenantId">The workspace the work is for, if any; the handler opens a context for it.</param>
    /// <param name="payload">Ids and small settings as text (e.g. JSON); never record data, which the handler reads itself.</param>
    /// <param name="runAfter">Not before this UTC time; now when null.</param>
    public async Task<Guid> EnqueueAsync(string kind, Guid? tenantId, string payload, DateTime? runAfter = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        if (kind.Length > JobRunner.MaxNameLength) throw new ArgumentException($"A job kind has at most {JobRunner.MaxNameLength} characters.", nameof(kind));
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length > MaxPayloadLength) throw new ArgumentException($"A job payload has at most {MaxPayloadLength} characters; store the data and pass its id.", nameof(payload));
        if (runAfter is { Kind: not DateTimeKind.Utc }) throw new ArgumentException("runAfter must be a UTC time (DateTimeKind.Utc).", nameof(runAfter));
        var now = clock.GetUtcNow().UtcDateTime;
        var job = new QueuedJob { Kind = kind, TenantId = tenantId, Payload = payload, CreatedAt = now, RunAfter = runAfter ?? now };
        await using var db = factory.CreateGlobal();
        db.QueuedJobs.Add(job);
        await db.SaveChangesAsync(ct);
        return job.Id;
    }
}
