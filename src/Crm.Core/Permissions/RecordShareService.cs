using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Permissions;

/// <summary>One share of a record as listed: with whom (a member or a department, by name) and whether they may edit.</summary>
public sealed record RecordShareItem(Guid Id, Guid? UserId, Guid? DepartmentId, string Name, bool CanEdit, DateTime CreatedAt);

/// <summary>What to share a record with: exactly one of a member or a department, for reading or also editing.</summary>
public sealed record RecordShareInput(Guid? UserId, Guid? DepartmentId, bool CanEdit);

/// <summary>The outcome of sharing: the share, or why not (errors by field), or the record is not found for the actor.</summary>
public sealed record RecordShareResult(RecordShareItem? Share, ValidationErrors Errors, bool NotFound = false)
{
    public bool Succeeded => Share is not null && Errors.IsEmpty;
}

/// <summary>
/// Sharing a single record with a member or a department (read, or read and edit), on top of the data scope.
/// Only those who may edit the record (or administrators) list, add and revoke its shares; a record the actor may
/// not read is "not found". Sharing the same record with the same member or department again changes the level.
/// </summary>
public sealed class RecordShareService(ICrmDbContextFactory factory, RecordService records, IStringLocalizer<CoreStrings> t, TimeProvider clock, AuditTrail audit)
{
    public const string UserField = "user";
    public const string DepartmentField = "department";

