using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Lists;

/// <summary>Why one record of a bulk change was refused: its title and the field-named messages.</summary>
public sealed record BulkRecordError(Guid RecordId, string Title, IReadOnlyList<string> Messages);

/// <summary>
/// The outcome of a bulk change: how many records were changed, or why nothing was — a message for the whole
/// request (<see cref="Error"/>) or the records that were refused (<see cref="RecordErrors"/>).
/// </summary>
public sealed record BulkEditResult(int Updated, string? Error, IReadOnlyList<BulkRecordError> RecordErrors)
{
    public bool Succeeded => Error is null && RecordErrors.Count == 0;
    public static BulkEditResult Refused(string error) => new(0, error, []);
}

/// <summary>
/// Bulk edit and bulk delete for the list's selected records. A bulk edit sends every record through
/// <see cref="RecordWriter"/>: all are validated first (outside the transaction), then written in one transaction
/// (transitions, timeline): all records change or none does, and the refused records are listed with their messages.
/// </summary>
public sealed class BulkRecordService(ICrmDbContextFactory factory, MetadataStore metadataStore, RecordService records, RecordEvents events, IStringLocalizer<CoreStrings> t, TimeProvider clock)
{
    /// <summary>The most records one bulk change takes (a few pages of a list).</summary>
    public const int MaxRecords = 500;

    /// <summary>The fields a bulk edit can set: active, not computed, not unique (one value for many records would repeat it).</summary>
    public static IEnumerable<FieldDefinition> EditableFields(EntityMeta entity)
        => entity.Fields.Where(f => !FieldTypeRegistry.Get(f.Type).IsComputed && !f.Settings.Unique);

    /// <summary>The fields a bulk edit can set for one actor: as above, and only those the actor may change.</summary>
    public static IEnumerable<FieldDefinition> EditableFields(Permissions.EntityFieldView fields)
        => EditableFields(fields.Entity).Where(f => fields.CanWrite(f.Key));

    /// <summary>Sets <paramref name="fieldKey"/> to <paramref name="value"/> (null clears it) on every record in <paramref name="ids"/>.</summary>
    public async Task<BulkEditResult> EditAsync(Actor actor, string entityKey, IReadOnlyCollection<Guid> ids, string fieldKey, JsonNode? value, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        if (ids.Count == 0) return new BulkEditResult(0, null, []);
        if (ids.Count > MaxRecords) return BulkEditResult.Refused(t["Bulk.TooMany", MaxRecords]);

        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var entity = metadata.Entity(entityKey);
        if (entity is null || entity.Entity.IsArchived) return BulkEditResult.Refused(t["Record.UnknownEntity", entityKey]);
        var field = entity.Field(fieldKey);
        if (field is null || field.IsArchived || FieldTypeRegistry.Get(field.Type).IsComputed) return BulkEditResult.Refused(t["Record.UnknownField", fieldKey]);
        if (field.Settings.Unique && ids.Count > 1) return BulkEditResult.Refused(t["Bulk.Unique", field.Label.Get()]);

        // A field the actor may not change is refused for the whole request (the writer would refuse every record).
        var writer = new RecordWriter(db, metadata, actor, t, clock);
        var fields = await writer.FieldsAsync(entity, ct);
        if (!fields.CanWrite(field.Key))
            return BulkEditResult.Refused(fields.CanSee(field.Key) ? t["Record.FieldReadOnly", field.Label.Get()] : t["Record.FieldHidden", field.Label.Get()]);

        // Only records of this entity type (ids of other types or other workspaces match nothing).
        var wanted = ids.Distinct().ToList();
        var targets = await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id && wanted.Contains(r.Id))
            .Select(r => new { r.Id, r.Title }).ToListAsync(ct);

        // Validate every record first (reads only), then write them all in one short transaction.
        var refused = new List<BulkRecordError>();
        var drafts = new List<RecordDraft>();
        foreach (var target in targets)
        {
            RecordDraft draft;
            try
            {
                draft = await writer.PrepareUpdateAsync(target.Id, new RecordInput(new JsonObject { [field.Key] = value?.DeepClone() }), ct);
            }
            catch (RecordConflictException)
            {
                refused.Add(new BulkRecordError(target.Id, target.Title, [t["Record.NotFound"]]));
                continue;
            }
            if (draft.Succeeded) drafts.Add(draft);
            else refused.Add(new BulkRecordError(target.Id, target.Title, draft.Errors.ByField.SelectMany(kv => kv.Value).Distinct().ToList()));
        }
        if (refused.Count > 0) return new BulkEditResult(0, null, refused);

        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            foreach (var draft in drafts) await writer.ApplyAsync(draft, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (Exception e) when (e is DbUpdateConcurrencyException or RecordConflictException or RecordStaleException)
        {
            return BulkEditResult.Refused(t["Bulk.Conflict"]);
        }
        catch (DbUpdateException e) when (UniqueValuesStep.IsViolation(e))
        {
            // One record (a unique field is only bulk-edited one record at a time) and another took the value meanwhile.
            var target = targets[0];
            return new BulkEditResult(0, null, [new BulkRecordError(target.Id, target.Title, [writer.UniqueError(field, value)])]);
        }
        foreach (var e in writer.Events) events.Publish(e);
        return new BulkEditResult(targets.Count, null, []);
    }

    /// <summary>Deletes the records of <paramref name="entityKey"/> among <paramref name="ids"/>, in one transaction; returns how many.</summary>
    public async Task<int> DeleteAsync(Actor actor, string entityKey, IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        if (ids.Count == 0) return 0;
        if (ids.Count > MaxRecords) throw new ArgumentException($"At most {MaxRecords} records at once.", nameof(ids));
        List<Guid> ofType;
        await using (var db = factory.CreateForTenant(actor.TenantId))
        {
            var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
            if (entity is null) return 0;
            var wanted = ids.Distinct().ToList();
            ofType = await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id && wanted.Contains(r.Id)).Select(r => r.Id).ToListAsync(ct);
        }
        return await records.DeleteAsync(actor, ofType, ct);
    }
}
