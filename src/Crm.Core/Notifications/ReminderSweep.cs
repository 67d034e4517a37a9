using System.Globalization;
using Crm.Core.Activities;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Pools;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;

namespace Crm.Core.Notifications;

/// <summary>
/// The time-based work, one pass over all workspaces: automatic returns to pools and their "returns soon" reminders,
/// due and overdue task reminders, deals stuck in a stage longer than the stage's <see cref="PipelineStage.StaleAfterDays"/>.
/// Each action is one transaction that first inserts its <see cref="SweepOccurrence"/> (unique per kind, subject and
/// occurrence): with several workers racing, one inserts and acts, the others' transactions fail and roll back.
/// </summary>
public sealed class ReminderSweep(ICrmDbContextFactory factory, MetadataStore metadataStore, NotificationService notifications,
    RecordEvents recordEvents, IStringLocalizer<CoreStrings> t, TimeProvider clock, ILogger<ReminderSweep> log)
{
    /// <summary>A task reminds its assignee this long before it is due.</summary>
    public static readonly TimeSpan DueSoon = TimeSpan.FromHours(24);
    /// <summary>Tasks overdue for longer than this are not reminded of (a first run does not flood people).</summary>
    public static readonly TimeSpan OverdueWindow = TimeSpan.FromDays(7);
    private const int Batch = 500;

    public const string ReturnKind = "pool.return";

    /// <summary>Runs every due return and reminder once; returns how many actions this worker did.</summary>
    public Task<int> RunOnceAsync(DateTime utcNow, CancellationToken ct = default) => RunOnceAsync(utcNow, null, ct);

    /// <summary>As <see cref="RunOnceAsync(DateTime, CancellationToken)"/> for some workspaces only (a job runner's shard, tests).</summary>
    public async Task<int> RunOnceAsync(DateTime utcNow, IReadOnlyCollection<Guid>? tenantIds, CancellationToken ct = default)
    {
        var now = DateTime.SpecifyKind(utcNow, DateTimeKind.Utc);
        List<TenantInfo> tenants;
        await using (var global = factory.CreateGlobal())
        {
            var query = global.Tenants.AsNoTracking();
            if (tenantIds is not null) query = query.Where(x => tenantIds.Contains(x.Id));
            tenants = await query.OrderBy(x => x.Id).ToListAsync(ct);
        }
        var done = 0;
        foreach (var tenant in tenants)
        {
            try { done += await RunTenantAsync(tenant, now, ct); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Reminder sweep failed for workspace {Tenant}", tenant.Identifier);
            }
        }
        return done;
    }

    private async Task<int> RunTenantAsync(TenantInfo tenant, DateTime now, CancellationToken ct)
    {
        var previous = CultureInfo.CurrentUICulture;
        // Reasons and titles are stored as text: in the workspace's language.
        CultureInfo.CurrentUICulture = new CultureInfo(string.IsNullOrEmpty(tenant.DefaultCulture) ? "zh-CN" : tenant.DefaultCulture);
        try
        {
            return await PoolsAsync(tenant, now, ct) + await TasksAsync(tenant, now, ct) + await StuckDealsAsync(tenant, now, ct);
        }
        finally { CultureInfo.CurrentUICulture = previous; }
    }

    // ------------------------------------------------------------------ pools

    private sealed record Candidate(Guid Id, string Title, Guid OwnerId, Guid EntityTypeId, DateTime CreatedAt, DateTime? LastActivityAt, Guid? StageId);

    private async Task<int> PoolsAsync(TenantInfo tenant, DateTime now, CancellationToken ct)
    {
        List<Pool> pools;
        TenantMetadata metadata;
        await using (var db = factory.CreateForTenant(tenant.Id))
        {
            pools = await db.Pools.AsNoTracking().Where(p => !p.IsArchived).OrderBy(p => p.SortOrder).ThenBy(p => p.Key).ToListAsync(ct);
            metadata = await metadataStore.GetAsync(db, ct);
        }
        var done = 0;
        foreach (var pool in pools.Where(p => p.ReturnRules.Count > 0))
        {
            // Owned records of the pool, and those never in a pool when this is their entity type's first pool.
            var isDefault = pools.First(p => p.EntityTypeId == pool.EntityTypeId).Id == pool.Id;
            foreach (var rule in pool.ReturnRules.Where(r => r.Days > 0))
            {
                var remind = rule.ReminderDaysBefore is > 0 and var m && m < rule.Days ? m : 0;
                var earliest = now.AddDays(-(rule.Days - remind)); // clock started before this: due or reminded
                var returnBy = now.AddDays(-rule.Days);
                foreach (var c in await CandidatesAsync(tenant.Id, metadata, pool, isDefault, rule, earliest, ct))
                {
                    if (c.Reference > earliest) continue;
                    var occurrence = c.Reference.ToString("O", CultureInfo.InvariantCulture);
                    if (c.Reference <= returnBy)
                    {
                        if (await ReturnAsync(tenant, pool, rule, c.Record, occurrence, now, ct)) done++;
                    }
                    else if (remind > 0 && await RemindReturnAsync(tenant, pool, c.Record, c.Reference.AddDays(rule.Days), occurrence, now, ct))
                        done++;
                }
            }
        }
        return done;
    }

    /// <summary>
    /// Owned records whose clock (the later of: created, last claimed/assigned, and per rule the last follow-up or the
    /// newest related record) started at or before <paramref name="earliest"/>; prefiltered in SQL, refined here.
    /// </summary>
    private async Task<List<(Candidate Record, DateTime Reference)>> CandidatesAsync(Guid tenantId, TenantMetadata metadata, Pool pool, bool isDefault,
        PoolReturnRule rule, DateTime earliest, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(tenantId);
        var query = db.Records.AsNoTracking().Where(r => r.EntityTypeId == pool.EntityTypeId && r.OwnerId != null && r.CreatedAt <= earliest
            && (r.PoolId == pool.Id || (isDefault && r.PoolId == null)));
        if (rule.Kind == PoolReturnKind.NoFollowUp) query = query.Where(r => r.LastActivityAt == null || r.LastActivityAt <= earliest);
        // Converted, disqualified … (the rule's keepStatuses) stay with their owner.
        var kept = rule.KeptStatusIds(metadata.Entity(pool.EntityTypeId));
        if (kept.Count > 0) query = query.Where(r => r.StatusOptionId == null || !kept.Contains(r.StatusOptionId.Value));
        if (rule.Kind == PoolReturnKind.NotWon)
        {
            var won = metadata.Entity(pool.EntityTypeId)?.AllPipelines.SelectMany(p => p.AllStages).Where(s => s.Kind == StageKind.Won).Select(s => s.Id).ToList() ?? [];
            query = query.Where(r => r.StageId == null || !won.Contains(r.StageId.Value));
        }
        var records = await query.OrderBy(r => r.Id).Take(Batch)
            .Select(r => new Candidate(r.Id, r.Title, r.OwnerId!.Value, r.EntityTypeId, r.CreatedAt, r.LastActivityAt, r.StageId)).ToListAsync(ct);
        if (records.Count == 0) return [];
        var ids = records.Select(r => r.Id).ToList();
        var got = await db.PoolEvents.AsNoTracking().Where(e => ids.Contains(e.RecordId) && (e.Kind == PoolEventKind.Claimed || e.Kind == PoolEventKind.Assigned))
            .GroupBy(e => e.RecordId).Select(g => new { Id = g.Key, At = g.Max(e => e.At) }).ToDictionaryAsync(x => x.Id, x => x.At, ct);
        var related = new Dictionary<Guid, DateTime>();
        if (rule.Kind == PoolReturnKind.NoNewRelated && metadata.Entity(rule.RelatedEntity ?? "") is { } other && metadata.Entity(pool.EntityTypeId) is { } self)
        {
            var texts = ids.Select(i => i.ToString()).ToList();
            foreach (var lookup in other.AllFields.Where(f => f.Type == "lookup" && f.Settings.Target == self.Key))
            {
                var key = lookup.Key;
                var rows = await db.Records.AsNoTracking().Where(o => o.EntityTypeId == other.Entity.Id && texts.Contains(JsonSql.Text(o.Values, EF.Constant(key))!))
                    .GroupBy(o => JsonSql.Text(o.Values, EF.Constant(key))).Select(g => new { g.Key, At = g.Max(o => o.CreatedAt) }).ToListAsync(ct);
                foreach (var row in rows)
                    if (Guid.TryParse(row.Key, out var id) && (!related.TryGetValue(id, out var at) || at < row.At)) related[id] = row.At;
            }
        }
        return records.Select(r =>
        {
            var reference = Utc(r.CreatedAt);
            if (got.TryGetValue(r.Id, out var g) && Utc(g) > reference) reference = Utc(g);
            if (rule.Kind == PoolReturnKind.NoFollowUp && r.LastActivityAt is { } a && Utc(a) > reference) reference = Utc(a);
            if (rule.Kind == PoolReturnKind.NoNewRelated && related.TryGetValue(r.Id, out var n) && Utc(n) > reference) reference = Utc(n);
            return (r, reference);
        }).ToList();
    }

    private string RuleText(PoolReturnRule rule, TenantMetadata metadata) => rule.Kind switch
    {
        PoolReturnKind.NoFollowUp => t["Pool.Rule.NoFollowUp", rule.Days],
        PoolReturnKind.NoNewRelated => t["Pool.Rule.NoNewRelated", rule.Days, metadata.Entity(rule.RelatedEntity ?? "")?.Entity.Label.Get() ?? rule.RelatedEntity ?? ""],
        _ => t["Pool.Rule.NotWon", rule.Days],
    };

    private Task<bool> ReturnAsync(TenantInfo tenant, Pool pool, PoolReturnRule rule, Candidate c, string occurrence, DateTime now, CancellationToken ct)
        => OnceAsync(tenant, ReturnKind, c.Id, occurrence, now, async (db, writer, metadata) =>
        {
            var record = await db.Records.FirstOrDefaultAsync(r => r.Id == c.Id, ct);
            if (record?.OwnerId is not { } owner || owner != c.OwnerId) return null; // changed hands since: not this occurrence
            var label = pool.Label.Get();
            var reason = t["Pool.ReturnedReason", label, RuleText(rule, metadata)];
            if (!await PoolService.PutInPoolAsync(db, writer, metadata, pool, record, PoolEventKind.Returned, reason, null, now, ct)) return null;
            return await notifications.StageAsync(db, tenant.Id, new NotificationRequest([owner], NotificationKinds.PoolReturned,
                t["Pool.ReturnedTitle", record.Title, label], reason, record.Id, record.EntityTypeId), ct);
        }, ct);

    private Task<bool> RemindReturnAsync(TenantInfo tenant, Pool pool, Candidate c, DateTime returnsAt, string occurrence, DateTime now, CancellationToken ct)
        => OnceAsync(tenant, NotificationKinds.PoolReturnSoon, c.Id, occurrence, now, async (db, _, _) =>
        {
            var tz = WorkspaceTimeZone.Resolve(tenant.TimeZone);
            var day = WorkspaceTimeZone.ToLocal(returnsAt, tz).ToString("d", CultureInfo.CurrentUICulture);
            return await notifications.StageAsync(db, tenant.Id, new NotificationRequest([c.OwnerId], NotificationKinds.PoolReturnSoon,
                t["Pool.ReturnSoonTitle", c.Title, pool.Label.Get(), day], t["Pool.ReturnSoonBody"], c.Id, c.EntityTypeId), ct);
        }, ct);

    // ------------------------------------------------------------------ tasks

    private async Task<int> TasksAsync(TenantInfo tenant, DateTime now, CancellationToken ct)
    {
        var soon = now + DueSoon;
        var oldest = now - OverdueWindow;
        List<(Guid Id, Guid RecordId, Guid EntityTypeId, string Subject, Guid Assignee, DateTime DueAt)> tasks;
        await using (var db = factory.CreateForTenant(tenant.Id))
        {
            var rows = await db.Activities.AsNoTracking()
                .Where(a => a.Kind == ActivityKind.Task && a.CompletedAt == null && a.AssigneeId != null && a.DueAt != null && a.DueAt <= soon && a.DueAt >= oldest)
                .OrderBy(a => a.DueAt).Take(Batch)
                .Select(a => new { a.Id, a.RecordId, a.EntityTypeId, a.Subject, Assignee = a.AssigneeId!.Value, Due = a.DueAt!.Value }).ToListAsync(ct);
            tasks = rows.Select(r => (r.Id, r.RecordId, r.EntityTypeId, r.Subject, r.Assignee, Utc(r.Due))).ToList();
        }
        var done = 0;
        var tz = WorkspaceTimeZone.Resolve(tenant.TimeZone);
        foreach (var task in tasks)
        {
            var overdue = task.DueAt <= now;
            var kind = overdue ? NotificationKinds.TaskOverdue : NotificationKinds.TaskDue;
            var due = WorkspaceTimeZone.ToLocal(task.DueAt, tz).ToString("g", CultureInfo.CurrentUICulture);
            var title = overdue ? t["Task.OverdueTitle", task.Subject, due] : t["Task.DueTitle", task.Subject, due];
            if (await OnceAsync(tenant, kind, task.Id, task.DueAt.ToString("O", CultureInfo.InvariantCulture), now, (db, _, _) =>
                    notifications.StageAsync(db, tenant.Id, new NotificationRequest([task.Assignee], kind, title, null, task.RecordId, task.EntityTypeId), ct)!, ct))
                done++;
        }
        return done;
    }

    // ------------------------------------------------------------------ deals stuck in a stage

    private async Task<int> StuckDealsAsync(TenantInfo tenant, DateTime now, CancellationToken ct)
    {
        TenantMetadata metadata;
        await using (var db = factory.CreateForTenant(tenant.Id)) metadata = await metadataStore.GetAsync(db, ct);
        var stages = metadata.EntityTypes.SelectMany(e => e.AllPipelines).SelectMany(p => p.Stages)
            .Where(s => s.Kind == StageKind.Open && s.StaleAfterDays is > 0).ToList();
        var done = 0;
        foreach (var stage in stages)
        {
            var cutoff = now.AddDays(-stage.StaleAfterDays!.Value);
            var stageId = stage.Id;
            List<Candidate> stuck;
            await using (var db = factory.CreateForTenant(tenant.Id))
                stuck = await db.Records.AsNoTracking().Where(r => r.StageId == stageId && r.OwnerId != null && r.StageEnteredAt != null && r.StageEnteredAt <= cutoff)
                    .OrderBy(r => r.StageEnteredAt).Take(Batch)
                    .Select(r => new Candidate(r.Id, r.Title, r.OwnerId!.Value, r.EntityTypeId, r.StageEnteredAt!.Value, null, r.StageId)).ToListAsync(ct);
            foreach (var c in stuck)
            {
                var title = t["Deal.StuckTitle", c.Title, stage.Label.Get(), stage.StaleAfterDays!.Value];
                if (await OnceAsync(tenant, NotificationKinds.DealStuck, c.Id, stageId + "@" + Utc(c.CreatedAt).ToString("O", CultureInfo.InvariantCulture)[..19], now, (db, _, _) =>
                        notifications.StageAsync(db, tenant.Id, new NotificationRequest([c.OwnerId], NotificationKinds.DealStuck, title, null, c.Id, c.EntityTypeId), ct)!, ct))
                    done++;
            }
        }
        return done;
    }

    // ------------------------------------------------------------------ exactly once

    /// <summary>
    /// One action in its own transaction, keyed by (kind, subject, occurrence): false when another worker did it
    /// already (the key exists, or its insert/the record's version check fails) or <paramref name="work"/> found
    /// nothing to do (returns null; rolled back).
    /// </summary>
    private async Task<bool> OnceAsync(TenantInfo tenant, string kind, Guid subject, string occurrence, DateTime now,
        Func<CrmDbContext, RecordWriter, TenantMetadata, Task<IReadOnlyList<Notification>?>> work, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(tenant.Id);
        var metadata = await metadataStore.GetAsync(db, ct);
        var writer = new RecordWriter(db, metadata, SystemActor(tenant), t, clock);
        IReadOnlyList<Notification>? notes;
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (await db.SweepOccurrences.AnyAsync(o => o.Kind == kind && o.SubjectId == subject && o.Occurrence == occurrence, ct)) return false;
            db.SweepOccurrences.Add(new SweepOccurrence { Kind = kind, SubjectId = subject, Occurrence = occurrence, At = now });
            // The key goes in first: a racing worker blocks on it (PostgreSQL) or on the write lock (SQLite) and then fails.
            await db.SaveChangesAsync(ct);
            notes = await work(db, writer, metadata);
            if (notes is null) return false;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException e) when (e is DbUpdateConcurrencyException || IsUniqueViolation(e))
        {
            return false;
        }
        foreach (var e in writer.Events) recordEvents.Publish(e);
        notifications.Committed(tenant.Id, notes);
        return true;
    }

    /// <summary>The sweep acts as nobody in particular: its writes carry no person (timeline shows the reason).</summary>
    public static Actor SystemActor(TenantInfo tenant) => new(Guid.Empty, "System", tenant, MemberRole.Owner);

    private static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException lite => lite.SqliteErrorCode == 19,
        _ => false,
    };

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
}
