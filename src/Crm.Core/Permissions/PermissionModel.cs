using Crm.Core.Tenancy;

namespace Crm.Core.Permissions;

/// <summary>A department (部门) of the workspace's organisation, a tree through <see cref="ParentId"/>.</summary>
public sealed class Department : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>Stable key for templates and the API (optional for departments made by hand).</summary>
    public string? Key { get; set; }
    public string Name { get; set; } = "";
    public Guid? ParentId { get; set; }
    public int SortOrder { get; set; }
}

/// <summary>A member's place in a department; a member may belong to several and lead some.</summary>
public sealed class DepartmentMember : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid DepartmentId { get; set; }
    public Guid UserId { get; set; }
    public bool IsLeader { get; set; }
}

/// <summary>A custom role (<see cref="Metadata.RoleDefinition"/>, e.g. 销售, 销售经理) given to a member.</summary>
public sealed class MemberRoleAssignment : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public Guid RoleId { get; set; }
}

/// <summary>Which records a grant reaches, from narrowest to widest (the numeric order is used for "widest of").</summary>
public enum DataScope
{
    None = 0,
    /// <summary>Records whose owner (or one of the named member fields) is the user.</summary>
    Own = 1,
    /// <summary>Own, plus records owned by members of the user's departments.</summary>
    OwnAndDepartment = 2,
    /// <summary>Own, plus records owned by members of the user's departments and all their sub-departments.</summary>
    OwnAndDepartmentTree = 3,
    All = 4,
}

/// <summary>What a role may do with one field, from most to least open.</summary>
public enum FieldAccessLevel
{
    Editable = 0,
    ReadOnly = 1,
    Hidden = 2,
}

/// <summary>
/// One role's rights on one entity type: may it create, which records it reads, edits and deletes, and how it
/// sees each field. "Own" is the owner column, or the member fields named in <see cref="OwnerFieldKeys"/>
/// (e.g. 协作人) in addition to the owner.
/// </summary>
public sealed class EntityPermission : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RoleId { get; set; }
    public Guid EntityTypeId { get; set; }
    public bool CanCreate { get; set; } = true;
    public DataScope Read { get; set; } = DataScope.All;
    public DataScope Edit { get; set; } = DataScope.All;
    public DataScope Delete { get; set; } = DataScope.All;
    /// <summary>Member fields (keys) that also make a record "own"; the owner always does.</summary>
    public List<string> OwnerFieldKeys { get; set; } = [];
    /// <summary>Field key → access; a field not listed is editable.</summary>
    public Dictionary<string, FieldAccessLevel> Fields { get; set; } = [];
}

/// <summary>A single record shared with a user or a department, for reading or also editing.</summary>
public sealed class RecordShare : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RecordId { get; set; }
    public Guid? UserId { get; set; }
    public Guid? DepartmentId { get; set; }
    public bool CanEdit { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}
