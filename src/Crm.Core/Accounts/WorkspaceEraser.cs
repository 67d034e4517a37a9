using Crm.Core.Data;
using Crm.Core.Files;
using Crm.Core.Jobs;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Core.Accounts;

/// <summary>
/// Erases a deleted workspace (the <see cref="WorkspaceDeletion.JobKind"/> queued job): every table with a
/// <c>tenant_id</c> column, found from the EF model (tenant-owned tables, and the global ones that name a workspace:
/// memberships, API keys, queued jobs) and on PostgreSQL also from the catalog (tables outside the model such as
/// <c>record_totals</c>), children before parents, in chunks of <see cref="ChunkSize"/> rows, each chunk its own
/// transaction; then the workspace's files folder; then the <c>tenants</c> row, and the erasure is marked finished.
/// <para>Chunks, not one transaction: the workspace is unreachable from the moment it was deleted, so nobody sees a
/// half-erased state; a million-record workspace in one transaction would hold its locks and WAL (and on SQLite the
/// only write lock) for minutes. Every step deletes "what is left of this workspace", so a crash or a lease that
/// ran out resumes where it stopped.</para>
/// <para>Once: the <see cref="WorkspaceErasure"/> row is claimed with a lease in one conditional UPDATE (as the job
/// runner claims work); a run that finds it finished or held by another live run does nothing. A run stops after
/// half the job lease and queues its continuation, so it never outlives the queue row's own lease.</para>
/// </summary>
public sealed class WorkspaceEraser(
    ICrmDbContextFactory factory,
    IFileStore files,
    ITenantStore tenants,
    JobRunnerOptions options,
    TimeProvider clock,
    ILogger<WorkspaceEraser>? logger = null)
{
    public const int ChunkSize = 5000;
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly string _owner = $"erase/{Guid.NewGuid():N}";

    /// <summary>What one run did.</summary>
    public enum Outcome { Finished, Continued, AlreadyFinished, HeldElsewhere, NotRequested }

    public async Task RunAsync(QueuedJob job, CancellationToken ct)
    {
        if (job.TenantId is not { } tenantId) throw new InvalidOperationException("A workspace erasure job names no workspace.");
        await EraseAsync(tenantId, job.Id, ct);
    }

    /// <summary>Erases what is left of <paramref name="tenantId"/>; <paramref name="ownJobId"/> is the queue row running it (kept, the runner completes it).</summary>
    public async Task<Outcome> EraseAsync(Guid tenantId, Guid? ownJobId, CancellationToken ct = default)
    {
        var started = clock.GetUtcNow().UtcDateTime;
        var budget = options.Lease / 2;
        if (!await ClaimAsync(tenantId, started, ct))
        {
            await using var probe = factory.CreateGlobal();
            var erasure = await probe.WorkspaceErasures.AsNoTracking().FirstOrDefaultAsync(e => e.TenantId == tenantId, ct);
            return erasure is null ? Outcome.NotRequested : erasure.FinishedAt is not null ? Outcome.AlreadyFinished : Outcome.HeldElsewhere;
        }

        try
        {
            foreach (var table in Tables(tenantId))
            {
                while (true)
                {
                    var n = await DeleteChunkAsync(tenantId, table, ownJobId, ct);
                    if (n > 0) await ProgressAsync(tenantId, n, ct);
                    if (n < ChunkSize) break;
                    if (clock.GetUtcNow().UtcDateTime - started > budget)
                        return await ContinueLaterAsync(tenantId, ct);
                }
            }

            // The bytes go after the rows that named them are committed; a crash before this line repeats it.
            await files.DeleteFolderAsync(FileKeys.Folder(tenantId), ct);

            string? slug;
            await using (var db = factory.CreateGlobal())
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                slug = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.Identifier).FirstOrDefaultAsync(ct);
                // Memberships and API keys (already removed at the request) and anything left would go by cascade.
                await db.Tenants.Where(t => t.Id == tenantId).ExecuteDeleteAsync(ct);
                var finished = clock.GetUtcNow().UtcDateTime;
                await db.WorkspaceErasures.Where(e => e.TenantId == tenantId && e.LeaseOwner == _owner).ExecuteUpdateAsync(u => u
                    .SetProperty(e => e.FinishedAt, finished)
                    .SetProperty(e => e.LeaseOwner, (string?)null)
                    .SetProperty(e => e.LeaseUntil, (DateTime?)null), ct);
                await tx.CommitAsync(ct);
            }
            if (slug is not null) tenants.Invalidate(new TenantInfo { Id = tenantId, Identifier = slug });
            _logger.LogWarning("Workspace {TenantId} erased", tenantId);
            return Outcome.Finished;
        }
        catch
        {
            await ReleaseAsync(tenantId);
            throw;
        }
    }

    private async Task<bool> ClaimAsync(Guid tenantId, DateTime now, CancellationToken ct)
    {
        await using var db = factory.CreateGlobal();
        var until = now + options.Lease;
        return await db.WorkspaceErasures
            .Where(e => e.TenantId == tenantId && e.FinishedAt == null && (e.LeaseUntil == null || e.LeaseUntil <= now))
            .ExecuteUpdateAsync(u => u
                .SetProperty(e => e.LeaseOwner, _owner)
                .SetProperty(e => e.LeaseUntil, until)
                .SetProperty(e => e.StartedAt, e => e.StartedAt ?? now), ct) == 1;
    }

    private async Task ProgressAsync(Guid tenantId, int deleted, CancellationToken ct)
    {
        await using var db = factory.CreateGlobal();
        var until = clock.GetUtcNow().UtcDateTime + options.Lease;
        await db.WorkspaceErasures.Where(e => e.TenantId == tenantId && e.LeaseOwner == _owner).ExecuteUpdateAsync(u => u
            .SetProperty(e => e.RowsDeleted, e => e.RowsDeleted + deleted)
            .SetProperty(e => e.LeaseUntil, until), ct);
    }

    private async Task ReleaseAsync(Guid tenantId)
    {
        await using var db = factory.CreateGlobal();
        await db.WorkspaceErasures.Where(e => e.TenantId == tenantId && e.LeaseOwner == _owner).ExecuteUpdateAsync(u => u
            .SetProperty(e => e.LeaseOwner, (string?)null)
            .SetProperty(e => e.LeaseUntil, (DateTime?)null), CancellationToken.None);
    }

    /// <summary>Lets go of the erasure and queues the next run (in one transaction, so it cannot be lost).</summary>
    private async Task<Outcome> ContinueLaterAsync(Guid tenantId, CancellationToken ct)
    {
        await using var db = factory.CreateGlobal();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        db.QueuedJobs.Add(new QueuedJob { Kind = WorkspaceDeletion.JobKind, TenantId = tenantId, Payload = tenantId.ToString(), CreatedAt = now, RunAfter = now });
        await db.SaveChangesAsync(ct);
        await db.WorkspaceErasures.Where(e => e.TenantId == tenantId && e.LeaseOwner == _owner).ExecuteUpdateAsync(u => u
            .SetProperty(e => e.LeaseOwner, (string?)null)
            .SetProperty(e => e.LeaseUntil, (DateTime?)null), ct);
        await tx.CommitAsync(ct);
        return Outcome.Continued;
    }

    /// <summary>A table holding rows of a workspace: its name and the column naming the workspace.</summary>
    public sealed record ErasedTable(string Name, string TenantColumn, bool IsQueue = false);

    /// <summary>
    /// Every table with a workspace column, in the order they can be emptied: PostgreSQL-only tables outside the model
    /// first (the board totals: without their slots, deleting records adds no deltas), then the model's tables with
    /// every table before the tables it references. The tenants and workspace_erasures tables are not in it.
    /// </summary>
    public IReadOnlyList<ErasedTable> Tables(Guid tenantId)
    {
        using var db = factory.CreateForTenant(tenantId);
        var model = ModelTables(db.Model);
        var result = new List<ErasedTable>();
        if (factory.Provider == DatabaseProvider.Postgres)
        {
            var known = model.Select(t => t.Table).Append("tenants").Append("workspace_erasures").ToHashSet(StringComparer.Ordinal);
            var extra = db.Database.SqlQueryRaw<string>("""
                SELECT c.table_name AS "Value" FROM information_schema.columns c
                JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' AND c.table_schema = current_schema()
                ORDER BY c.table_name DESC
                """).ToList();
            // DESC: record_totals_slots before record_totals, so no delta is written while the totals are emptied.
            result.AddRange(extra.Where(t => !known.Contains(t)).Select(t => new ErasedTable(t, "tenant_id")));
        }
        result.AddRange(model.Select(t => new ErasedTable(t.Table, t.Column, t.Table == "queued_jobs")));
        return result;
    }

    /// <summary>The model's tables with a TenantId column (not tenants, not workspace_erasures), referencing tables first.</summary>
    public static IReadOnlyList<(string Table, string Column)> ModelTables(IModel model)
    {
        var byTable = new Dictionary<string, (IEntityType Type, string Column)>(StringComparer.Ordinal);
        foreach (var type in model.GetEntityTypes().Where(t => !t.IsOwned() && t.GetTableName() is not null && t.ClrType != typeof(TenantInfo) && t.ClrType != typeof(WorkspaceErasure)))
        {
            if (type.FindProperty(nameof(ITenantOwned.TenantId)) is not { } property) continue;
            var table = type.GetTableName()!;
            var column = property.GetColumnName(StoreObjectIdentifier.Table(table, type.GetSchema()))!;
            byTable.TryAdd(table, (type, column));
        }

        // Table → the tables whose rows reference it (they must be emptied first).
        var referencedBy = byTable.Keys.ToDictionary(t => t, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var type in model.GetEntityTypes())
        {
            foreach (var fk in type.GetForeignKeys())
            {
                var from = (fk.DeclaringEntityType.IsOwned() ? fk.DeclaringEntityType.FindOwnership()?.PrincipalEntityType : fk.DeclaringEntityType)?.GetTableName();
                var to = fk.PrincipalEntityType.GetTableName();
                if (from is null || to is null || from == to || !referencedBy.ContainsKey(to) || !byTable.ContainsKey(from)) continue;
                referencedBy[to].Add(from);
            }
        }

        var order = new List<(string, string)>();
        var left = new SortedSet<string>(byTable.Keys, StringComparer.Ordinal);
        while (left.Count > 0)
        {
            // A table nobody left references; in a cycle (none today), the one fewest left tables reference.
            var next = left.FirstOrDefault(t => !referencedBy[t].Any(left.Contains))
                       ?? left.MinBy(t => referencedBy[t].Count(left.Contains))!;
            left.Remove(next);
            order.Add((next, byTable[next].Column));
        }
        return order;
    }

    private async Task<int> DeleteChunkAsync(Guid tenantId, ErasedTable table, Guid? ownJobId, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(tenantId);
        var t = Quote(table.Name);
        var c = Quote(table.TenantColumn);
        // The job running this erasure keeps its queue row (the runner marks it completed); the rest of the queue goes.
        var keep = table.IsQueue && ownJobId is not null ? " AND id <> {1}" : "";
        object[] args = table.IsQueue && ownJobId is not null ? [tenantId, ownJobId.Value] : [tenantId];
        var sql = factory.Provider == DatabaseProvider.Postgres
            ? $"DELETE FROM {t} WHERE ctid = ANY (ARRAY(SELECT ctid FROM {t} WHERE {c} = {{0}}{keep} LIMIT {ChunkSize}))"
            : $"DELETE FROM {t} WHERE rowid IN (SELECT rowid FROM {t} WHERE {c} = {{0}}{keep} LIMIT {ChunkSize})";
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(5));
        return await db.Database.ExecuteSqlRawAsync(sql, args, ct);
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";
}
