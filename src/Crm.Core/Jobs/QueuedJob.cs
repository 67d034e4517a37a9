using Crm.Core.Data;

namespace Crm.Core.Jobs;

/// <summary>
/// A one-off piece of background work (an import, a webhook delivery): a kind that names its handler
/// (<see cref="JobServiceCollectionExtensions.AddQueuedJobHandler"/>), the workspace it is for and a payload of ids
/// (never the data itself). Claimed by one instance at a time with a lease (PostgreSQL: <c>FOR UPDATE SKIP LOCKED</c>),
/// retried after a failure or a lease that ran out, given up after <see cref="JobRunnerOptions.MaxAttempts"/>.
/// </summary>
[GlobalEntity("The queue of all instances, read across workspaces by whichever instance is free; rows carry the workspace id as data, and a handler opens a context for it.")]
public sealed class QueuedJob
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Kind { get; set; } = "";
    public Guid? TenantId { get; set; }
    public string Payload { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime RunAfter { get; set; }
    public int Attempts { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime? FailedAt { get; set; }
    public string? LastError { get; set; }
}
