using Crm.Core.Data;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Audit;

/// <summary>
/// What an admin narrows the log to. <see cref="Actor"/>: a user id, or text found in the actor's name;
/// <see cref="Action"/>: an action key, or a prefix ending in '.' (<c>member.</c>); <see cref="Target"/>: a target id,
/// or text found in the target's label; <see cref="From"/> inclusive, <see cref="To"/> exclusive (UTC).
/// </summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? TargetType = null, string? Target = null, DateTime? From = null, DateTime? To = null);

public sealed record AuditPage(int Total, IReadOnlyList<AuditEntry> Items);

/// <summary>
/// Reads a workspace's audit log: newest first, filtered and paged in SQL. Owners and Admins only, checked against
/// their current role in the database (a demoted admin's open page stops getting entries at once).
/// </summary>
public sealed class AuditQuery(ICrmDbContextFactory factory, AuditTrail trail, TimeProvider clock)
{
    public const int MaxPageSize = 200;
    public const int MaxFilterLength = 200;
    private const int ExportBatch = 500;

    public async Task<AuditPage> PageAsync(Actor actor, AuditFilter filter, int skip, int take, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var query = Filtered(db, filter);
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, MaxPageSize)).ToListAsync(ct);
        return new AuditPage(total, items);
    }

    /// <summary>
    /// Every matching entry, newest first, read in batches of 500 (each on a short-lived context, so a long export holds no
    /// transaction open). The export itself is noted in the log first.
    /// </summary>
    public async IAsyncEnumerable<AuditEntry> ExportAsync(Actor actor, AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await trail.WriteAsync(actor, new AuditEvent(AuditActions.AuditExported, AuditActions.Targets.Workspace, actor.TenantId.ToString(), actor.Tenant.Name,
            new System.Text.Json.Nodes.JsonObject
            {
                ["actor"] = filter.Actor, ["action"] = filter.Action, ["targetType"] = filter.TargetType, ["target"] = filter.Target,
                ["from"] = filter.From?.ToString("O"), ["to"] = filter.To?.ToString("O"),
            }), ct);
        // Entries written while the export runs come after this instant and stay out, so offsets do not shift.
        var cutoff = clock.GetUtcNow().UtcDateTime.AddTicks(1);
        var bounded = filter with { To = filter.To is { } to && to < cutoff ? to : cutoff };
        for (var skip = 0; ; skip += ExportBatch)
        {
            List<AuditEntry> batch;
            await using (var db = factory.CreateForTenant(actor.TenantId))
                batch = await Filtered(db, bounded).OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Skip(skip).Take(ExportBatch).ToListAsync(ct);
            foreach (var entry in batch) yield return entry;
            if (batch.Count < ExportBatch) yield break;
        }
    }

    /// <summary>The people who appear in the log (for the page's actor filter), by name.</summary>
    public async Task<IReadOnlyList<(Guid UserId, string Name)>> ActorsAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var rows = await db.Set<AuditEntry>().AsNoTracking().Where(e => e.ActorUserId != null)
            .GroupBy(e => e.ActorUserId!.Value).Select(g => new { Id = g.Key, Name = g.Max(e => e.ActorName) }).ToListAsync(ct);
        return rows.Select(r => (r.Id, r.Name ?? "")).OrderBy(r => r.Item2, StringComparer.CurrentCulture).ToList();
    }

    private static IQueryable<AuditEntry> Filtered(CrmDbContext db, AuditFilter filter)
    {
        var query = db.Set<AuditEntry>().AsNoTracking();
        if (Clean(filter.Actor) is { } who)
        {
            if (Guid.TryParse(who, out var userId)) query = query.Where(e => e.ActorUserId == userId);
            else
            {
                var text = who.ToLowerInvariant();
                query = query.Where(e => e.ActorName.ToLower().Contains(text));
            }
        }
        if (Clean(filter.Action) is { } action)
            query = action.EndsWith('.') ? query.Where(e => e.Action.StartsWith(action)) : query.Where(e => e.Action == action);
        if (Clean(filter.TargetType) is { } type) query = query.Where(e => e.TargetType == type);
        if (Clean(filter.Target) is { } target)
        {
            var text = target.ToLowerInvariant();
            query = query.Where(e => e.TargetId == target || (e.TargetLabel != null && e.TargetLabel.ToLower().Contains(text)));
        }
        if (filter.From is { } from) query = query.Where(e => e.At >= from);
        if (filter.To is { } to) query = query.Where(e => e.At < to);
        return query;
    }

    private static string? Clean(string? value)
    {
        var text = value?.Trim();
        return string.IsNullOrEmpty(text) ? null : text.Length > MaxFilterLength ? text[..MaxFilterLength] : text;
    }
}
