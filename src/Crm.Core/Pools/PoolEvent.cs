using Crm.Core.Tenancy;

namespace Crm.Core.Pools;

public enum PoolEventKind
{
    /// <summary>Put into the pool (by a person, a rule or on creation).</summary>
    Entered = 0,
    /// <summary>Returned automatically by a return rule.</summary>
    Returned = 1,
    /// <summary>Taken by a member (领取).</summary>
    Claimed = 2,
    /// <summary>Given to a member by a pool admin.</summary>
    Assigned = 3,
}

/// <summary>
/// The pool's log: each claim, assignment and return. Daily claim limits, the reclaim cooldown, the "owner got it
/// on" date of return rules and the pool report are all read from it in SQL.
/// </summary>
public sealed class PoolEvent : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid PoolId { get; set; }
    public Guid RecordId { get; set; }
    public PoolEventKind Kind { get; set; }
    /// <summary>Claimed/Assigned: the new owner. Entered/Returned: the owner the record left.</summary>
    public Guid? UserId { get; set; }
    /// <summary>Who did it (null for the sweep).</summary>
    public Guid? ByUserId { get; set; }
    public DateTime At { get; set; }
    public string? Reason { get; set; }
}
