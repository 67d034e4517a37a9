using System.Globalization;
using Crm.Core.Automation;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Notifications;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Pools;

/// <summary>
/// Lead and customer pools (公海): listing, claiming (领取) within the daily limit and the reclaim cooldown,
/// assigning by pool admins, and moving records in. Every owner change is a <see cref="RecordWriteMode.System"/>
/// rewrite through <see cref="RecordWriter"/> (version, timeline with the reason, events), one record per transaction,
/// so two people claiming the same record get one success and one "already taken".
/// </summary>
public sealed class PoolService(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock,
    RecordEvents recordEvents, NotificationService notifications) : IPoolMover
{
    public const int MaxBatch = 200;

    /// <summary>The pools of the workspace (not archived) with their sizes and the actor's rights and count today.</summary>
    public async Task<IReadOnlyList<PoolSummary>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var pools = await db.Pools.AsNoTracking().Where(p => !p.IsArchived).OrderBy(p => p.SortOrder).ThenBy(p => p.Key).ToListAsync(ct);
        var ids = pools.Select(p => p.Id).ToList();
        var sizes = await db.Records.Where(r => r.PoolId != null && ids.Contains(r.PoolId.Value) && r.OwnerId == null)
            .GroupBy(r => r.PoolId).Select(g => new { Id = g.Key!.Value, Count = g.Count() }).ToDictionaryAsync(x => x.Id, x => x.Count, ct);
        var since = await StartOfTodayAsync(db, actor.TenantId, ct);
        var mine = await ReceivedSinceQuery(db, actor.UserId, since).Where(e => ids.Contains(e.PoolId))
            .GroupBy(e => e.PoolId).Select(g => new { Id = g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Id, x => x.Count, ct);
        var result = new List<PoolSummary>();
        foreach (var p in pools)
        {
            if (metadata.Entity(p.EntityTypeId) is not { } entity || entity.Entity.IsArchived) continue;
            var (member, admin) = await RightsAsync(db, actor, p, ct);
            result.Add(new PoolSummary(p, entity, sizes.GetValueOrDefault(p.Id), member, admin, mine.GetValueOrDefault(p.Id)));
        }
        return result;
    }

    public async Task<PoolSummary?> GetAsync(Actor actor, Guid poolId, CancellationToken ct = default)
        => (await ListAsync(actor, ct)).FirstOrDefault(p => p.Pool.Id == poolId);

    /// <summary>The records waiting in a pool, the longest waiting first, with when and why they came in.</summary>
    public async Task<PoolRecordsPage> RecordsAsync(Actor actor, Guid poolId, int skip = 0, int take = 50, string? search = null, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var query = db.Records.AsNoTracking().Where(r => r.PoolId == poolId && r.OwnerId == null);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim().ToLowerInvariant();
            query = query.Where(r => r.SearchText.Contains(s));
        }
        var total = await query.CountAsync(ct);
        var rows = await query.OrderBy(r => r.UpdatedAt).ThenBy(r => r.Id).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, 500))
            .Select(r => new { r.Id, r.Title, r.CreatedAt }).ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var entered = (await db.PoolEvents.AsNoTracking()
                .Where(e => ids.Contains(e.RecordId) && (e.Kind == PoolEventKind.Entered || e.Kind == PoolEventKind.Returned))
                .ToListAsync(ct))
            .GroupBy(e => e.RecordId).ToDictionary(g => g.Key, g => g.OrderByDescending(e => e.At).First());
        var userIds = entered.Values.Where(e => e.UserId is not null).Select(e => e.UserId!.Value).Distinct().ToList();
        var names = userIds.Count == 0 ? new Dictionary<Guid, string>() : await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        return new PoolRecordsPage(rows.Select(r =>
        {
            var e = entered.GetValueOrDefault(r.Id);
            return new PoolRecordRow(r.Id, r.Title, r.CreatedAt, e?.At, e?.UserId, e?.UserId is { } u ? names.GetValueOrDefault(u) : null, e?.Reason);
        }).ToList(), total);
    }

    /// <summary>The actor claims (领取) records of the pool: each must still be in it, within the daily limit and past the cooldown.</summary>
    public async Task<PoolActionResult> ClaimAsync(Actor actor, Guid poolId, IReadOnlyCollection<Guid> recordIds, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        var (pool, error) = await LoadPoolAsync(actor, poolId, ct);
        if (pool is null) return PoolActionResult.Failed(error!);
        if (!(await RightsAsync(actor, pool, ct)).Member) return PoolActionResult.Failed(t["Pool.NotMember", pool.Label.Get()]);
        return await GiveAsync(actor, pool, recordIds, actor.UserId, PoolEventKind.Claimed, ct);
    }

    /// <summary>A pool admin gives records to <paramref name="toUserId"/> (a member of the workspace), within their daily limit.</summary>
    public async Task<PoolActionResult> AssignAsync(Actor actor, Guid poolId, IReadOnlyCollection<Guid> recordIds, Guid toUserId, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        var (pool, error) = await LoadPoolAsync(actor, poolId, ct);
        if (pool is null) return PoolActionResult.Failed(error!);
        if (!(await RightsAsync(actor, pool, ct)).Admin) return PoolActionResult.Failed(t["Pool.NotAdmin", pool.Label.Get()]);
        await using (var db = factory.CreateGlobal())
        {
            var role = await db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId && m.UserId == toUserId).Select(m => (MemberRole?)m.Role).FirstOrDefaultAsync(ct);
            if (role is null || !role.Value.IsAtLeast(MemberRole.Member)) return PoolActionResult.Failed(t["Pool.AssigneeNotMember"]);
        }
        return await GiveAsync(actor, pool, recordIds, toUserId, PoolEventKind.Assigned, ct);
    }

    private async Task<PoolActionResult> GiveAsync(Actor actor, Pool pool, IReadOnlyCollection<Guid> recordIds, Guid toUserId, PoolEventKind kind, CancellationToken ct)
    {
        var ids = recordIds.Distinct().ToList();
        if (ids.Count == 0) return PoolActionResult.Failed(t["Pool.NothingSelected"]);
        if (ids.Count > MaxBatch) return PoolActionResult.Failed(t["Pool.TooMany", MaxBatch]);
        var done = new List<Guid>();
        var refused = new List<PoolRefusal>();
        var now = clock.GetUtcNow().UtcDateTime;
        var label = pool.Label.Get();
        foreach (var id in ids)
        {
            await using var db = factory.CreateForTenant(actor.TenantId);
            var metadata = await metadataStore.GetAsync(db, ct);
            var entity = metadata.Entity(pool.EntityTypeId);
            if (entity?.OwnerField is not { } ownerField) { refused.Add(new PoolRefusal(id, t["Pool.NoOwnerField"])); continue; }

            // Daily limit: records received from this pool (claimed or assigned) since midnight, workspace time.
            if (pool.DailyClaimLimit is { } limit)
            {
                var since = await StartOfTodayAsync(db, actor.TenantId, ct);
                var received = await ReceivedSinceQuery(db, toUserId, since).CountAsync(e => e.PoolId == pool.Id, ct);
                if (received >= limit)
                {
                    refused.Add(new PoolRefusal(id, kind == PoolEventKind.Claimed ? t["Pool.LimitReached", limit] : t["Pool.AssigneeLimitReached", limit]));
                    continue;
                }
            }
            // Cooldown: the one who gave it up (or lost it) waits before claiming it back; an admin may still assign it.
            if (kind == PoolEventKind.Claimed && pool.ReclaimCooldownDays is > 0 and var days)
            {
                var cutoff = now.AddDays(-days);
                var left = await db.PoolEvents.AsNoTracking()
                    .Where(e => e.RecordId == id && e.UserId == toUserId && (e.Kind == PoolEventKind.Entered || e.Kind == PoolEventKind.Returned) && e.At > cutoff)
                    .OrderByDescending(e => e.At).Select(e => (DateTime?)e.At).FirstOrDefaultAsync(ct);
                if (left is { } leftAt)
                {
                    var tz = await TimeZoneAsync(db, actor.TenantId, ct);
                    var from = WorkspaceTimeZone.ToLocal(DateTime.SpecifyKind(leftAt, DateTimeKind.Utc).AddDays(days), tz);
                    refused.Add(new PoolRefusal(id, t["Pool.Cooldown", days, from.ToString("g", CultureInfo.CurrentCulture)]));
                    continue;
                }
            }

            var writer = new RecordWriter(db, metadata, actor, t, clock);
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var record = await db.Records.FirstOrDefaultAsync(r => r.Id == id, ct);
                if (record is null || record.PoolId != pool.Id || record.OwnerId is not null)
                {
                    refused.Add(new PoolRefusal(id, t["Pool.NotInPool", record?.Title ?? id.ToString()]));
                    continue;
                }
                var reason = kind == PoolEventKind.Claimed ? t["Pool.ClaimedReason", label] : t["Pool.AssignedReason", label];
                await writer.RewriteAsync(record, (_, values) => { values[ownerField.Key] = toUserId.ToString(); return true; }, reason, now, ct);
                db.PoolEvents.Add(new PoolEvent { PoolId = pool.Id, RecordId = id, Kind = kind, UserId = toUserId, ByUserId = actor.UserId, At = now });
                IReadOnlyList<Notification> note = [];
                if (kind == PoolEventKind.Assigned && toUserId != actor.UserId)
                    note = await notifications.StageAsync(db, actor.TenantId,
                        new NotificationRequest([toUserId], NotificationKinds.PoolAssigned, t["Pool.AssignedTitle", record.Title, label], null, record.Id, record.EntityTypeId), ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                foreach (var e in writer.Events) recordEvents.Publish(e);
                notifications.Committed(actor.TenantId, note);
                done.Add(id);
            }
            catch (DbUpdateConcurrencyException)
            {
                refused.Add(new PoolRefusal(id, t["Pool.TakenMeanwhile"]));
            }
        }
        return new PoolActionResult(done, refused);
    }

    /// <summary>
    /// Moves a record into the pool <paramref name="poolKey"/> of its entity type (the owner is cleared, the reason is
    /// on the timeline); false when the entity type has no such pool or the record is missing.
    /// </summary>
    public async Task<bool> MoveToPoolAsync(Actor actor, Guid recordId, string poolKey, string reason, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var writer = new RecordWriter(db, metadata, actor, t, clock);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var record = await db.Records.FirstOrDefaultAsync(r => r.Id == recordId, ct);
        if (record is null) return false;
        var pool = await db.Pools.AsNoTracking().FirstOrDefaultAsync(p => p.EntityTypeId == record.EntityTypeId && p.Key == poolKey && !p.IsArchived, ct);
        if (pool is null) return false;
        if (!await PutInPoolAsync(db, writer, metadata, pool, record, PoolEventKind.Entered, t["Pool.ReturnedReason", pool.Label.Get(), reason], actor.UserId, clock.GetUtcNow().UtcDateTime, ct))
            return false;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var e in writer.Events) recordEvents.Publish(e);
        return true;
    }

    /// <summary>
    /// Clears the owner through the writer (timeline entry with <paramref name="reason"/>), sets the pool and logs the
    /// event with the owner it left. In the caller's transaction; false when the entity type has no owner field.
    /// </summary>
    internal static async Task<bool> PutInPoolAsync(CrmDbContext db, RecordWriter writer, TenantMetadata metadata, Pool pool, Record record, PoolEventKind kind,
        string reason, Guid? byUserId, DateTime now, CancellationToken ct)
    {
        if (record.EntityTypeId != pool.EntityTypeId || metadata.Entity(record.EntityTypeId)?.OwnerField is not { } ownerField) return false;
        var previousOwner = record.OwnerId;
        await writer.RewriteAsync(record, (r, values) =>
        {
            values.Remove(ownerField.Key);
            r.PoolId = pool.Id;
            return true;
        }, reason, now, ct);
        db.PoolEvents.Add(new PoolEvent { PoolId = pool.Id, RecordId = record.Id, Kind = kind, UserId = previousOwner, ByUserId = byUserId, At = now, Reason = reason });
        return true;
    }

    /// <summary>Pool size now and claims, assignments, returns and entries in [from, to), grouped in SQL.</summary>
    public async Task<IReadOnlyList<PoolReportRow>> ReportAsync(Actor actor, DateTime fromUtc, DateTime toUtc, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var pools = await db.Pools.AsNoTracking().Where(p => !p.IsArchived).OrderBy(p => p.SortOrder).ThenBy(p => p.Key).ToListAsync(ct);
        var sizes = await db.Records.Where(r => r.PoolId != null && r.OwnerId == null)
            .GroupBy(r => r.PoolId).Select(g => new { Id = g.Key!.Value, Count = g.Count() }).ToDictionaryAsync(x => x.Id, x => x.Count, ct);
        var counts = await db.PoolEvents.Where(e => e.At >= fromUtc && e.At < toUtc)
            .GroupBy(e => new { e.PoolId, e.Kind }).Select(g => new { g.Key.PoolId, g.Key.Kind, Count = g.Count() }).ToListAsync(ct);
        int Count(Guid pool, PoolEventKind kind) => counts.FirstOrDefault(c => c.PoolId == pool && c.Kind == kind)?.Count ?? 0;
        return pools.Select(p => new PoolReportRow(p.Id, p.Key, p.Label.Get(), metadata.Entity(p.EntityTypeId)?.Key ?? "", sizes.GetValueOrDefault(p.Id),
            Count(p.Id, PoolEventKind.Claimed), Count(p.Id, PoolEventKind.Assigned), Count(p.Id, PoolEventKind.Returned), Count(p.Id, PoolEventKind.Entered))).ToList();
    }

    /// <summary>The actor's rights on the pool: named, or holding one of its roles / in one of its departments (checked now).</summary>
    private async Task<(bool Member, bool Admin)> RightsAsync(Actor actor, Pool pool, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await RightsAsync(db, actor, pool, ct);
    }

    private static async Task<(bool Member, bool Admin)> RightsAsync(CrmDbContext db, Actor actor, Pool pool, CancellationToken ct)
    {
        var admin = IsAdmin(actor, pool) || (actor.CanEdit && pool.Groups.HasAdmins
            && (await RuleTargets.MembersOfAsync(db, actor.TenantId, pool.Groups.AdminRoles, pool.Groups.AdminDepartments, ct)).Contains(actor.UserId));
        var member = admin || IsMember(actor, pool) || (actor.CanEdit && pool.Groups.HasMembers
            && (await RuleTargets.MembersOfAsync(db, actor.TenantId, pool.Groups.MemberRoles, pool.Groups.MemberDepartments, ct)).Contains(actor.UserId));
        return (member, admin);
    }

    public static bool IsMember(Actor actor, Pool pool) => actor.CanEdit && (pool.EveryoneIsMember || pool.Members.Contains(actor.UserId) || IsAdmin(actor, pool));

    public static bool IsAdmin(Actor actor, Pool pool) => actor.CanAdminister || (actor.CanEdit && pool.Admins.Contains(actor.UserId));

    private static IQueryable<PoolEvent> ReceivedSinceQuery(CrmDbContext db, Guid userId, DateTime since)
        => db.PoolEvents.AsNoTracking().Where(e => e.UserId == userId && e.At >= since && (e.Kind == PoolEventKind.Claimed || e.Kind == PoolEventKind.Assigned));

    private async Task<(Pool? Pool, string? Error)> LoadPoolAsync(Actor actor, Guid poolId, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var pool = await db.Pools.AsNoTracking().FirstOrDefaultAsync(p => p.Id == poolId && !p.IsArchived, ct);
        return pool is null ? (null, t["Pool.NotFound"]) : (pool, null);
    }

    private static async Task<TimeZoneInfo> TimeZoneAsync(CrmDbContext db, Guid tenantId, CancellationToken ct)
        => WorkspaceTimeZone.Resolve(await db.Tenants.AsNoTracking().Where(x => x.Id == tenantId).Select(x => x.TimeZone).FirstOrDefaultAsync(ct));

    private async Task<DateTime> StartOfTodayAsync(CrmDbContext db, Guid tenantId, CancellationToken ct)
    {
        var tz = await TimeZoneAsync(db, tenantId, ct);
        var local = WorkspaceTimeZone.ToLocal(clock.GetUtcNow().UtcDateTime, tz);
        return WorkspaceTimeZone.StartOfDayUtc(DateOnly.FromDateTime(local), tz);
    }
}
