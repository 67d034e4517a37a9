using Crm.Core.Data;
using Crm.Core.Security;

namespace Crm.Core.Audit;

/// <summary>
/// Turns <see cref="AuditEvent"/>s into <see cref="AuditEntry"/> rows. Services that change something in one
/// transaction call <see cref="Stage"/> on their own context before SaveChanges, so the change and its entry
/// commit together (a rolled-back change leaves no entry; a committed one always has it).
/// </summary>
public sealed class AuditTrail(ICrmDbContextFactory factory, TimeProvider clock)
{
    /// <summary>Adds the entry to <paramref name="db"/> (a context of the actor's workspace); it is written by the caller's SaveChanges.</summary>
    public AuditEntry Stage(CrmDbContext db, Actor actor, AuditEvent e)
    {
        var entry = Entry(actor.TenantId, actor.UserId, actor.DisplayName, actor.ApiKeyId, actor.Origin, e);
        db.Add(entry);
        return entry;
    }

    /// <summary>Writes the entry on a context of its own.</summary>
    public async Task WriteAsync(Actor actor, AuditEvent e, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        Stage(db, actor, e);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>For entries without an <see cref="Actor"/> (a failed sign-in): the workspace and who, given explicitly.</summary>
    public async Task WriteAsync(Guid tenantId, Guid? userId, string actorName, RequestOrigin? origin, AuditEvent e, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(tenantId);
        db.Add(Entry(tenantId, userId, actorName, null, origin, e));
        await db.SaveChangesAsync(ct);
    }

    private AuditEntry Entry(Guid tenantId, Guid? userId, string actorName, Guid? apiKeyId, RequestOrigin? origin, AuditEvent e) => new()
    {
        TenantId = tenantId,
        At = clock.GetUtcNow().UtcDateTime,
        ActorUserId = userId == Guid.Empty ? null : userId,
        ActorName = Cut(actorName, AuditEntry.MaxActorNameLength) ?? "",
        ApiKeyId = apiKeyId,
        Action = Cut(e.Action, AuditEntry.MaxActionLength) ?? throw new ArgumentException("An audit event needs an action.", nameof(e)),
        TargetType = Cut(e.TargetType, AuditEntry.MaxTargetTypeLength),
        TargetId = Cut(e.TargetId, AuditEntry.MaxTargetIdLength),
        TargetLabel = Cut(e.TargetLabel, AuditEntry.MaxLabelLength),
        Details = e.Details is { Count: > 0 } d ? Cut(d.ToJsonString(), AuditEntry.MaxDetailsLength) : null,
        IpAddress = origin?.IpAddress,
        UserAgent = origin?.UserAgent,
    };

    private static string? Cut(string? value, int max)
        => string.IsNullOrWhiteSpace(value) ? null : value.Length <= max ? value : value[..max];
}

/// <summary>The <see cref="IAuditLog"/> of a request or circuit: writes as the current actor, from its origin.</summary>
public sealed class AmbientAuditLog(IActorAccessor actors, IRequestOriginAccessor origins, AuditTrail trail) : IAuditLog
{
    public Task WriteAsync(AuditEvent e, CancellationToken ct = default)
    {
        var actor = actors.Required;
        if (actor.Origin is null && origins.Current is { } origin) actor = actor with { Origin = origin };
        return trail.WriteAsync(actor, e, ct);
    }
}
