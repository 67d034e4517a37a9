using Crm.Core.Data;

namespace Crm.Core.Jobs;

/// <summary>
/// One row per periodic job (<see cref="PeriodicJob"/>): when it is due next and who holds it now. An instance
/// runs the job only after it moved the lease to itself in one conditional UPDATE, so with any number of instances
/// each due run happens once; a lease that ran out (the instance died mid-run) lets another instance take it.
/// </summary>
[GlobalEntity("Operational state of the app's own background jobs (one row per job name, a handful); a job sweeps every workspace.")]
public sealed class JobSchedule
{
    public string Name { get; set; } = "";
    public DateTime NextRunAt { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public DateTime? LastStartedAt { get; set; }
    public DateTime? LastFinishedAt { get; set; }
    /// <summary>What the last run returned (e.g. how many items it handled).</summary>
    public int? LastResult { get; set; }
    public string? LastError { get; set; }
}
