using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Boards;

/// <summary>
/// Board column totals kept by PostgreSQL itself (cf14b): per (entity type, text slot, slot value, stage) the
/// number of records, of records with an amount and the sum of amounts, in <c>record_totals</c>. Statement
/// triggers on <c>records</c> (migration <c>BoardTotals</c>) append one delta row per group a statement changed,
/// from its transition tables, in the writing transaction — every write path (the record writer, COPY imports'
/// INSERT … SELECT, ExecuteUpdate rewrites, deletes, undo, slot fills) keeps them without knowing. Only the
/// (entity type, slot) pairs listed in <c>record_totals_slots</c> are kept: a board grouped by a slot adds its pair
/// the first time (one GROUP BY over the entity type, under an exclusive advisory lock the triggers take shared, so
/// the fill and concurrent writes count each record once). Delta rows are folded into one row per group when a read
/// finds many (<see cref="CompactAfter"/>). Only a reader who may write records of the type fills or folds: a
/// viewer's board load writes nothing (an unkept slot takes the GROUP BY for them). Used for an unfiltered board of
/// someone who reads every record; filters, a quick search, permission scopes, SQLite and fields without a text slot
/// take the GROUP BY over the records.
/// </summary>
public static class MaintainedTotals
{
    /// <summary>A read that finds more delta rows than this (beyond one per group) folds them first.</summary>
    public const int CompactAfter = 200;

    /// <summary>One (value, stage) group; read by SqlQuery, whose columns follow the model's snake_case naming.</summary>
    public sealed class Row
    {
        public bool Kept { get; init; }
        public string? Value { get; init; }
        public Guid? StageId { get; init; }
        public long Records { get; init; }
        public long Amounts { get; init; }
        public decimal Amount { get; init; }
        public long Deltas { get; init; }
    }

    /// <summary>
    /// The number (1–12) of the text slot that holds <paramref name="field"/>'s whole value — the slot the GROUP BY
    /// path reads (<see cref="IndexSlots.TextOf"/>) — else null (no slot, a number slot, or a text prefix).
    /// </summary>
    public static short? SlotOf(FieldDefinition field)
        => field.IndexSlot is ['t', .. var n] && short.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out var i) && i is >= 1 and <= IndexSlots.TextSlots
           && IndexSlots.FamilyOf(field) == 't' && FieldTypeRegistry.Find(field.Type)?.KindOf(field.Settings) != FieldValueKind.Text
            ? i : null;

    /// <summary>
    /// The kept totals of one text slot, per (value, stage): one statement when kept. When the slot is not kept yet,
    /// a reader who may <paramref name="write"/> records of the type fills them first (and folds many delta rows);
    /// a read-only reader (a viewer) writes nothing: null when the slot is not kept (the caller takes the GROUP BY),
    /// and delta rows are summed as they are, never folded (docs/decisions.md, "read-only boards (l10nfix)").
    /// </summary>
    public static async Task<List<Row>?> ReadAsync(CrmDbContext db, Guid entityTypeId, short slot, bool write, CancellationToken ct)
    {
        var rows = await QueryAsync(db, entityTypeId, slot, ct);
        if (rows.Count == 0 || !rows[0].Kept)
        {
            if (!write) return null;
            await KeepAsync(db, entityTypeId, slot, ct);
            rows = await QueryAsync(db, entityTypeId, slot, ct);
        }
        var groups = rows.Count(r => r.Records != 0 || r.Amounts != 0 || r.Amount != 0);
        if (write && rows.Sum(r => r.Deltas) > groups + CompactAfter) await CompactAsync(db, entityTypeId, slot, ct);
        return rows.Where(r => r.Records != 0).ToList();
    }

    private static Task<List<Row>> QueryAsync(CrmDbContext db, Guid entityTypeId, short slot, CancellationToken ct)
        => db.Database.SqlQueryRaw<Row>("""
            SELECT k.slot IS NOT NULL AS kept, t.value, t.stage_id, coalesce(t.records, 0)::bigint AS records,
                   coalesce(t.amounts, 0)::bigint AS amounts, coalesce(t.amount, 0) AS amount, coalesce(t.deltas, 0)::bigint AS deltas
            FROM (SELECT 1) one
            LEFT JOIN record_totals_slots k ON k.tenant_id = {0} AND k.entity_type_id = {1} AND k.slot = {2}
            LEFT JOIN LATERAL (SELECT value, stage_id, sum(records) AS records, sum(amounts) AS amounts, sum(amount) AS amount, count(*) AS deltas
                               FROM record_totals WHERE tenant_id = {0} AND entity_type_id = {1} AND slot = {2} AND k.slot IS NOT NULL
                               GROUP BY value, stage_id) t ON true
            """, db.TenantId!.Value, entityTypeId, slot).ToListAsync(ct);

    /// <summary>Starts keeping the slot's totals: lists it and writes its totals from the records, exclusive of the triggers of the same entity type.</summary>
    private static async Task KeepAsync(CrmDbContext db, Guid entityTypeId, short slot, CancellationToken ct)
    {
        var tenantId = db.TenantId!.Value;
        var column = "text" + slot.ToString(System.Globalization.CultureInfo.InvariantCulture); // 1–12, checked by SlotOf
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtextextended('record_totals:' || {0} || ':' || {1}, 0))", [tenantId.ToString(), entityTypeId.ToString()], ct);
            var added = await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO record_totals_slots (tenant_id, entity_type_id, slot) VALUES ({0}, {1}, {2}) ON CONFLICT DO NOTHING", [tenantId, entityTypeId, slot], ct);
            if (added == 1)
