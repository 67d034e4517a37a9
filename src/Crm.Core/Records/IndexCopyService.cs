using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Records;

/// <summary>One record whose typed copy differs from its JSON value.</summary>
public sealed record IndexCopyDifference(Guid RecordId, string EntityKey, string FieldKey, string Slot, string Expected, string Actual);

/// <summary>
/// The outcome of a check or a rebuild: records read and the differences found (a rebuild repairs them), copies and,
/// on PostgreSQL, the board totals it keeps (<see cref="Boards.MaintainedTotals"/>).
/// </summary>
public sealed record IndexCopyReport(int RecordsRead, IReadOnlyList<IndexCopyDifference> Differences, bool Repaired)
{
    public IReadOnlyList<Boards.MaintainedTotals.Difference> TotalsDifferences { get; init; } = [];
}

/// <summary>
/// Compares a workspace's typed index copies (<see cref="IndexSlots"/>) with the JSON values they copy and, on a
/// rebuild, rewrites the differing ones (copies only: no version, no timeline; the JSON is untouched). Reachable by
/// administrators through <c>POST /t/{slug}/api/admin/index-copies/check|rebuild</c>.
/// </summary>
public sealed class IndexCopyService(CrmDbContext db, TenantMetadata metadata)
{
    private const int BatchSize = 1000;
    /// <summary>At most this many differences are listed (all are repaired).</summary>
    public const int MaxListed = 1000;

    public Task<IndexCopyReport> CheckAsync(CancellationToken ct = default) => RunAsync(repair: false, ct);

    public Task<IndexCopyReport> RebuildAsync(CancellationToken ct = default) => RunAsync(repair: true, ct);

    /// <summary>Check or rebuild the actor's workspace, for an administrator (rights re-read from the database).</summary>
    public static async Task<IndexCopyReport> RunForAdminAsync(ICrmDbContextFactory factory, MetadataStore store, Actor actor, bool rebuild, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var service = new IndexCopyService(db, await store.GetAsync(db, ct));
        return rebuild ? await service.RebuildAsync(ct) : await service.CheckAsync(ct);
    }

    private async Task<IndexCopyReport> RunAsync(bool repair, CancellationToken ct)
    {
        var differences = new List<IndexCopyDifference>();
        var read = 0;
        await using var tx = repair && db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        // A rebuild first applies the slot rule (fields waiting for a slot take the free ones), then writes every
        // held slot's copies, filling ones included, and clears their marks: after it, queries read them.
        if (repair) await IndexSlots.AssignMissingAsync(db, ct);
        // The slots as the database has them now. A check compares the slots queries read (filled ones); a slot
        // still filling is the fill job's, and a slot no field holds is never read (a former field's copies may stay).
        var fields = (await db.Fields.AsNoTracking().Where(f => f.IndexSlot != null).ToListAsync(ct))
            .Where(f => repair || !IndexSlots.IsFilling(f)).ToList();
        foreach (var entity in metadata.EntityTypes)
        {
            var mapped = fields.Where(f => f.EntityTypeId == entity.Entity.Id).GroupBy(f => IndexSlots.Held(f)!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var entityId = entity.Entity.Id;
            Guid? after = null;
            while (true)
            {
                var query = db.Records.Where(r => r.EntityTypeId == entityId);
                if (after is { } last) query = query.Where(r => r.Id.CompareTo(last) > 0);
                var batch = await (repair ? query : query.AsNoTracking()).OrderBy(r => r.Id).Take(BatchSize).ToListAsync(ct);
                if (batch.Count == 0) break;
                after = batch[^1].Id;
                read += batch.Count;
                foreach (var record in batch)
                {
                    var values = RecordWriter.ParseValues(record.Values);
                    foreach (var (slot, field) in mapped)
                    {
                        var expected = IndexSlots.CopyOf(values[field.Key], slot[0]);
                        var actual = IndexSlots.Get(record, slot);
                        if (Equals(expected, actual)) continue;
                        if (differences.Count < MaxListed)
                            differences.Add(new IndexCopyDifference(record.Id, entity.Entity.Key, field.Key, slot, IndexSlots.Show(expected), IndexSlots.Show(actual)));
                        if (repair) IndexSlots.Set(record, slot, expected);
                    }
                }
                if (repair) await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
            }
        }
        if (repair)
        {
            var filled = 0;
            foreach (var field in fields.Where(IndexSlots.IsFilling))
            {
                var id = field.Id;
                var mark = field.IndexSlot;
                var ready = IndexSlots.Held(field);
                filled += await db.Fields.Where(f => f.Id == id && f.IndexSlot == mark).ExecuteUpdateAsync(u => u.SetProperty(f => f.IndexSlot, ready), ct);
            }
            if (filled > 0) await MetadataStore.BumpVersionAsync(db, ct);
        }
        // The kept board totals last: a rebuild's copy repairs above have already moved them through the triggers.
        var totals = await Boards.MaintainedTotals.CheckAsync(db, repair, ct);
        if (tx is not null) await tx.CommitAsync(ct);
        return new IndexCopyReport(read, differences, repair) { TotalsDifferences = totals };
    }
}
