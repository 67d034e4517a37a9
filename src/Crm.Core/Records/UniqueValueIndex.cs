using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Records;

/// <summary>
/// Builds the <see cref="RecordUniqueValue"/> rows of one field from the stored records, for the designer when a
/// field becomes unique (refused while records share a value) and drops them when it stops being unique.
/// </summary>
public static class UniqueValueIndex
{
    private const int BatchSize = 1000;

    /// <summary>The rows a field's stored values make, and the most frequent value held by several records (if any).</summary>
    public sealed record Scan(List<RecordUniqueValue> Rows, string? DuplicateValue, int DuplicateCount);

    public static async Task<Scan> ScanAsync(CrmDbContext db, Guid entityTypeId, string fieldKey, CancellationToken ct)
    {
        var byHash = new Dictionary<string, (Guid RecordId, string Display, int Count)>(StringComparer.Ordinal);
        var ids = await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entityTypeId && JsonSql.Text(r.Values, EF.Constant(fieldKey)) != null)
            .Select(r => r.Id).ToListAsync(ct);
        foreach (var batch in ids.Chunk(BatchSize))
        {
            var rows = await db.Records.AsNoTracking().Where(r => batch.Contains(r.Id)).Select(r => new { r.Id, r.Values }).ToListAsync(ct);
            foreach (var row in rows)
            {
                var value = RecordWriter.ParseValues(row.Values)[fieldKey];
                if (RecordUniqueValue.KeyOf(value) is not { } hash) continue;
                byHash[hash] = byHash.TryGetValue(hash, out var seen) ? seen with { Count = seen.Count + 1 } : (row.Id, RecordUniqueValue.Display(value), 1);
            }
        }
        var duplicate = byHash.Values.Where(v => v.Count > 1).OrderByDescending(v => v.Count).ThenBy(v => v.Display, StringComparer.Ordinal).FirstOrDefault();
        var result = byHash.Select(kv => new RecordUniqueValue { EntityTypeId = entityTypeId, FieldKey = fieldKey, ValueHash = kv.Key, RecordId = kv.Value.RecordId }).ToList();
        return new Scan(result, duplicate.Count > 1 ? duplicate.Display : null, duplicate.Count);
    }

    /// <summary>Replaces the field's rows with <paramref name="scan"/>'s (inside the caller's transaction).</summary>
    public static async Task RebuildAsync(CrmDbContext db, Scan scan, Guid entityTypeId, string fieldKey, CancellationToken ct)
    {
        await DropAsync(db, entityTypeId, fieldKey, ct);
        foreach (var batch in scan.Rows.Chunk(BatchSize))
        {
            db.UniqueValues.AddRange(batch);
            await db.SaveChangesAsync(ct);
        }
    }

    public static Task<int> DropAsync(CrmDbContext db, Guid entityTypeId, string fieldKey, CancellationToken ct)
        => db.UniqueValues.Where(u => u.EntityTypeId == entityTypeId && u.FieldKey == fieldKey).ExecuteDeleteAsync(ct);
}
