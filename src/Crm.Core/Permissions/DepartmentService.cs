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

/// <summary>A department as the settings page and the department field show it.</summary>
public sealed record DepartmentView(Guid Id, string? Key, string Name, Guid? ParentId, int SortOrder, int Depth, IReadOnlyList<DepartmentMemberView> Members);

public sealed record DepartmentMemberView(Guid UserId, string DisplayName, string Email, bool IsLeader);

/// <summary>The workspace's departments in tree order (parents before their children, siblings by sort order and name).</summary>
public sealed record OrganisationView(IReadOnlyList<DepartmentView> Departments)
{
    public DepartmentView? Find(Guid id) => Departments.FirstOrDefault(d => d.Id == id);
    public IEnumerable<DepartmentView> Children(Guid? parentId) => Departments.Where(d => d.ParentId == parentId);

    /// <summary>"华东 / 上海": the path of names from the top, for pickers.</summary>
    public string Path(Guid id)
    {
        var names = new List<string>();
        var seen = new HashSet<Guid>();
        for (var d = Find(id); d is not null && seen.Add(d.Id); d = d.ParentId is { } p ? Find(p) : null) names.Insert(0, d.Name);
        return string.Join(" / ", names);
    }

    public IReadOnlyList<DepartmentView> Of(Guid userId) => Departments.Where(d => d.Members.Any(m => m.UserId == userId)).ToList();
}

/// <summary>
/// The organisation (部门) a workspace admin keeps: a tree of departments and who belongs to which, with leaders.
/// Every write checks the actor's current role (Admin), runs in one transaction and tells the affected members'
/// open pages that their access changed (department scopes depend on who is in which department).
/// Errors are keyed by the input's name: <c>name</c>, <c>parentId</c>, <c>userId</c>, <c>department</c>.
/// </summary>
public sealed class DepartmentService(ICrmDbContextFactory factory, IMembershipChanges changes, IStringLocalizer<CoreStrings> t, AuditTrail audit)
{
    public const int MaxNameLength = 100;

