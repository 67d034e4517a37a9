using Crm.Core.Metadata;

namespace Crm.Core.Pools;

/// <summary>A pool as the actor sees it: its size, whether they may claim or assign, and their claims today.</summary>
public sealed record PoolSummary(Pool Pool, EntityMeta Entity, int Size, bool CanClaim, bool CanAssign, int ReceivedToday)
{
    public int? LeftToday => Pool.DailyClaimLimit is { } limit ? Math.Max(0, limit - ReceivedToday) : null;
}

/// <summary>A record waiting in a pool, with when it came in, from whom and why.</summary>
public sealed record PoolRecordRow(Guid Id, string Title, DateTime CreatedAt, DateTime? EnteredAt, Guid? PreviousOwnerId, string? PreviousOwnerName, string? Reason);

public sealed record PoolRecordsPage(IReadOnlyList<PoolRecordRow> Rows, int Total);

/// <summary>One record a claim or assignment did not take, and why (localized).</summary>
public sealed record PoolRefusal(Guid RecordId, string Message);

/// <summary>
/// The outcome of a claim or assignment: which records were taken and which were refused, each with a reason;
/// <see cref="Error"/> when the whole action was refused (not a member, unknown pool).
/// </summary>
public sealed record PoolActionResult(IReadOnlyList<Guid> Done, IReadOnlyList<PoolRefusal> Refused, string? Error = null)
{
    public bool Succeeded => Error is null && Refused.Count == 0;
    public static PoolActionResult Failed(string error) => new([], [], error);
}

/// <summary>Pool report row: size now and claims, assignments and returns in the period (counted in SQL).</summary>
public sealed record PoolReportRow(Guid PoolId, string PoolKey, string Label, string EntityKey, int Size, int Claimed, int Assigned, int Returned, int Entered);
