using System.Text.Json.Nodes;
using Crm.Core.Audit;
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
/// <remarks><see cref="Skipped"/>: selected records the actor may not edit (outside their edit scope), left untouched.</remarks>
public sealed record BulkEditResult(int Updated, string? Error, IReadOnlyList<BulkRecordError> RecordErrors, int Skipped = 0)
{
    public bool Succeeded => Error is null && RecordErrors.Count == 0;
    public static BulkEditResult Refused(string error) => new(0, error, []);
}

/// <summary>A bulk delete: how many records were deleted, and how many selected ones were skipped (outside the delete scope).</summary>
public sealed record BulkDeleteResult(int Deleted, int Skipped);

/// <summary>
/// Bulk edit and bulk delete for the list's selected records. A bulk edit sends every record through
/// <see cref="RecordWriter"/>: all are validated first (outside the transaction), then written in one transaction
/// (transitions, timeline): all records change or none does, and the refused records are listed with their messages.
/// </summary>
public sealed class BulkRecordService(ICrmDbContextFactory factory, MetadataStore metadataStore, RecordService records, RecordEvents events, IStringLocalizer<CoreStrings> t, TimeProvider clock, Permissions.IAccessResolver access, AuditTrail audit, Automation.AutomationEngine automation)
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
        var writer = new RecordWriter(db, metadata, actor, t, clock) { Access = access };
        var fields = await writer.FieldsAsync(entity, ct);
        if (!fields.CanWrite(field.Key))
            return BulkEditResult.Refused(fields.CanSee(field.Key) ? t["Record.FieldReadOnly", field.Label.Get()] : t["Record.FieldHidden", field.Label.Get()]);

        // Only records of this entity type (ids of other types or other workspaces match nothing).
        var wanted = ids.Distinct().ToList();
        // Only the records the actor may edit are touched (edit scope, in SQL); the others are skipped and counted.
        var rights = await writer.RightsAsync(entity.Entity.Id, ct);
        var ofType = db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id && wanted.Contains(r.Id));
        var selected = await ofType.CountAsync(ct);
        var targets = await Permissions.RecordScope.Apply(ofType, db, rights, Permissions.RecordOperation.Edit)
            .Select(r => new { r.Id, r.Title }).ToListAsync(ct);
        var skipped = selected - targets.Count;

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
            catch (ForbiddenException e) when (e.IsRecordScope)
            {
                // The change would move the record out of the actor's edit scope (e.g. a new owner in another department).
                refused.Add(new BulkRecordError(target.Id, target.Title, [e.Message]));
                continue;
            }
            if (draft.Succeeded) drafts.Add(draft);
            else refused.Add(new BulkRecordError(target.Id, target.Title, draft.Errors.ByField.SelectMany(kv => kv.Value).Distinct().ToList()));
        }
        if (refused.Count > 0) return new BulkEditResult(0, null, refused, skipped);

        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            foreach (var draft in drafts) await writer.ApplyAsync(draft, ct);
            audit.Stage(db, actor, new AuditEvent(AuditActions.RecordsBulkEdited, AuditActions.Targets.EntityType, entity.Key, entity.Entity.Label.Get(),
                new JsonObject
                {
                    ["field"] = field.Key, ["fieldLabel"] = field.Label.Get(), ["value"] = ShortValue(value), ["count"] = drafts.Count,
                    ["records"] = Sample(targets.Select(x => (x.Id, x.Title))),
                }));
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
        await automation.AfterCommitAsync(actor, metadata, writer.Writes, ct);
        return new BulkEditResult(targets.Count, null, [], skipped);
    }

    /// <summary>
    /// Deletes the records of <paramref name="entityKey"/> among <paramref name="ids"/> that the actor may delete,
    /// in one transaction; the others are skipped and counted.
    /// </summary>
    public async Task<BulkDeleteResult> DeleteAsync(Actor actor, string entityKey, IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        if (ids.Count == 0) return new BulkDeleteResult(0, 0);
        if (ids.Count > MaxRecords) throw new ArgumentException($"At most {MaxRecords} records at once.", nameof(ids));
        List<Guid> ofType;
        EntityMeta? entity;
        await using (var db = factory.CreateForTenant(actor.TenantId))
        {
            entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
            if (entity is null) return new BulkDeleteResult(0, 0);
            var wanted = ids.Distinct().ToList();
            var entityId = entity.Entity.Id;
            ofType = await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entityId && wanted.Contains(r.Id)).Select(r => r.Id).ToListAsync(ct);
        }
        // RecordService deletes only what the delete scope allows. The entry names the deleted records by title: it
        // is written in the delete's transaction and outlives them.
        var deleted = await records.DeleteAsync(actor, ofType, gone => new AuditEvent(AuditActions.RecordsBulkDeleted, AuditActions.Targets.EntityType,
            entity.Key, entity.Entity.Label.Get(), new JsonObject { ["count"] = gone.Count, ["records"] = Sample(gone) }), ct);
        return new BulkDeleteResult(deleted, ofType.Count - deleted);
    }

    /// <summary>The first 50 records of a bulk change, as {id, title}: enough to see what went, small enough for a log line.</summary>
    private static JsonArray Sample(IEnumerable<(Guid Id, string Title)> records)
        => new(records.Take(50).Select(r => (JsonNode?)new JsonObject { ["id"] = r.Id.ToString(), ["title"] = r.Title }).ToArray());

    private static string? ShortValue(JsonNode? value)
    {
        var text = value is null ? null : value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString();
        return text is { Length: > 200 } ? text[..200] : text;
    }
}
