using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Records;

/// <summary>How a write came about, and so which checks it gets.</summary>
public enum RecordWriteMode
{
    /// <summary>A person's or a client's input (form, API, bulk edit, template sample data): validated in full.</summary>
    User,
    /// <summary>
    /// A rewrite the system makes on everyone's behalf (designer type change, option merge, lookup cleared by a
    /// delete): no validation of the fields it did not touch, a version and a timeline entry attributed to the actor.
    /// </summary>
    System,
}

/// <summary>
/// One record write as the steps see it, after computed values, typed columns, transitions and the timeline entry
/// are staged and before they are saved (inside the write's transaction).
/// </summary>
public sealed record RecordWrite(
    CrmDbContext Db,
    TenantMetadata Metadata,
    Actor Actor,
    EntityMeta Entity,
    Record Record,
    JsonObject Before,
    JsonObject After,
    IReadOnlyList<FieldChange> Changes,
    bool IsNew,
    RecordWriteMode Mode,
    DateTime At)
{
    /// <summary>Whether <paramref name="fieldKey"/>'s value differs from before (always for a new record with a value).</summary>
    public bool Changed(string fieldKey) => !JsonNode.DeepEquals(Before[fieldKey], After[fieldKey]);

    /// <summary>
    /// The workspace's enabled webhooks as the write's transaction read them (null when it did not): the rules this
    /// write triggers stage their own writes' events against the same list instead of reading it again.
    /// </summary>
    public IReadOnlyList<Webhooks.Webhook>? EnabledWebhooks { get; init; }

    /// <summary>The stage transition this write staged (null when the stage did not move).</summary>
    public RecordTransition? StageTransition { get; init; }
}

/// <summary>
/// A step of <see cref="RecordWriter"/> run for every record it writes, in order, inside the transaction (copies
/// that must never drift from the record: unique values today, typed index copies next). Work that may fail
/// without losing the save (automation rules) belongs after the commit, on <see cref="RecordEvents"/>.
/// </summary>
public interface IRecordWriteStep
{
    Task OnWriteAsync(RecordWrite write, CancellationToken ct);
}

/// <summary>
/// Keeps <see cref="RecordUniqueValue"/> rows in step with the record's unique fields: the unique index turns two
/// racing writes of one value into one success and one unique violation, which <see cref="RecordService"/> reports
/// as the field's "already exists" error. A system rewrite never fails on it: a value another record already holds
/// is left without a row (as for records saved before the index existed), and the designer reports such duplicates
/// when uniqueness is switched on.
/// </summary>
public sealed class UniqueValuesStep : IRecordWriteStep
{
    /// <summary>The unique values staged by this writer (field key, display text, hash), to name the field on a violation.</summary>
    public List<(Guid EntityTypeId, string FieldKey, string Display, string Hash)> Staged { get; } = [];

    public async Task OnWriteAsync(RecordWrite write, CancellationToken ct)
    {
        foreach (var field in write.Entity.Fields.Where(f => f.Settings.Unique))
        {
            if (!write.IsNew && !write.Changed(field.Key)) continue;
            var key = field.Key;
            var entityId = write.Entity.Entity.Id;
            var recordId = write.Record.Id;
            if (!write.IsNew)
            {
                // A record not saved yet (rewritten by a rule before its insert, AutomationEngine.RunBeforeSaveAsync)
                // has its rows only staged: they go, not a delete in the database.
                if (write.Db.Entry(write.Record).State == EntityState.Added)
                {
                    foreach (var staged in write.Db.UniqueValues.Local.Where(u => u.RecordId == recordId && u.EntityTypeId == entityId && u.FieldKey == key).ToList())
                        write.Db.Entry(staged).State = EntityState.Detached;
                }
                else await write.Db.UniqueValues.Where(u => u.RecordId == recordId && u.EntityTypeId == entityId && u.FieldKey == key).ExecuteDeleteAsync(ct);
            }
            if (RecordUniqueValue.KeyOf(write.After[key]) is not { } hash) continue;
            if (write.Mode == RecordWriteMode.System)
            {
                var taken = Staged.Any(s => s.EntityTypeId == entityId && s.FieldKey == key && s.Hash == hash)
                    || await write.Db.UniqueValues.AnyAsync(u => u.EntityTypeId == entityId && u.FieldKey == key && u.ValueHash == hash, ct);
                if (taken) continue;
            }
            write.Db.UniqueValues.Add(new RecordUniqueValue { EntityTypeId = entityId, FieldKey = key, ValueHash = hash, RecordId = recordId });
            Staged.Add((entityId, key, RecordUniqueValue.Display(write.After[key]), hash));
        }
    }

    /// <summary>Whether <paramref name="e"/> is a violation of the unique value index (on either provider).</summary>
    public static bool IsViolation(DbUpdateException e) => e.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation && pg.TableName == "record_unique_values",
        Microsoft.Data.Sqlite.SqliteException lite => lite.SqliteErrorCode == 19 && lite.Message.Contains("record_unique_values", StringComparison.Ordinal),
        _ => false,
    };
}