#pragma warning disable EF1002 // the column is "text" + a number 1–12 (SlotOf), never input
                await db.Database.ExecuteSqlRawAsync($$"""
                    INSERT INTO record_totals (tenant_id, entity_type_id, slot, value, stage_id, records, amounts, amount)
                    SELECT tenant_id, entity_type_id, {2}, {{column}}, stage_id, count(*), count(amount), coalesce(sum(amount), 0)
                    FROM records WHERE tenant_id = {0} AND entity_type_id = {1} GROUP BY tenant_id, entity_type_id, {{column}}, stage_id
                    """, [tenantId, entityTypeId, slot], ct);
#pragma warning restore EF1002
            await transaction.CommitAsync(ct);
        });
    }

    /// <summary>A kept board total that differs from what the records say (a group of one entity type's text slot).</summary>
    public sealed class Difference
    {
        public Guid EntityTypeId { get; init; }
        public short Slot { get; init; }
        public string? Value { get; init; }
        public Guid? StageId { get; init; }
        public long KeptRecords { get; init; }
        public long ActualRecords { get; init; }
        public decimal KeptAmount { get; init; }
        public decimal ActualAmount { get; init; }
    }

    private static readonly string Texts = string.Join(", ", Enumerable.Range(1, IndexSlots.TextSlots).Select(i => "r.text" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>
    /// The consistency check's part for kept totals (PostgreSQL; nothing elsewhere): every kept (entity type, slot)
    /// group compared with a GROUP BY over the workspace's records, in one statement. With <paramref name="repair"/>
    /// the workspace's kept totals are written again from the records, exclusive of the triggers (the same advisory
    /// lock the first keep takes, per kept entity type, in id order), inside the caller's transaction.
    /// </summary>
    public static async Task<List<Difference>> CheckAsync(CrmDbContext db, bool repair, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql()) return [];
        var tenantId = db.TenantId!.Value;
        if (repair)
            await db.Database.ExecuteSqlRawAsync("""
                SELECT pg_advisory_xact_lock(hashtextextended('record_totals:' || {0} || ':' || k.entity_type_id, 0))
                FROM (SELECT DISTINCT entity_type_id FROM record_totals_slots WHERE tenant_id = {1} ORDER BY entity_type_id) k
                """, [tenantId.ToString(), tenantId], ct);
#pragma warning disable EF1002 // the slot columns are text1..text12, never input
        var differences = await db.Database.SqlQueryRaw<Difference>($$"""
            SELECT entity_type_id, slot, value, stage_id, sum(kr)::bigint AS kept_records, sum(ar)::bigint AS actual_records,
                   sum(ka) AS kept_amount, sum(aa) AS actual_amount
            FROM (SELECT t.entity_type_id, t.slot, t.value, t.stage_id, t.records AS kr, t.amounts AS kn, t.amount AS ka,
                         0::bigint AS ar, 0::bigint AS an, 0::numeric AS aa
                  FROM record_totals t WHERE t.tenant_id = {0}
                  UNION ALL
                  SELECT r.entity_type_id, k.slot, (ARRAY[{{Texts}}])[k.slot], r.stage_id, 0, 0, 0,
                         1, (r.amount IS NOT NULL)::int, coalesce(r.amount, 0)
                  FROM records r JOIN record_totals_slots k ON k.tenant_id = r.tenant_id AND k.entity_type_id = r.entity_type_id
                  WHERE r.tenant_id = {0}) x
            GROUP BY entity_type_id, slot, value, stage_id
            HAVING sum(kr) <> sum(ar) OR sum(kn) <> sum(an) OR sum(ka) <> sum(aa)
            ORDER BY entity_type_id, slot, value, stage_id
            """, tenantId).ToListAsync(ct);
        if (repair && differences.Count > 0)
            await db.Database.ExecuteSqlRawAsync($$"""
                DELETE FROM record_totals WHERE tenant_id = {0};
                INSERT INTO record_totals (tenant_id, entity_type_id, slot, value, stage_id, records, amounts, amount)
                SELECT r.tenant_id, r.entity_type_id, k.slot, (ARRAY[{{Texts}}])[k.slot], r.stage_id, count(*), count(r.amount), coalesce(sum(r.amount), 0)
                FROM records r JOIN record_totals_slots k ON k.tenant_id = r.tenant_id AND k.entity_type_id = r.entity_type_id
                WHERE r.tenant_id = {0}
                GROUP BY r.tenant_id, r.entity_type_id, k.slot, (ARRAY[{{Texts}}])[k.slot], r.stage_id;
                """, [tenantId], ct);
#pragma warning restore EF1002
        return differences;
    }

    /// <summary>
    /// Folds the slot's delta rows into one row per group, in one statement: rows a concurrent writer adds meanwhile
    /// are not visible to it, so they stay as they are; two folds at once each fold only the rows they deleted.
    /// </summary>
    private static Task<int> CompactAsync(CrmDbContext db, Guid entityTypeId, short slot, CancellationToken ct)
        => db.Database.ExecuteSqlRawAsync("""
            WITH d AS (DELETE FROM record_totals WHERE tenant_id = {0} AND entity_type_id = {1} AND slot = {2}
                       RETURNING tenant_id, entity_type_id, slot, value, stage_id, records, amounts, amount)
            INSERT INTO record_totals (tenant_id, entity_type_id, slot, value, stage_id, records, amounts, amount)
            SELECT tenant_id, entity_type_id, slot, value, stage_id, sum(records), sum(amounts), sum(amount) FROM d
            GROUP BY tenant_id, entity_type_id, slot, value, stage_id
            HAVING sum(records) <> 0 OR sum(amounts) <> 0 OR sum(amount) <> 0
            """, [db.TenantId!.Value, entityTypeId, slot], ct);
}
