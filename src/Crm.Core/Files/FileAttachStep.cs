using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Files;

/// <summary>
/// Keeps file rows in step with the record in the write's transaction: files a write adds are taken by the record
/// (<see cref="StoredFile.RecordId"/>), files it drops lose their row (their bytes are removed by
/// <see cref="FileSweep"/>, which removes bytes without a row). A write that fails or rolls back takes nothing:
/// its uploads stay "pending" and the sweep removes them after <see cref="FileStorageOptions.PendingLifetime"/>.
/// </summary>
public sealed class FileAttachStep : IRecordWriteStep
{
    public async Task OnWriteAsync(RecordWrite write, CancellationToken ct)
    {
        foreach (var field in write.Entity.AllFields)
        {
            if (FieldTypeRegistry.Find(field.Type) is not FileFieldBase || (!write.IsNew && !write.Changed(field.Key))) continue;
            var after = FileFieldBase.FileIds(write.After[field.Key]);
            var before = write.IsNew ? [] : FileFieldBase.FileIds(write.Before[field.Key]);
            var added = after.Except(before).ToList();
            var removed = before.Except(after).ToList();
            if (added.Count == 0 && removed.Count == 0) continue;
            var ids = added.Concat(removed).ToList();
            var recordId = write.Record.Id;
            // Tracked, so that EF saves a new record before the rows that point at it.
            foreach (var file in await write.Db.Files.Where(f => ids.Contains(f.Id)).ToListAsync(ct))
            {
                if (added.Contains(file.Id) && file.RecordId is null) file.RecordId = recordId;
                else if (removed.Contains(file.Id) && file.RecordId == recordId) write.Db.Files.Remove(file);
            }
        }
    }
}
