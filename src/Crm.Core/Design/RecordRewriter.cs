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
/// caller's transaction: in batches, never the whole table in memory. Each changed record is handled like a normal
/// save, without the input validation that belongs to people's edits: formulas are computed again, the typed
/// columns projected, stage and status transitions appended, the version bumped and a timeline entry written.
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
                if (Apply(writer, record, change)) changed++;
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
        return changed;
    }

    private bool Apply(RecordWriter writer, Record record, Func<Record, JsonObject, bool> change)
    {
        var entity = metadata.Entity(record.EntityTypeId);
        if (entity is null) return false;
        var before = RecordWriter.ParseValues(record.Values);
        var values = (JsonObject)before.DeepClone();
        if (!change(record, values)) return false;

        var pipeline = record.PipelineId is { } pid ? entity.Pipeline(pid) ?? entity.DefaultPipeline : entity.DefaultPipeline;
        RecordWriter.ComputeFormulas(entity, values, pipeline);
        var previousStage = record.StageId;
        var previousStatus = record.StatusOptionId;
        writer.Project(entity, record, values, pipeline);
        record.Values = values.ToJsonString(Json.Options);
        record.UpdatedAt = now;
        record.UpdatedBy = actor.UserId;
        record.Version++;

        if (record.StageId != previousStage && record.StageId is { } toStage)
        {
            db.Transitions.Add(Transition(record, TransitionKind.Stage, previousStage, toStage, record.StageEnteredAt));
            record.StageEnteredAt = now;
        }
        if (record.StatusOptionId != previousStatus && record.StatusOptionId is { } toStatus)
        {
            db.Transitions.Add(Transition(record, TransitionKind.Status, previousStatus, toStatus, record.StatusChangedAt));
            record.StatusChangedAt = now;
        }

        var changes = new List<FieldChange>();
        foreach (var field in entity.AllFields)
        {
            if (JsonNode.DeepEquals(before[field.Key], values[field.Key])) continue;
            changes.Add(new FieldChange(field.Key, before[field.Key]?.DeepClone(), values[field.Key]?.DeepClone()));
        }
        db.RecordChanges.Add(new RecordChange
        {
            RecordId = record.Id,
            Kind = RecordChangeKind.Updated,
            At = now,
            ByUserId = actor.UserId,
            Changes = Json.Serialize(changes),
        });
        return true;
    }

    private RecordTransition Transition(Record record, TransitionKind kind, Guid? from, Guid to, DateTime? enteredFromAt) => new()
    {
        RecordId = record.Id,
        EntityTypeId = record.EntityTypeId,
        Kind = kind,
        PipelineId = kind == TransitionKind.Stage ? record.PipelineId : null,
        FromId = from,
        ToId = to,
        At = now,
        ByUserId = actor.UserId,
        Amount = record.Amount,
        SecondsInFrom = from is null || enteredFromAt is null ? null : (long)Math.Max(0, (now - enteredFromAt.Value).TotalSeconds),
        SecondsSinceCreated = (long)Math.Max(0, (now - record.CreatedAt).TotalSeconds),
    };
}
