using System.Text.Json.Nodes;

namespace Crm.Core.Audit;

/// <summary>
/// What happened, as a caller describes it: an action key (<see cref="AuditActions"/>), what it was done to (type,
/// id and a label copied now, so the entry reads the same after the target is deleted) and a small JSON object of
/// details. Who, where (workspace), when and from where (IP, user agent) are added by the log.
/// </summary>
public sealed record AuditEvent(string Action, string? TargetType = null, string? TargetId = null, string? TargetLabel = null, JsonObject? Details = null);

/// <summary>
/// The audit log of the current request or circuit: the actor, workspace, time and origin come from the ambient
/// context (<see cref="Security.IActorAccessor"/>). One line per audited action:
/// <code>await audit.WriteAsync(new AuditEvent("permission.changed", "role", role.Id.ToString(), role.Name, details), ct);</code>
/// Writes on a context of its own (its own transaction). Where the change is one transaction, prefer
/// <see cref="AuditTrail.Stage"/> on the change's own context, so that the entry commits (or rolls back) with it.
/// </summary>
public interface IAuditLog
{
    Task WriteAsync(AuditEvent e, CancellationToken ct = default);
}
