using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Records;

/// <summary>
/// Record writes as single transactions for the UI and the API: one context per call, the tenant from the actor,
/// validation by <see cref="RecordWriter"/> BEFORE the write transaction opens (a slow check never holds the write
/// lock), then the write with a version check, a conflict instead of a silent overwrite, events after commit.
/// </summary>
public sealed class RecordService(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock, RecordEvents events, Permissions.IAccessResolver access, Audit.AuditTrail audit, Automation.AutomationEngine automation)
{
    /// <summary>How often a write is validated again when the record changed between validation and write.</summary>
    private const int Attempts = 3;

    public async Task<Record?> GetAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var record = await db.Records.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (record is null) return null;
        // A record outside the actor's read scope is "not found", exactly like another workspace's.
        var rights = await access.GetAsync(actor, record.EntityTypeId, ct);
        if (rights.Read.IsAll) return record;
        return await Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.Id == id), db, rights).FirstOrDefaultAsync(ct);
    }

    /// <summary>What the actor may do with record <paramref name="id"/> (edit, delete, share); null when they may not read it.</summary>
    public async Task<Permissions.RecordRights?> RightsAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var typeId = await db.Records.AsNoTracking().Where(r => r.Id == id).Select(r => (Guid?)r.EntityTypeId).FirstOrDefaultAsync(ct);
        if (typeId is null) return null;
        var rights = await access.GetAsync(actor, typeId.Value, ct);
        var one = db.Records.AsNoTracking().Where(r => r.Id == id);
        async Task<bool> In(Permissions.RecordOperation op) => Permissions.RecordScope.Grant(rights, op).IsAll || await Permissions.RecordScope.Apply(one, db, rights, op).AnyAsync(ct);
        if (!await In(Permissions.RecordOperation.Read)) return null;
        var edit = await In(Permissions.RecordOperation.Edit);
        return new Permissions.RecordRights(edit, await In(Permissions.RecordOperation.Delete), edit || actor.CanAdminister);
    }

    public Task<RecordResult> CreateAsync(Actor actor, string entityKey, RecordInput input, CancellationToken ct = default)
        => WriteAsync(actor, (w, c) => w.PrepareCreateAsync(entityKey, input, c), ct);

    public Task<RecordResult> UpdateAsync(Actor actor, Guid id, RecordInput input, CancellationToken ct = default)
        => WriteAsync(actor, (w, c) => w.PrepareUpdateAsync(id, input, c), ct);

    private async Task<RecordResult> WriteAsync(Actor actor, Func<RecordWriter, CancellationToken, Task<RecordDraft>> prepare, CancellationToken ct)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        // The rules go into the record's own write first; when one of their actions fails (or the save with them
        // does), the write is made again without them, the rules then running behind a savepoint or after the commit.
        var rulesBeforeSave = true;
        for (var attempt = 1; ; attempt++)
        {
            await using var db = factory.CreateForTenant(actor.TenantId);
            var metadata = await metadataStore.GetAsync(db, ct);
            var writer = new RecordWriter(db, metadata, actor, t, clock) { Access = access };
            try
            {
                // 1. Validate and normalise: reads only, no transaction, no lock held.
                var draft = await prepare(writer, ct);
                if (!draft.Succeeded) return RecordResult.Invalid(draft.Errors);

                // 2. Write: re-read the record with its version, compute, project, history, unique values; commit.
                RecordResult result;
                Automation.AutomationEngine.RulesInSave rules;
                await using (var tx = await db.Database.BeginTransactionAsync(ct))
                {
                    result = await writer.ApplyAsync(draft, ct);
                    // 3. The automation rules this save triggers. First, when their actions only change this record
                    // or add rows: applied to the record before it is saved, everything in one save (one row write).
                    Automation.AutomationEngine.RulesInSave? staged = null;
                    if (rulesBeforeSave)
                    {
                        try { staged = await automation.RunBeforeSaveAsync(actor, metadata, db, writer.Writes); }
                        catch (Exception e) when (e is not OperationCanceledException) { rulesBeforeSave = false; attempt--; continue; }
                    }
                    try { await db.SaveChangesAsync(ct); }
                    catch (Exception e) when (staged is { Staged: true } && e is not OperationCanceledException) { rulesBeforeSave = false; attempt--; continue; }
                    // Else after the save, in its transaction behind a savepoint: a failing rule goes back to the
                    // savepoint and runs after the commit instead, never losing this save.
                    rules = staged ?? await automation.RunInSaveAsync(actor, metadata, db, writer.Writes);
                    await tx.CommitAsync(ct);
                }

                // 4. Events, then what the rules did (and the rules left for after the commit).
                foreach (var e in writer.Events) events.Publish(e);
                await automation.AfterSaveAsync(rules, ct);
                return result;
            }
            catch (RecordStaleException) when (attempt < Attempts)
            {
                // Changed by someone else since it was validated and no version was asked for: validate again.
            }
            catch (RecordStaleException e)
            {
                return new RecordResult(null, Conflict(), await ReloadAsync(e.Current.Id, actor, ct));
            }
            catch (RecordConflictException e) when (e.Current is null)
            {
                var missing = new Accounts.ValidationErrors();
                missing.Add(RecordWriter.RecordErrorKey, t["Record.NotFound"]);
                return new RecordResult(null, missing, NotFound: true);
            }
            catch (RecordConflictException e)
            {
                return new RecordResult(null, Conflict(), await ReloadAsync(e.Current!.Id, actor, ct));
            }
            catch (DbUpdateConcurrencyException e)
            {
                var id = e.Entries.Select(x => x.Entity).OfType<Record>().FirstOrDefault()?.Id;
                return new RecordResult(null, Conflict(), id is { } rid ? await ReloadAsync(rid, actor, ct) : null);
            }
            catch (DbUpdateException e) when (UniqueValuesStep.IsViolation(e))
            {
                return RecordResult.Invalid(await UniqueErrorsAsync(actor, writer, ct));
            }
        }
    }

    /// <summary>
    /// A concurrent write took a unique value between validation and commit: the field(s) whose value is now held by
    /// another record get the same "already exists" message validation gives.
    /// </summary>
    private async Task<Accounts.ValidationErrors> UniqueErrorsAsync(Actor actor, RecordWriter writer, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var errors = new Accounts.ValidationErrors();
        var staged = writer.Unique.Staged;
        var taken = new List<(Guid EntityTypeId, string FieldKey, string Display, string Hash)>();
        foreach (var s in staged)
            if (await db.UniqueValues.AnyAsync(u => u.EntityTypeId == s.EntityTypeId && u.FieldKey == s.FieldKey && u.ValueHash == s.Hash, ct))
                taken.Add(s);
        foreach (var (entityId, key, display, _) in taken.Count > 0 ? taken : staged)
            if (metadata.Entity(entityId)?.Field(key) is { } field)
                errors.Add(key, writer.UniqueError(field, System.Text.Json.Nodes.JsonValue.Create(display)));
        if (errors.IsEmpty) errors.Add(RecordWriter.RecordErrorKey, t["Record.Conflict"]);
        return errors;
    }

    private Accounts.ValidationErrors Conflict()
    {
        var errors = new Accounts.ValidationErrors();
        errors.Add(RecordWriter.RecordErrorKey, t["Record.Conflict"]);
        return errors;
    }

    private async Task<Record?> ReloadAsync(Guid id, Actor actor, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await db.Records.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
    }

    /// <summary>
    /// Deletes records (and their transitions, timeline and activities) and clears lookups that pointed at them,
    /// in one transaction. Returns how many were deleted; ids of other tenants, and records outside the actor's
    /// delete scope, simply match nothing.
    /// </summary>
    public Task<int> DeleteAsync(Actor actor, IReadOnlyCollection<Guid> ids, CancellationToken ct = default) => DeleteAsync(actor, ids, null, ct);

    /// <summary>
    /// As above; <paramref name="describe"/> (given the deleted records' ids and titles) makes the audit entry that is
    /// written in the delete's own transaction (bulk delete).
    /// </summary>
    internal async Task<int> DeleteAsync(Actor actor, IReadOnlyCollection<Guid> ids, Func<IReadOnlyList<(Guid Id, string Title)>, Audit.AuditEvent>? describe, CancellationToken ct)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        if (ids.Count == 0) return 0;
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var writer = new RecordWriter(db, metadata, actor, t, clock);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var found = await db.Records.Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.EntityTypeId, r.Title }).ToListAsync(ct);
        if (found.Count == 0) return 0;
        // Only records in the actor's delete scope (shares never allow deleting); the others are left alone.
        var rights = await access.GetAllAsync(actor, found.Select(d => d.EntityTypeId).Distinct().ToList(), ct);
        var foundIds = found.Select(d => d.Id).ToList();
        var allowed = await Permissions.RecordScope.Apply(db.Records.Where(r => foundIds.Contains(r.Id)), db, rights, Permissions.RecordOperation.Delete).Select(r => r.Id).ToListAsync(ct);
        var doomed = found.Where(d => allowed.Contains(d.Id)).ToList();
        if (doomed.Count == 0) return 0;
        var doomedIds = doomed.Select(d => d.Id).ToList();

        foreach (var targetType in doomed.Select(d => d.EntityTypeId).Distinct())
        {
            var targetKey = metadata.Entity(targetType)?.Key;
            foreach (var entity in metadata.EntityTypes)
                foreach (var field in entity.AllFields.Where(f => f.Type == "lookup" && f.Settings.Target == targetKey))
                    await ClearLookupsAsync(db, writer, entity, field.Key, doomedIds, ct);
        }
        // Webhook "deleted" events carry the values as they were: read and staged before the delete.
        var staged = await writer.Webhooks.Outbox.StageDeletesAsync(db, metadata, actor.Tenant.Identifier, doomedIds, clock.GetUtcNow().UtcDateTime, ct);
        // Roll-ups (ROLLUP_SUM/COUNT) of the records the doomed ones point at: read before the rows go, recomputed after.
        var rollupParents = await writer.RollupParentsOfAsync(doomedIds, ct);
        // Transitions, timeline, activities and unique values go with the records (cascade).
        var deleted = await db.Records.Where(r => doomedIds.Contains(r.Id)).ExecuteDeleteAsync(ct);
        if (rollupParents.Count > 0)
        {
            await writer.RefreshRollupsAfterDeleteAsync(rollupParents, doomedIds, clock.GetUtcNow().UtcDateTime, ct);
            await db.SaveChangesAsync(ct);
        }
        if (describe is not null) audit.Stage(db, actor, describe(doomed.Select(d => (d.Id, d.Title)).ToList()));
        if (describe is not null || staged > 0) await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var e in writer.Events) events.Publish(e);
        foreach (var d in doomed) events.Publish(new RecordEvent(actor.TenantId, d.EntityTypeId, d.Id, RecordEventKind.Deleted, 0, actor.UserId));
        return deleted;
    }

    /// <summary>Records pointing at deleted ones lose the reference: a system rewrite (timeline entry, new version).</summary>
    private async Task ClearLookupsAsync(CrmDbContext db, RecordWriter writer, EntityMeta entity, string key, List<Guid> targets, CancellationToken ct)
    {
        var targetTexts = targets.Select(g => g.ToString()).ToList();
        var pointing = await db.Records.Where(r => r.EntityTypeId == entity.Entity.Id && targetTexts.Contains(JsonSql.Text(r.Values, EF.Constant(key))!)).ToListAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var record in pointing.Where(r => !targets.Contains(r.Id)))
            await writer.RewriteAsync(record, (_, values) => values.Remove(key), now, ct);
        await db.SaveChangesAsync(ct);
    }
}
