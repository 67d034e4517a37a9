using System.Text.Json.Nodes;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Permissions;

public sealed record RoleSummary(Guid Id, string Key, LocalizedText Label, LocalizedText? Description, MemberRole BaseRole, string? Origin, int MemberCount);

public sealed record RoleMemberView(Guid UserId, string DisplayName, string Email, MemberRole BaseRole);

/// <summary>A role with its members and its rights per entity type (only the entity types it restricts).</summary>
public sealed record RoleDetail(RoleSummary Role, IReadOnlyList<RoleMemberView> Members, IReadOnlyList<EntityPermission> Permissions)
{
    public EntityPermission? For(Guid entityTypeId) => Permissions.FirstOrDefault(p => p.EntityTypeId == entityTypeId);
}

/// <summary>What an admin sets for one role and entity type (see <see cref="EntityPermission"/>).</summary>
public sealed record PermissionInput(
    bool CanCreate,
    DataScope Read,
    DataScope Edit,
    DataScope Delete,
    IReadOnlyList<string> OwnerFieldKeys,
    IReadOnlyDictionary<string, FieldAccessLevel> Fields)
{
    public static PermissionInput From(EntityPermission p) => new(p.CanCreate, p.Read, p.Edit, p.Delete, p.OwnerFieldKeys.ToList(), new Dictionary<string, FieldAccessLevel>(p.Fields));

    /// <summary>What a new row starts with: everything allowed, so adding it changes nothing until the admin narrows it.</summary>
    public static PermissionInput Open => new(true, DataScope.All, DataScope.All, DataScope.All, [], new Dictionary<string, FieldAccessLevel>());
}

/// <summary>
/// Custom roles (销售, 销售经理 …, the template's <c>roles</c>): made, renamed and deleted by admins, given to
/// members, and holding per entity type the rights the <see cref="AccessCalculator"/> applies. Every write checks
/// the actor's current role (Admin) in its transaction; the members holding the role are told at once.
/// Errors are keyed by the input's name: <c>label</c>, <c>userId</c>, <c>entity</c>, <c>read</c>, <c>edit</c>,
/// <c>delete</c>, <c>ownerFields</c>, <c>fields.&lt;key&gt;</c>.
/// </summary>
public sealed class RoleService(ICrmDbContextFactory factory, MetadataStore metadataStore, IMembershipChanges changes, IStringLocalizer<CoreStrings> t, AuditTrail audit)
{
    public const int MaxLabelLength = Design.DesignRules.MaxLabelLength;

    public async Task<IReadOnlyList<RoleSummary>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var roles = await db.RoleDefinitions.AsNoTracking().ToListAsync(ct);
        var counts = await db.MemberRoleAssignments.AsNoTracking().GroupBy(a => a.RoleId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        return roles.Select(r => Summary(r, counts.GetValueOrDefault(r.Id)))
            .OrderBy(r => r.Label.Get(), StringComparer.CurrentCulture).ToList();
    }

