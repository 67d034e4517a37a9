using Crm.Core.Data;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Notifications;

/// <summary>
/// Stores notifications (one row per person), answers the bell and the notification centre, and hands committed
/// notifications to the e-mail queue. <see cref="StageAsync"/> adds rows to a caller's unit of work, so a sweep
/// stores its reminder in the same transaction as its occurrence key (exactly once).
/// </summary>
public sealed class NotificationService(ICrmDbContextFactory factory, NotificationEvents events, NotificationMailQueue mail, TimeProvider clock, IStringLocalizer<CoreStrings> t)
    : INotificationService
{
    public const int TitleMaxLength = 300;
    public const int BodyMaxLength = 2000;

    public async Task NotifyAsync(Guid tenantId, NotificationRequest request, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(tenantId);
        var added = await StageAsync(db, tenantId, request, ct);
        if (added.Count == 0) return;
        await db.SaveChangesAsync(ct);
        Committed(tenantId, added);
    }

    /// <summary>
    /// Adds the notifications to <paramref name="db"/> (not saved) for the users who are members of the workspace;
    /// call <see cref="Committed"/> with the result once the caller's transaction commits.
    /// </summary>
    public async Task<IReadOnlyList<Notification>> StageAsync(CrmDbContext db, Guid tenantId, NotificationRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Kind)) throw new ArgumentException(t["Notification.KindRequired"], nameof(request));
        if (string.IsNullOrWhiteSpace(request.Title)) throw new ArgumentException(t["Notification.TitleRequired"], nameof(request));
        var ids = request.UserIds.Where(u => u != Guid.Empty).Distinct().ToList();
        if (ids.Count == 0) return [];
        // People who left the workspace get nothing.
        var members = await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && ids.Contains(m.UserId)).Select(m => m.UserId).ToListAsync(ct);
        return Stage(db, tenantId, request, members);
    }

    /// <summary>
    /// As <see cref="StageAsync"/> for a caller that has just read which of the people are members
    /// (<paramref name="members"/>): the automation engine asks once per save for everyone its rules name.
    /// </summary>
    public IReadOnlyList<Notification> Stage(CrmDbContext db, Guid tenantId, NotificationRequest request, IReadOnlyCollection<Guid> members)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Kind)) throw new ArgumentException(t["Notification.KindRequired"], nameof(request));
        if (string.IsNullOrWhiteSpace(request.Title)) throw new ArgumentException(t["Notification.TitleRequired"], nameof(request));
        var ids = request.UserIds.Where(u => u != Guid.Empty).Distinct().ToList();
        var now = clock.GetUtcNow().UtcDateTime;
        var added = new List<Notification>();
        foreach (var user in ids.Where(members.Contains))
        {
            var n = new Notification
            {
                TenantId = tenantId,
                UserId = user,
                Kind = Clip(request.Kind.Trim(), 64),
                Title = Clip(request.Title.Trim(), TitleMaxLength),
                Body = request.Body is { } b ? Clip(b, BodyMaxLength) : null,
                RecordId = request.RecordId,
                EntityTypeId = request.EntityTypeId,
                CreatedAt = now,
            };
            db.Notifications.Add(n);
            added.Add(n);
        }
        return added;
    }

    /// <summary>After the commit: bells refresh, e-mails are queued (never fails).</summary>
    public void Committed(Guid tenantId, IReadOnlyList<Notification> added)
    {
        if (added.Count == 0) return;
        events.Publish(new NotificationEvent(tenantId, added.Select(n => n.UserId).Distinct().ToList()));
        mail.Enqueue(tenantId, added);
    }

    /// <summary>The actor's unread notifications in this workspace (the bell's number).</summary>
    public async Task<int> UnreadCountAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await db.Notifications.CountAsync(n => n.UserId == actor.UserId && n.ReadAt == null, ct);
    }

    /// <summary>The actor's notifications, newest first.</summary>
    public async Task<IReadOnlyList<Notification>> ListAsync(Actor actor, bool unreadOnly = false, int take = 50, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var query = db.Notifications.AsNoTracking().Where(n => n.UserId == actor.UserId);
        if (unreadOnly) query = query.Where(n => n.ReadAt == null);
        return await query.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Take(Math.Clamp(take, 1, 500)).ToListAsync(ct);
    }

    /// <summary>Marks one of the actor's notifications read; false when it is not theirs or already read.</summary>
    public async Task<bool> MarkReadAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var now = clock.GetUtcNow().UtcDateTime;
        var changed = await db.Notifications.Where(n => n.Id == id && n.UserId == actor.UserId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
        if (changed > 0) events.Publish(new NotificationEvent(actor.TenantId, [actor.UserId]));
        return changed > 0;
    }

    /// <summary>Marks all of the actor's notifications read; returns how many were unread.</summary>
    public async Task<int> MarkAllReadAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var now = clock.GetUtcNow().UtcDateTime;
        var changed = await db.Notifications.Where(n => n.UserId == actor.UserId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
        if (changed > 0) events.Publish(new NotificationEvent(actor.TenantId, [actor.UserId]));
        return changed;
    }

    /// <summary>The kinds a person gets by e-mail (none until they choose).</summary>
    public async Task<IReadOnlyList<string>> EmailKindsAsync(Guid userId, CancellationToken ct = default)
    {
        await using var db = factory.CreateGlobal();
        var pref = await db.NotificationPreferences.AsNoTracking().FirstOrDefaultAsync(p => p.UserId == userId, ct);
        return pref?.EmailKinds ?? [];
    }

    /// <summary>Sets the kinds a person gets by e-mail; an unknown kind is refused with an error naming it.</summary>
    public async Task SetEmailKindsAsync(Guid userId, IEnumerable<string> kinds, CancellationToken ct = default)
    {
        var list = kinds.Distinct().ToList();
        foreach (var k in list)
            if (!NotificationKinds.All.Contains(k)) throw new ArgumentException(t["Notification.UnknownKind", k], nameof(kinds));
        await using var db = factory.CreateGlobal();
        var pref = await db.NotificationPreferences.FirstOrDefaultAsync(p => p.UserId == userId, ct);
        if (pref is null) db.NotificationPreferences.Add(pref = new NotificationPreference { UserId = userId });
        pref.EmailKinds = NotificationKinds.All.Where(list.Contains).ToList();
        pref.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    private static string Clip(string s, int max) => s.Length > max ? s[..max] : s;
}