    /// <summary>The record's shares, or null when the actor may not read the record. Throws when they may not share it.</summary>
    public async Task<IReadOnlyList<RecordShareItem>?> ListAsync(Actor actor, Guid recordId, CancellationToken ct = default)
    {
        if (!await MayShareAsync(actor, recordId, ct)) return null;
        await using var db = factory.CreateForTenant(actor.TenantId);
        var shares = await db.RecordShares.AsNoTracking().Where(s => s.RecordId == recordId).OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(ct);
        var userIds = shares.Where(s => s.UserId is not null).Select(s => s.UserId!.Value).Distinct().ToList();
        var users = userIds.Count == 0 ? new Dictionary<Guid, string>() : await db.Memberships.AsNoTracking()
            .Where(m => m.TenantId == actor.TenantId && userIds.Contains(m.UserId)).Select(m => new { m.UserId, m.User!.DisplayName })
            .ToDictionaryAsync(m => m.UserId, m => m.DisplayName, ct);
        var departments = await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Id, d => d.Name, ct);
        return shares.Select(s => Item(s, s.UserId is { } u ? users.GetValueOrDefault(u) : departments.GetValueOrDefault(s.DepartmentId ?? Guid.Empty))).ToList();
    }

    public async Task<RecordShareResult> ShareAsync(Actor actor, Guid recordId, RecordShareInput input, CancellationToken ct = default)
    {
        if (!await MayShareAsync(actor, recordId, ct)) return new RecordShareResult(null, new ValidationErrors(), NotFound: true);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var errors = new ValidationErrors();
        string? name = null;
        if ((input.UserId is null) == (input.DepartmentId is null))
            errors.Add(input.UserId is null ? UserField : DepartmentField, t["Share.NeedsTarget", UserField + " / " + DepartmentField]);
        else if (input.UserId is { } userId)
        {
            name = await db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId && m.UserId == userId).Select(m => m.User!.DisplayName).FirstOrDefaultAsync(ct);
            if (name is null) errors.Add(UserField, t["Share.UnknownMember", UserField]);
        }
        else if (input.DepartmentId is { } departmentId)
        {
            name = await db.Departments.AsNoTracking().Where(d => d.Id == departmentId).Select(d => d.Name).FirstOrDefaultAsync(ct);
            if (name is null) errors.Add(DepartmentField, t["Share.UnknownDepartment", DepartmentField]);
        }
        if (!errors.IsEmpty) return new RecordShareResult(null, errors);

        var share = await db.RecordShares.FirstOrDefaultAsync(s => s.RecordId == recordId && s.UserId == input.UserId && s.DepartmentId == input.DepartmentId, ct);
        if (share is { } same && same.CanEdit == input.CanEdit) return new RecordShareResult(Item(same, name), errors); // already so: nothing to log
        var wasEdit = share?.CanEdit;
        if (share is null)
        {
            share = new RecordShare
            {
                RecordId = recordId, UserId = input.UserId, DepartmentId = input.DepartmentId, CreatedBy = actor.UserId, CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            db.RecordShares.Add(share);
        }
        share.CanEdit = input.CanEdit;
        audit.Stage(db, actor, await EventAsync(db, AuditActions.RecordShared, share, name, wasEdit, ct));
        await db.SaveChangesAsync(ct); // the share and its audit entry together

        return new RecordShareResult(Item(share, name), errors);
    }

    /// <summary>Revokes a share of the record; false when there is no such share (or the record is not found for the actor).</summary>
    public async Task<bool> RevokeAsync(Actor actor, Guid recordId, Guid shareId, CancellationToken ct = default)
    {
        if (!await MayShareAsync(actor, recordId, ct)) return false;
        await using var db = factory.CreateForTenant(actor.TenantId);
        var share = await db.RecordShares.FirstOrDefaultAsync(s => s.RecordId == recordId && s.Id == shareId, ct);
        if (share is null) return false;
        var name = share.UserId is { } userId
            ? await db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId && m.UserId == userId).Select(m => m.User!.DisplayName).FirstOrDefaultAsync(ct)
            : await db.Departments.AsNoTracking().Where(d => d.Id == share.DepartmentId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        db.RecordShares.Remove(share);
        audit.Stage(db, actor, await EventAsync(db, AuditActions.RecordUnshared, share, name, null, ct));
        await db.SaveChangesAsync(ct); // the revocation and its audit entry together
        return true;
    }

    /// <summary>Who a record can be shared with: the workspace's members and departments, by name.</summary>
    public async Task<(IReadOnlyList<NamedItem> Members, IReadOnlyList<NamedItem> Departments)> TargetsAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var members = await db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId && m.UserId != actor.UserId)
            .OrderBy(m => m.User!.DisplayName).Select(m => new NamedItem(m.UserId, m.User!.DisplayName, m.User.Email)).ToListAsync(ct);
        var departments = await db.Departments.AsNoTracking().OrderBy(d => d.SortOrder).ThenBy(d => d.Name).Select(d => new NamedItem(d.Id, d.Name, null)).ToListAsync(ct);
        return (members, departments);
    }

    /// <summary>False when the record is not readable (not found); throws <see cref="ForbiddenException"/> when readable but not shareable.</summary>
    private async Task<bool> MayShareAsync(Actor actor, Guid recordId, CancellationToken ct)
    {
        var role = await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        var rights = await records.RightsAsync(actor, recordId, ct);
        if (rights is null) return false;
        if (!rights.CanEdit && !role.CanAdminister()) throw new ForbiddenException(t["Share.NotAllowed"]);
        return true;
    }

    /// <summary>A share made, changed or revoked: the target is the record (title copied now), with whom and how in the details.</summary>
    private static async Task<AuditEvent> EventAsync(CrmDbContext db, string action, RecordShare share, string? name, bool? wasEdit, CancellationToken ct)
    {
        var record = await db.Records.AsNoTracking().Where(r => r.Id == share.RecordId).Select(r => new { r.Title, r.EntityTypeId }).FirstOrDefaultAsync(ct);
        var entityKey = record is null ? null : await db.EntityTypes.AsNoTracking().Where(e => e.Id == record.EntityTypeId).Select(e => e.Key).FirstOrDefaultAsync(ct);
        var details = new JsonObject
        {
            ["entity"] = entityKey,
            ["with"] = share.UserId is not null ? UserField : DepartmentField,
            ["withId"] = (share.UserId ?? share.DepartmentId)?.ToString(),
            ["withName"] = name,
            ["level"] = share.CanEdit ? "edit" : "read",
        };
        if (wasEdit is { } before) details["before"] = before ? "edit" : "read";
        return new AuditEvent(action, AuditActions.Targets.Record, share.RecordId.ToString(), record?.Title, details);
    }

    private static RecordShareItem Item(RecordShare s, string? name) => new(s.Id, s.UserId, s.DepartmentId, name ?? "", s.CanEdit, s.CreatedAt);
}