    public async Task<RoleDetail?> GetAsync(Actor actor, Guid roleId, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Admin);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var role = await db.RoleDefinitions.AsNoTracking().FirstOrDefaultAsync(r => r.Id == roleId, ct);
        if (role is null) return null;
        var userIds = await db.MemberRoleAssignments.AsNoTracking().Where(a => a.RoleId == roleId).Select(a => a.UserId).ToListAsync(ct);
        var members = userIds.Count == 0 ? [] : await db.Memberships.AsNoTracking()
            .Where(m => m.TenantId == actor.TenantId && userIds.Contains(m.UserId))
            .Select(m => new RoleMemberView(m.UserId, m.User!.DisplayName, m.User.Email ?? "", m.Role)).ToListAsync(ct);
        var permissions = await db.EntityPermissions.AsNoTracking().Where(p => p.RoleId == roleId).ToListAsync(ct);
        return new RoleDetail(Summary(role, members.Count), members.OrderBy(m => m.DisplayName, StringComparer.CurrentCulture).ToList(), permissions);
    }

    /// <summary>Custom roles of every member of the workspace: user id → roles (for the members page).</summary>
    public async Task<IReadOnlyDictionary<Guid, IReadOnlyList<RoleSummary>>> RolesOfMembersAsync(Actor actor, CancellationToken ct = default)
    {
        var roles = (await ListAsync(actor, ct)).ToDictionary(r => r.Id);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var assignments = await db.MemberRoleAssignments.AsNoTracking().ToListAsync(ct);
        return assignments.Where(a => roles.ContainsKey(a.RoleId)).GroupBy(a => a.UserId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<RoleSummary>)g.Select(a => roles[a.RoleId]).OrderBy(r => r.Label.Get(), StringComparer.CurrentCulture).ToList());
    }

    public async Task<SettingsResult> CreateAsync(Actor actor, LocalizedText label, LocalizedText? description = null, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var roles = await db.RoleDefinitions.ToListAsync(ct);
        label = Trim(label);
        if (CheckLabel(label, null, roles) is { } problem) return SettingsResult.Error("label", problem);
        var role = new RoleDefinition
        {
            Key = MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, roles.Select(r => r.Key), "role"),
            Label = label,
            Description = description is null || (description.ZhCn.Trim().Length == 0 && description.En.Trim().Length == 0) ? null : description,
            BaseRole = MemberRole.Member,
        };
        db.RoleDefinitions.Add(role);
        audit.Stage(db, actor, Event(AuditActions.RoleCreated, role, new JsonObject { ["key"] = role.Key, ["zh-CN"] = label.ZhCn, ["en"] = label.En }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return SettingsResult.Ok(role.Id);
    }

    public async Task<SettingsResult> RenameAsync(Actor actor, Guid roleId, LocalizedText label, LocalizedText? description = null, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var roles = await db.RoleDefinitions.ToListAsync(ct);
        var role = roles.FirstOrDefault(r => r.Id == roleId);
        if (role is null) return SettingsResult.Error("role", t["Role.NotFound"]);
        label = Trim(label);
        if (CheckLabel(label, roleId, roles) is { } problem) return SettingsResult.Error("label", problem);
        var old = role.Label;
        role.Label = label;
        if (description is not null) role.Description = description.ZhCn.Trim().Length == 0 && description.En.Trim().Length == 0 ? null : description;
        audit.Stage(db, actor, Event(AuditActions.RoleEdited, role, new JsonObject
        {
            ["oldLabel"] = new JsonObject { ["zh-CN"] = old.ZhCn, ["en"] = old.En }, ["newLabel"] = new JsonObject { ["zh-CN"] = label.ZhCn, ["en"] = label.En },
        }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return SettingsResult.Ok(role.Id);
    }

    /// <summary>Deletes a role with its assignments and permissions; its members fall back to their other roles.</summary>
    public async Task<SettingsResult> DeleteAsync(Actor actor, Guid roleId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var role = await db.RoleDefinitions.FirstOrDefaultAsync(r => r.Id == roleId, ct);
        if (role is null) return SettingsResult.Error("role", t["Role.NotFound"]);
        var members = await db.MemberRoleAssignments.Where(a => a.RoleId == roleId).Select(a => a.UserId).ToListAsync(ct);
        await db.MemberRoleAssignments.Where(a => a.RoleId == roleId).ExecuteDeleteAsync(ct);
        var rows = await db.EntityPermissions.Where(p => p.RoleId == roleId).ExecuteDeleteAsync(ct);
        db.RoleDefinitions.Remove(role);
        audit.Stage(db, actor, Event(AuditActions.RoleDeleted, role, new JsonObject { ["key"] = role.Key, ["members"] = members.Count, ["permissions"] = rows }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await AccessChanges.PublishAsync(factory, changes, actor.TenantId, members, ct);
        return SettingsResult.Ok();
    }

    public async Task<SettingsResult> AssignAsync(Actor actor, Guid roleId, Guid userId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var role = await db.RoleDefinitions.AsNoTracking().FirstOrDefaultAsync(r => r.Id == roleId, ct);
        if (role is null) return SettingsResult.Error("role", t["Role.NotFound"]);
        if (!await db.Memberships.AnyAsync(m => m.TenantId == actor.TenantId && m.UserId == userId, ct))
            return SettingsResult.Error("userId", t["Department.NotAMember"]);
        if (!await db.MemberRoleAssignments.AnyAsync(a => a.RoleId == roleId && a.UserId == userId, ct))
        {
            db.MemberRoleAssignments.Add(new MemberRoleAssignment { RoleId = roleId, UserId = userId });
            audit.Stage(db, actor, await AssignmentEventAsync(db, actor, AuditActions.RoleAssigned, role, userId, ct));
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        await AccessChanges.PublishAsync(factory, changes, actor.TenantId, [userId], ct);
        return SettingsResult.Ok(roleId);
    }

    public async Task<SettingsResult> UnassignAsync(Actor actor, Guid roleId, Guid userId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var assignment = await db.MemberRoleAssignments.FirstOrDefaultAsync(a => a.RoleId == roleId && a.UserId == userId, ct);
        if (assignment is null) return SettingsResult.Error("userId", t["Role.NotAssigned"]);
        db.MemberRoleAssignments.Remove(assignment);
        var role = await db.RoleDefinitions.AsNoTracking().FirstAsync(r => r.Id == roleId, ct);
        audit.Stage(db, actor, await AssignmentEventAsync(db, actor, AuditActions.RoleUnassigned, role, userId, ct));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await AccessChanges.PublishAsync(factory, changes, actor.TenantId, [userId], ct);
        return SettingsResult.Ok(roleId);
    }

    /// <summary>
    /// Sets what the role may do with an entity type's records and fields. Owner fields must be member fields of
    /// the entity type, field keys must exist, and edit and delete may not reach further than read.
    /// </summary>
    public async Task<SettingsResult> SetPermissionAsync(Actor actor, Guid roleId, Guid entityTypeId, PermissionInput input, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var role = await db.RoleDefinitions.AsNoTracking().FirstOrDefaultAsync(r => r.Id == roleId, ct);
        if (role is null) return SettingsResult.Error("role", t["Role.NotFound"]);
        var metadata = await metadataStore.GetAsync(db, ct);
        var entity = metadata.Entity(entityTypeId);
        if (entity is null) return SettingsResult.Error("entity", t["Role.UnknownEntity"]);
        var errors = Check(entity, input, t);
        if (!errors.IsEmpty) return new SettingsResult(errors);

        var row = await db.EntityPermissions.FirstOrDefaultAsync(p => p.RoleId == roleId && p.EntityTypeId == entityTypeId, ct);
        var before = row is null ? null : Describe(row);
        if (row is null)
        {
            row = new EntityPermission { RoleId = roleId, EntityTypeId = entityTypeId };
            db.EntityPermissions.Add(row);
        }
        row.CanCreate = input.CanCreate;
        row.Read = input.Read;
        row.Edit = input.Edit;
        row.Delete = input.Delete;
        row.OwnerFieldKeys = input.OwnerFieldKeys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        row.Fields = input.Fields.Where(f => f.Value != FieldAccessLevel.Editable).OrderBy(f => f.Key, StringComparer.Ordinal).ToDictionary(f => f.Key, f => f.Value);
        var after = Describe(row);
        if (before is not null && JsonNode.DeepEquals(before, after)) return SettingsResult.Ok(row.Id); // nothing changes
        audit.Stage(db, actor, Event(AuditActions.PermissionChanged, role, new JsonObject
        {
            ["entity"] = entity.Key, ["entityLabel"] = entity.Entity.Label.Get(), ["before"] = before, ["after"] = after,
        }));
        await db.SaveChangesAsync(ct);
        var members = await db.MemberRoleAssignments.Where(a => a.RoleId == roleId).Select(a => a.UserId).ToListAsync(ct);
        await tx.CommitAsync(ct);
        await AccessChanges.PublishAsync(factory, changes, actor.TenantId, members, ct);
        return SettingsResult.Ok(row.Id);
    }

    /// <summary>The role no longer restricts the entity type: its members' base role decides again.</summary>
    public async Task<SettingsResult> ClearPermissionAsync(Actor actor, Guid roleId, Guid entityTypeId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var row = await db.EntityPermissions.FirstOrDefaultAsync(p => p.RoleId == roleId && p.EntityTypeId == entityTypeId, ct);
        if (row is null) return SettingsResult.Ok();
        db.EntityPermissions.Remove(row);
        var role = await db.RoleDefinitions.AsNoTracking().FirstAsync(r => r.Id == roleId, ct);
        var entityKey = (await metadataStore.GetAsync(db, ct)).Entity(entityTypeId)?.Key;
        audit.Stage(db, actor, Event(AuditActions.PermissionCleared, role, new JsonObject { ["entity"] = entityKey, ["before"] = Describe(row) }));
        await db.SaveChangesAsync(ct);
        var members = await db.MemberRoleAssignments.Where(a => a.RoleId == roleId).Select(a => a.UserId).ToListAsync(ct);
        await tx.CommitAsync(ct);
        await AccessChanges.PublishAsync(factory, changes, actor.TenantId, members, ct);
        return SettingsResult.Ok();
    }

    /// <summary>The checks of <see cref="SetPermissionAsync"/>, shared with the template checker's wording.</summary>
    internal static Accounts.ValidationErrors Check(EntityMeta entity, PermissionInput input, IStringLocalizer<CoreStrings> t)
    {
        var errors = new Accounts.ValidationErrors();
        foreach (var (name, scope) in new[] { ("read", input.Read), ("edit", input.Edit), ("delete", input.Delete) })
            if (!Enum.IsDefined(scope)) errors.Add(name, t["Role.ScopeInvalid", scope.ToString()]);
        if (errors.IsEmpty)
        {
            if (input.Edit > input.Read) errors.Add("edit", t["Role.EditWiderThanRead"]);
            if (input.Delete > input.Read) errors.Add("delete", t["Role.DeleteWiderThanRead"]);
        }
        foreach (var key in input.OwnerFieldKeys)
        {
            var field = entity.Field(key);
            if (field is null) errors.Add("ownerFields", t["Role.UnknownField", key]);
            else if (field.Type != "member") errors.Add("ownerFields", t["Role.OwnerFieldNotMember", field.Label.Get()]);
        }
        foreach (var (key, level) in input.Fields)
        {
            if (entity.Field(key) is null) errors.Add($"fields.{key}", t["Role.UnknownField", key]);
            else if (!Enum.IsDefined(level)) errors.Add($"fields.{key}", t["Role.FieldLevelInvalid", level.ToString()]);
        }
        return errors;
    }

    private string? CheckLabel(LocalizedText label, Guid? self, IEnumerable<RoleDefinition> roles)
    {
        if (label.ZhCn.Length == 0 && label.En.Length == 0) return t["Role.LabelRequired"];
        if (label.ZhCn.Length > MaxLabelLength || label.En.Length > MaxLabelLength) return t["Role.LabelTooLong", MaxLabelLength];
        foreach (var r in roles.Where(r => r.Id != self))
        {
            if (Same(r.Label.ZhCn, label.ZhCn) || Same(r.Label.En, label.En)) return t["Role.LabelTaken", label.Get()];
        }
        return null;
    }

    private static bool Same(string a, string b) => a.Length > 0 && string.Equals(a.Trim(), b, StringComparison.CurrentCultureIgnoreCase);

    private static LocalizedText Trim(LocalizedText label)
    {
        var zh = label.ZhCn?.Trim() ?? "";
        var en = label.En?.Trim() ?? "";
        return new LocalizedText(zh.Length == 0 ? en : zh, en.Length == 0 ? zh : en);
    }

    private static AuditEvent Event(string action, RoleDefinition role, JsonObject? details = null)
        => new(action, AuditActions.Targets.Role, role.Id.ToString(), role.Label.Get(), details);

    /// <summary>A role given or taken: the target is the member (whose rights changed), the role in the details.</summary>
    private static async Task<AuditEvent> AssignmentEventAsync(CrmDbContext db, Actor actor, string action, RoleDefinition role, Guid userId, CancellationToken ct)
    {
        var name = await db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId && m.UserId == userId).Select(m => m.User!.DisplayName).FirstOrDefaultAsync(ct);
        return new AuditEvent(action, AuditActions.Targets.User, userId.ToString(), name, new JsonObject
        {
            ["roleId"] = role.Id.ToString(), ["role"] = role.Label.Get(), ["roleKey"] = role.Key,
        });
    }

    /// <summary>A permission row as the audit log keeps it (the scope names of the template format).</summary>
    private static JsonObject Describe(EntityPermission p) => new()
    {
        ["create"] = p.CanCreate,
        ["read"] = ScopeName(p.Read), ["edit"] = ScopeName(p.Edit), ["delete"] = ScopeName(p.Delete),
        ["ownerFields"] = new JsonArray(p.OwnerFieldKeys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray()),
        ["fields"] = new JsonObject(p.Fields.OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => KeyValuePair.Create(f.Key, (JsonNode?)JsonValue.Create(f.Value == FieldAccessLevel.Hidden ? "hidden" : f.Value == FieldAccessLevel.ReadOnly ? "readOnly" : "editable")))),
    };

    private static string ScopeName(DataScope scope) => scope switch
    {
        DataScope.None => "none",
        DataScope.Own => "own",
        DataScope.OwnAndDepartment => "department",
        DataScope.OwnAndDepartmentTree => "departmentTree",
        DataScope.All => "all",
        _ => scope.ToString(),
    };

    private static RoleSummary Summary(RoleDefinition r, int count) => new(r.Id, r.Key, r.Label, r.Description, r.BaseRole, r.Origin, count);
}
