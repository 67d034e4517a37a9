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
/// validation by <see cref="RecordWriter"/>, a conflict instead of a silent overwrite, events after commit.
/// </summary>
public sealed class RecordService(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock, RecordEvents events)
{
    public async Task<Record?> GetAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await db.Records.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
    }

    public Task<RecordResult> CreateAsync(Actor actor, string entityKey, RecordInput input, CancellationToken ct = default)
        => WriteAsync(actor, (w, c) => w.CreateAsync(entityKey, input, c), RecordEventKind.Created, ct);

    public Task<RecordResult> UpdateAsync(Actor actor, Guid id, RecordInput input, CancellationToken ct = default)
        => WriteAsync(actor, (w, c) => w.UpdateAsync(id, input, c), RecordEventKind.Updated, ct);

    private async Task<RecordResult> WriteAsync(Actor actor, Func<RecordWriter, CancellationToken, Task<RecordResult>> write, RecordEventKind kind, CancellationToken ct)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        RecordResult result;
        try
        {
            result = await write(new RecordWriter(db, metadata, actor, t, clock), ct);
            if (!result.Succeeded) return result;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
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
        var record = result.Record!;
        events.Publish(new RecordEvent(actor.TenantId, record.EntityTypeId, record.Id, kind, record.Version, actor.UserId));
        return result;
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
    /// in one transaction. Returns how many were deleted; ids of other tenants simply match nothing.
    /// </summary>
    public async Task<int> DeleteAsync(Actor actor, IReadOnlyCollection<Guid> ids, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        if (ids.Count == 0) return 0;
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var doomed = await db.Records.Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.EntityTypeId }).ToListAsync(ct);
        if (doomed.Count == 0) return 0;
        var doomedIds = doomed.Select(d => d.Id).ToList();

        foreach (var targetType in doomed.Select(d => d.EntityTypeId).Distinct())
        {
            var targetKey = metadata.Entity(targetType)?.Key;
            foreach (var entity in metadata.EntityTypes)
                foreach (var field in entity.AllFields.Where(f => f.Type == "lookup" && f.Settings.Target == targetKey))
                    await ClearLookupsAsync(db, entity, field.Key, doomedIds, actor, ct);
        }
        var deleted = await db.Records.Where(r => doomedIds.Contains(r.Id)).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var d in doomed) events.Publish(new RecordEvent(actor.TenantId, d.EntityTypeId, d.Id, RecordEventKind.Deleted, 0, actor.UserId));
        return deleted;
    }

    private async Task ClearLookupsAsync(CrmDbContext db, EntityMeta entity, string key, List<Guid> targets, Actor actor, CancellationToken ct)
    {
        var targetTexts = targets.Select(g => g.ToString()).ToList();
        var pointing = await db.Records.Where(r => r.EntityTypeId == entity.Entity.Id && targetTexts.Contains(JsonSql.Text(r.Values, EF.Constant(key))!)).ToListAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var record in pointing.Where(r => !targets.Contains(r.Id)))
        {
            var values = RecordWriter.ParseValues(record.Values);
            var old = values[key]?.DeepClone();
            values.Remove(key);
            record.Values = values.ToJsonString(Json.Options);
            record.Version++;
            record.UpdatedAt = now;
            record.UpdatedBy = actor.UserId;
            db.RecordChanges.Add(new RecordChange { RecordId = record.Id, Kind = RecordChangeKind.Updated, At = now, ByUserId = actor.UserId, Changes = Json.Serialize(new[] { new FieldChange(key, old, null) }) });
        }
        await db.SaveChangesAsync(ct);
    }
}
