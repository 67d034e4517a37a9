using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Design;

/// <summary>
/// Changes stored records on behalf of a design change (an option deleted, a field's type changed) inside the
/// caller's transaction: in batches, never the whole table in memory. Each record goes through
/// <see cref="RecordWriter.RewriteAsync"/> (a system write: formulas computed again, typed columns projected,
/// transitions, version, timeline entry and unique values, without the input validation of people's edits).
/// </summary>
internal sealed class RecordRewriter(CrmDbContext db, TenantMetadata metadata, Actor actor, IStringLocalizer<CoreStrings> t, DateTime now)
{
    public const int BatchSize = 500;

    /// <summary>
    /// Applies <paramref name="change"/> to every record of <paramref name="query"/>; it edits the values in place and
    /// returns false when the record needs no change. Returns the number of records changed.
    /// </summary>
    public async Task<int> RewriteAsync(IQueryable<Record> query, Func<Record, JsonObject, bool> change, CancellationToken ct)
    {
        // Ids first (16 bytes each), then the records a batch at a time: memory stays flat for 100,000 records.
        var ids = await query.Select(r => r.Id).ToListAsync(ct);
        var writer = new RecordWriter(db, metadata, actor, t, TimeProvider.System);
        var changed = 0;
        foreach (var batch in ids.Chunk(BatchSize))
        {
            var records = await db.Records.Where(r => batch.Contains(r.Id)).ToListAsync(ct);
            foreach (var record in records)
                if (await writer.RewriteAsync(record, change, now, ct)) changed++;
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
        return changed;
    }
}