    /// <summary>The departments with their members; any member of the workspace may read it (the department field's picker).</summary>
    public async Task<OrganisationView> GetAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await LoadAsync(db, actor.TenantId, ct);
    }

    internal static async Task<OrganisationView> LoadAsync(CrmDbContext db, Guid tenantId, CancellationToken ct)
    {
        var departments = await db.Departments.AsNoTracking().ToListAsync(ct);
        var members = await db.DepartmentMembers.AsNoTracking().ToListAsync(ct);
        var userIds = members.Select(m => m.UserId).Distinct().ToList();
        var users = userIds.Count == 0
            ? new Dictionary<Guid, (string Name, string Email)>()
            : (await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && userIds.Contains(m.UserId))
                .Select(m => new { m.UserId, m.User!.DisplayName, m.User.Email }).ToListAsync(ct))
                .ToDictionary(u => u.UserId, u => (Name: u.DisplayName, Email: u.Email ?? ""));
        var byDepartment = members.ToLookup(m => m.DepartmentId);
        var children = departments.ToLookup(d => d.ParentId);
        var result = new List<DepartmentView>();
        var placed = new HashSet<Guid>();
        void Walk(Guid? parent, int depth)
        {
            foreach (var d in children[parent].OrderBy(d => d.SortOrder).ThenBy(d => d.Name, StringComparer.CurrentCulture))
            {
                if (!placed.Add(d.Id)) continue;
                var people = byDepartment[d.Id]
                    .Where(m => users.ContainsKey(m.UserId))
                    .Select(m => new DepartmentMemberView(m.UserId, users[m.UserId].Name, users[m.UserId].Email, m.IsLeader))
                    .OrderByDescending(m => m.IsLeader).ThenBy(m => m.DisplayName, StringComparer.CurrentCulture).ToList();
                result.Add(new DepartmentView(d.Id, d.Key, d.Name, d.ParentId, d.SortOrder, depth, people));
                Walk(d.Id, depth + 1);
            }
        }
        Walk(null, 0);
        return new OrganisationView(result);
    }

    public async Task<SettingsResult> CreateAsync(Actor actor, string? name, Guid? parentId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var departments = await db.Departments.ToListAsync(ct);
        var trimmed = name?.Trim() ?? "";
        if (CheckName(trimmed, parentId, null, departments) is { } problem) return SettingsResult.Error("name", problem);
        if (parentId is { } p && departments.All(d => d.Id != p)) return SettingsResult.Error("parentId", t["Department.UnknownParent"]);
        var department = new Department
        {
            Name = trimmed,
            ParentId = parentId,
            Key = MetadataKeys.Derive(trimmed, departments.Where(d => d.Key is not null).Select(d => d.Key!), "department"),
            SortOrder = departments.Where(d => d.ParentId == parentId).Select(d => d.SortOrder + 1).DefaultIfEmpty(0).Max(),
        };
        db.Departments.Add(department);
        audit.Stage(db, actor, Event(AuditActions.DepartmentCreated, department, new JsonObject { ["parent"] = NameOf(departments, parentId) }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return SettingsResult.Ok(department.Id);
    }

    public async Task<SettingsResult> RenameAsync(Actor actor, Guid departmentId, string? name, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var departments = await db.Departments.ToListAsync(ct);
        var department = departments.FirstOrDefault(d => d.Id == departmentId);
        if (department is null) return SettingsResult.Error("department", t["Department.NotFound"]);
        var trimmed = name?.Trim() ?? "";
        if (CheckName(trimmed, department.ParentId, department.Id, departments) is { } problem) return SettingsResult.Error("name", problem);
        if (department.Name == trimmed) return SettingsResult.Ok(department.Id);
        var oldName = department.Name;
        department.Name = trimmed;
        audit.Stage(db, actor, Event(AuditActions.DepartmentRenamed, department, new JsonObject { ["oldName"] = oldName, ["newName"] = trimmed }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return SettingsResult.Ok(department.Id);
    }

    /// <summary>Moves a department (with everything below it) under another one, or to the top with null.</summary>
    public async Task<SettingsResult> MoveAsync(Actor actor, Guid departmentId, Guid? newParentId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var departments = await db.Departments.ToListAsync(ct);
        var department = departments.FirstOrDefault(d => d.Id == departmentId);
        if (department is null) return SettingsResult.Error("department", t["Department.NotFound"]);
        if (department.ParentId == newParentId) return SettingsResult.Ok(department.Id);
        if (newParentId is { } p)
        {
            var parent = departments.FirstOrDefault(d => d.Id == p);
            if (parent is null) return SettingsResult.Error("parentId", t["Department.UnknownParent"]);
            var below = new OrgChart(departments, []).Subtree(department.Id);
            if (below.Contains(p)) return SettingsResult.Error("parentId", t["Department.Cycle", department.Name, parent.Name]);
        }
        if (CheckName(department.Name, newParentId, department.Id, departments) is { } problem) return SettingsResult.Error("parentId", problem);
        var affected = await MembersOfSubtreeAsync(db, departments, department.Id, ct);
        audit.Stage(db, actor, Event(AuditActions.DepartmentMoved, department, new JsonObject
        {
            ["oldParent"] = NameOf(departments, department.ParentId), ["newParent"] = NameOf(departments, newParentId), ["members"] = affected.Count,
        }));
        department.ParentId = newParentId;
        department.SortOrder = departments.Where(d => d.ParentId == newParentId && d.Id != department.Id).Select(d => d.SortOrder + 1).DefaultIfEmpty(0).Max();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await NotifyAsync(actor, affected, ct);
        return SettingsResult.Ok(department.Id);
    }

    /// <summary>
    /// Deletes a department that has no sub-departments. A department with members is deleted only when
    /// <paramref name="moveMembersUp"/> says so: its members then join the parent department (as members, not
    /// leaders), or, at the top of the tree, simply leave it.
    /// </summary>
    public async Task<SettingsResult> DeleteAsync(Actor actor, Guid departmentId, bool moveMembersUp, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var department = await db.Departments.FirstOrDefaultAsync(d => d.Id == departmentId, ct);
        if (department is null) return SettingsResult.Error("department", t["Department.NotFound"]);
        if (await db.Departments.AnyAsync(d => d.ParentId == departmentId, ct))
            return SettingsResult.Error("department", t["Department.HasChildren", department.Name]);
        var members = await db.DepartmentMembers.Where(m => m.DepartmentId == departmentId).ToListAsync(ct);
        if (members.Count > 0 && !moveMembersUp)
            return SettingsResult.Error("department", t["Department.HasMembers", department.Name, members.Count]);
        if (department.ParentId is { } parentId)
        {
            var already = await db.DepartmentMembers.Where(m => m.DepartmentId == parentId).Select(m => m.UserId).ToListAsync(ct);
            foreach (var m in members.Where(m => !already.Contains(m.UserId)))
                db.DepartmentMembers.Add(new DepartmentMember { DepartmentId = parentId, UserId = m.UserId });
        }
        db.DepartmentMembers.RemoveRange(members);
        var shares = await db.RecordShares.Where(s => s.DepartmentId == departmentId).ExecuteDeleteAsync(ct);
        db.Departments.Remove(department);
        var parentName = department.ParentId is { } pid ? await db.Departments.Where(d => d.Id == pid).Select(d => d.Name).FirstOrDefaultAsync(ct) : null;
        audit.Stage(db, actor, Event(AuditActions.DepartmentDeleted, department, new JsonObject
        {
            ["parent"] = parentName, ["members"] = members.Count, ["membersMovedTo"] = members.Count > 0 ? parentName : null, ["sharesRemoved"] = shares,
        }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await NotifyAsync(actor, members.Select(m => m.UserId), ct);
        return SettingsResult.Ok();
    }

    /// <summary>Puts a member of the workspace into a department (or changes their leader flag there).</summary>
    public async Task<SettingsResult> AddMemberAsync(Actor actor, Guid departmentId, Guid userId, bool isLeader = false, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        if (!await db.Departments.AnyAsync(d => d.Id == departmentId, ct)) return SettingsResult.Error("department", t["Department.NotFound"]);
        if (!await db.Memberships.AnyAsync(m => m.TenantId == actor.TenantId && m.UserId == userId, ct))
            return SettingsResult.Error("userId", t["Department.NotAMember"]);
        var existing = await db.DepartmentMembers.FirstOrDefaultAsync(m => m.DepartmentId == departmentId && m.UserId == userId, ct);
        if (existing is { } same && same.IsLeader == isLeader) return SettingsResult.Ok(departmentId); // nothing changes, nothing to log
        var department = await db.Departments.FirstAsync(d => d.Id == departmentId, ct);
        audit.Stage(db, actor, await MemberEventAsync(db, actor, existing is null ? AuditActions.DepartmentMemberAdded : AuditActions.DepartmentLeaderChanged, department, userId, isLeader, ct));
        if (existing is null) db.DepartmentMembers.Add(new DepartmentMember { DepartmentId = departmentId, UserId = userId, IsLeader = isLeader });
        else existing.IsLeader = isLeader;
        await db.SaveChangesAsync(ct);
        var affected = await ColleaguesAsync(db, departmentId, userId, ct);
        await tx.CommitAsync(ct);
        await NotifyAsync(actor, affected, ct);
        return SettingsResult.Ok(departmentId);
    }

    public Task<SettingsResult> SetLeaderAsync(Actor actor, Guid departmentId, Guid userId, bool isLeader, CancellationToken ct = default)
        => AddMemberAsync(actor, departmentId, userId, isLeader, ct);

    public async Task<SettingsResult> RemoveMemberAsync(Actor actor, Guid departmentId, Guid userId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var existing = await db.DepartmentMembers.FirstOrDefaultAsync(m => m.DepartmentId == departmentId && m.UserId == userId, ct);
        if (existing is null) return SettingsResult.Error("userId", t["Department.NotInDepartment"]);
        var affected = await ColleaguesAsync(db, departmentId, userId, ct);
        db.DepartmentMembers.Remove(existing);
        var department = await db.Departments.FirstAsync(d => d.Id == departmentId, ct);
        audit.Stage(db, actor, await MemberEventAsync(db, actor, AuditActions.DepartmentMemberRemoved, department, userId, existing.IsLeader, ct));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await NotifyAsync(actor, affected, ct);
        return SettingsResult.Ok(departmentId);
    }

    private static AuditEvent Event(string action, Department department, JsonObject? details = null)
        => new(action, AuditActions.Targets.Department, department.Id.ToString(), department.Name, details);

    private static string? NameOf(IEnumerable<Department> departments, Guid? id) => id is { } i ? departments.FirstOrDefault(d => d.Id == i)?.Name : null;

    /// <summary>A membership change: the target is the member (what changed for them), the department in the details.</summary>
    private static async Task<AuditEvent> MemberEventAsync(CrmDbContext db, Actor actor, string action, Department department, Guid userId, bool isLeader, CancellationToken ct)
    {
        var name = await db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId && m.UserId == userId).Select(m => m.User!.DisplayName).FirstOrDefaultAsync(ct);
        return new AuditEvent(action, AuditActions.Targets.User, userId.ToString(), name, new JsonObject
        {
            ["departmentId"] = department.Id.ToString(), ["department"] = department.Name, ["leader"] = isLeader,
        });
    }

    private string? CheckName(string name, Guid? parentId, Guid? self, IEnumerable<Department> departments)
    {
        if (name.Length == 0) return t["Department.NameRequired"];
        if (name.Length > MaxNameLength) return t["Department.NameTooLong", MaxNameLength];
        if (departments.Any(d => d.Id != self && d.ParentId == parentId && string.Equals(d.Name, name, StringComparison.CurrentCultureIgnoreCase)))
            return t["Department.NameTaken", name];
        return null;
    }

    private static async Task<List<Guid>> MembersOfSubtreeAsync(CrmDbContext db, List<Department> departments, Guid id, CancellationToken ct)
    {
        var subtree = new OrgChart(departments, []).Subtree(id);
        return await db.DepartmentMembers.Where(m => subtree.Contains(m.DepartmentId)).Select(m => m.UserId).Distinct().ToListAsync(ct);
    }

    /// <summary>Members of the department and of every department above it: their department scopes reach this one.</summary>
    private static async Task<List<Guid>> ColleaguesAsync(CrmDbContext db, Guid departmentId, Guid userId, CancellationToken ct)
    {
        var departments = await db.Departments.AsNoTracking().ToListAsync(ct);
        var chain = new List<Guid>();
        for (var d = departments.FirstOrDefault(x => x.Id == departmentId); d is not null && !chain.Contains(d.Id); d = departments.FirstOrDefault(x => x.Id == d.ParentId))
            chain.Add(d.Id);
        var ids = await db.DepartmentMembers.Where(m => chain.Contains(m.DepartmentId)).Select(m => m.UserId).Distinct().ToListAsync(ct);
        if (!ids.Contains(userId)) ids.Add(userId);
        return ids;
    }

    /// <summary>Tells the open pages of the members concerned that their access changed (their role stays).</summary>
    private async Task NotifyAsync(Actor actor, IEnumerable<Guid> userIds, CancellationToken ct)
        => await AccessChanges.PublishAsync(factory, changes, actor.TenantId, userIds, ct);
}
