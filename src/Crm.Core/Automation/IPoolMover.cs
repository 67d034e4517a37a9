using Crm.Core.Security;

namespace Crm.Core.Automation;

/// <summary>Moves records into a lead/customer pool (公海). Implemented by the pools feature, used by rule actions.</summary>
public interface IPoolMover
{
    /// <summary>
    /// Moves the record into the pool with key <paramref name="poolKey"/> of the record's entity type: clears the
    /// owner through the record write path and writes <paramref name="reason"/> to the record's timeline.
    /// Returns false (and changes nothing) when the entity type has no such pool.
    /// </summary>
    Task<bool> MoveToPoolAsync(Actor actor, Guid recordId, string poolKey, string reason, CancellationToken ct = default);
}
