using System.Text.Json;
using Crm.Core.Data;
using Crm.Core.Jobs;
using Crm.Core.Metadata;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Records;

/// <summary>
/// Fills the copies of slots just taken on an entity type that has records (<see cref="IndexSlots.AssignAsync"/>
/// marks them filling, "t5~3fa9", and queues this job in the same transaction). Runs on the job runner, so on one
/// instance at a time (the queue's lease, <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL): each run writes up to
/// <see cref="BatchesPerRun"/> batches of <see cref="BatchSize"/> records in id order, each batch its own short
/// transaction, then queues the rest (the next id) in the transaction of its last batch; the run that reaches the
/// end clears the marks it was given — only if they are still the same marks (a field re-assigned meanwhile has a
/// new mark and its own job) — and moves the metadata version, so queries start reading the slots.
/// A batch is written with the records' versions as the condition (the records' concurrency token): a record a
/// user saved meanwhile (its writer wrote the copy itself) makes the batch start again from its first record.
/// </summary>
public sealed class IndexSlotFill(ICrmDbContextFactory factory)
{
    public const string JobKind = "index-slots.fill";
    public const int BatchSize = 1000;
    public const int BatchesPerRun = 20;
    /// <summary>
    /// The first run waits this long after the slot is taken: a write that read the metadata just before the
    /// assignment (and so does not know the slot) finishes first instead of overwriting a filled copy with nothing.
    /// </summary>
    public static readonly TimeSpan StartDelay = TimeSpan.FromSeconds(5);

    private sealed record Payload(Guid Type, Guid? After, Dictionary<Guid, string> Fields);

    /// <summary>The queue row for filling <paramref name="fields"/> (field id, its marked slot) of an entity type from after <paramref name="after"/>.</summary>
    public static QueuedJob Job(Guid tenantId, Guid entityTypeId, IEnumerable<(Guid Field, string Slot)> fields, Guid? after, DateTime runAfter)
    {
        var now = DateTime.UtcNow;
        return new QueuedJob
        {
            Kind = JobKind, TenantId = tenantId, CreatedAt = now, RunAfter = runAfter,
            Payload = JsonSerializer.Serialize(new Payload(entityTypeId, after, fields.ToDictionary(f => f.Field, f => f.Slot))),
        };
    }

    /// <summary>The handler of <see cref="JobKind"/> queue rows.</summary>
    public async Task RunAsync(QueuedJob job, CancellationToken ct)
    {
        if (job.TenantId is not { } tenantId || JsonSerializer.Deserialize<Payload>(job.Payload) is not { } payload) return;
        await RunOnceAsync(tenantId, payload, ct);
    }

    /// <summary>
    /// Fills every slot of the workspace still marked filling, to the end, in this call (tests, the rebuild, tools:
    /// the same batches as the job, without the queue). Returns the records read.
    /// </summary>
    public async Task<int> FillAllAsync(Guid tenantId, CancellationToken ct = default)
    {
        List<FieldDefinition> filling;
        await using (var db = factory.CreateForTenant(tenantId))
            filling = (await db.Fields.AsNoTracking().Where(f => f.IndexSlot != null).ToListAsync(ct)).Where(IndexSlots.IsFilling).ToList();
        var read = 0;
        foreach (var type in filling.GroupBy(f => f.EntityTypeId))
        {
            var payload = new Payload(type.Key, null, type.ToDictionary(f => f.Id, f => f.IndexSlot!));
            while (true)
            {
                var (records, next) = await FillAsync(tenantId, payload, int.MaxValue, ct);
                read += records;
                if (next is null) break;
                payload = payload with { After = next };
            }
        }
        return read;
    }

    private async Task RunOnceAsync(Guid tenantId, Payload payload, CancellationToken ct)
        => await FillAsync(tenantId, payload, BatchesPerRun, ct);

    /// <summary>Up to <paramref name="batches"/> batches from <see cref="Payload.After"/>; returns the records read and where the next run starts (null: done).</summary>
    private async Task<(int Read, Guid? Next)> FillAsync(Guid tenantId, Payload payload, int batches, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(tenantId);
        // The fields of the payload still holding the very slot (and mark) it names.
        var ids = payload.Fields.Keys.ToList();
        var current = (await db.Fields.AsNoTracking().Where(f => ids.Contains(f.Id)).ToListAsync(ct))
            .Where(f => f.IndexSlot is { } s && payload.Fields.TryGetValue(f.Id, out var mark) && s == mark).ToList();
        if (current.Count == 0) return (0, null);
        var typeId = payload.Type;
        var after = payload.After;
        var read = 0;
        for (var n = 0; n < batches; n++)
        {
            var (count, last) = await BatchAsync(db, typeId, after, current, ct);
            read += count;
            if (count < BatchSize)
            {
                await FinishAsync(db, current, ct);
                return (read, null);
            }
            after = last;
        }
        // More to do: the next run continues after the last record written (queued with nothing else to save).
        db.QueuedJobs.Add(Job(tenantId, typeId, payload.Fields.Select(f => (f.Key, f.Value)), after, DateTime.UtcNow));
        await db.SaveChangesAsync(ct);
        return (read, after);
    }

    /// <summary>One batch of records after <paramref name="after"/>: their copies of the filling fields set from their JSON; retried when a user wrote one meanwhile.</summary>
    private static async Task<(int Count, Guid? Last)> BatchAsync(CrmDbContext db, Guid typeId, Guid? after, List<FieldDefinition> fields, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var query = db.Records.Where(r => r.EntityTypeId == typeId);
            if (after is { } a) query = query.Where(r => r.Id.CompareTo(a) > 0);
            var batch = await query.OrderBy(r => r.Id).Take(BatchSize).ToListAsync(ct);
            foreach (var record in batch)
            {
                var values = RecordWriter.ParseValues(record.Values);
                foreach (var field in fields)
                {
                    var slot = IndexSlots.Held(field)!;
                    var expected = IndexSlots.CopyOf(values[field.Key], slot[0]);
                    if (!Equals(expected, IndexSlots.Get(record, slot))) IndexSlots.Set(record, slot, expected);
                }
            }
            try
            {
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
                return (batch.Count, batch.Count == 0 ? after : batch[^1].Id);
            }
            catch (DbUpdateConcurrencyException) when (attempt < 10)
            {
                // A user saved one of these records meanwhile (its writer wrote its copies): read the batch again.
            }
        }
    }

    /// <summary>Clears the marks that are still the ones filled, and moves the metadata version (queries read the slots from the next request on).</summary>
    private static async Task FinishAsync(CrmDbContext db, List<FieldDefinition> fields, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var changed = 0;
        foreach (var field in fields)
        {
            var id = field.Id;
            var mark = field.IndexSlot!;
            var ready = IndexSlots.Held(field);
            changed += await db.Fields.Where(f => f.Id == id && f.IndexSlot == mark).ExecuteUpdateAsync(u => u.SetProperty(f => f.IndexSlot, ready), ct);
        }
        if (changed > 0) await MetadataStore.BumpVersionAsync(db, ct);
        await tx.CommitAsync(ct);
    }
}
