using Crm.Core.Tenancy;

namespace Crm.Core.Permissions;

/// <summary>
/// The rules that turn a member's base role, custom roles and departments into <see cref="EntityAccess"/> — pure,
/// so they can be tested without a database:
/// <list type="bullet">
/// <item>Owners and Admins see and change everything.</item>
/// <item>For an entity type, only the member's custom roles that have a permission row for it count; if none has,
/// the base role decides (Member: all records; Viewer: read all, change nothing).</item>
/// <item>Several roles combine to the widest: the widest scope per operation, the union of "own" fields, and per
/// field the most open level (a field hidden by one role and editable by another is editable).</item>
/// <item>A Viewer never edits, deletes or creates, whatever a custom role says.</item>
/// </list>
/// </summary>
public static class AccessCalculator
{
    public static EntityAccess Compute(
        Guid entityTypeId,
        Guid userId,
        MemberRole baseRole,
        IReadOnlyCollection<EntityPermission> rolePermissionsForEntity,
        OrgChart org)
    {
        if (baseRole.CanAdminister()) return EntityAccess.Full(entityTypeId, userId, canWrite: true);
        var canWrite = baseRole.CanEditRecords();
        if (rolePermissionsForEntity.Count == 0)
        {
            var full = EntityAccess.Full(entityTypeId, userId, canWrite);
            return new EntityAccess
            {
                EntityTypeId = full.EntityTypeId, UserId = userId, Unrestricted = true, CanCreate = full.CanCreate,
                Read = full.Read, Edit = full.Edit, Delete = full.Delete,
                DepartmentIds = org.DepartmentsOf(userId), Fields = full.Fields,
            };
        }

        var ownerFields = rolePermissionsForEntity.SelectMany(p => p.OwnerFieldKeys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        ScopeGrant Grant(DataScope scope) => scope switch
        {
            DataScope.All => ScopeGrant.All,
            DataScope.None => ScopeGrant.None,
            _ => new ScopeGrant(scope, ownerFields, org.OwnersVisibleTo(userId, scope)),
        };

        var fields = new Dictionary<string, FieldAccessLevel>(StringComparer.Ordinal);
        var allKeys = rolePermissionsForEntity.SelectMany(p => p.Fields.Keys).Distinct(StringComparer.Ordinal);
        foreach (var key in allKeys)
        {
            // Most open wins; a role that does not list the field leaves it editable.
            var level = rolePermissionsForEntity.Min(p => p.Fields.TryGetValue(key, out var l) ? l : FieldAccessLevel.Editable);
            if (!canWrite && level == FieldAccessLevel.Editable) level = FieldAccessLevel.ReadOnly;
            if (level != FieldAccessLevel.Editable) fields[key] = level;
        }

        return new EntityAccess
        {
            EntityTypeId = entityTypeId,
            UserId = userId,
            Unrestricted = false,
            CanCreate = canWrite && rolePermissionsForEntity.Any(p => p.CanCreate),
            Read = Grant(rolePermissionsForEntity.Max(p => p.Read)),
            Edit = canWrite ? Grant(rolePermissionsForEntity.Max(p => p.Edit)) : ScopeGrant.None,
            Delete = canWrite ? Grant(rolePermissionsForEntity.Max(p => p.Delete)) : ScopeGrant.None,
            DepartmentIds = org.DepartmentsOf(userId),
            Fields = fields,
        };
    }
}

/// <summary>A formula field of an entity type and the fields its expression reads (for <see cref="FormulaAccess"/>).</summary>
public sealed record FormulaDependency(string Key, IReadOnlyCollection<string> References);

/// <summary>
/// Formula fields must not leak what they are computed from: a formula that reads a field hidden from the actor
/// (directly or through another formula; <c>stage.probability</c> counts as reading the stage field) is hidden too.
/// </summary>
public static class FormulaAccess
{
    /// <summary><paramref name="access"/> with every formula that depends on a hidden field hidden as well.</summary>
    public static EntityAccess HideDependents(EntityAccess access, IReadOnlyCollection<FormulaDependency> formulas, string? stageFieldKey)
    {
        if (formulas.Count == 0 || !access.HiddenFields.Any()) return access;
        var hidden = access.HiddenFields.ToHashSet(StringComparer.Ordinal);
        var changed = false;
        // Until nothing changes: a formula reading a formula that became hidden becomes hidden (chains are short; cycles are refused on save).
        for (var again = true; again;)
        {
            again = false;
            foreach (var formula in formulas)
            {
                if (hidden.Contains(formula.Key)) continue;
                if (!formula.References.Any(r => hidden.Contains(r == Records.FormulaExpression.StageProbability ? stageFieldKey ?? r : Records.FormulaExpression.FieldOf(r)))) continue;
                hidden.Add(formula.Key);
                again = changed = true;
            }
        }
        if (!changed) return access;
        var fields = new Dictionary<string, FieldAccessLevel>(access.Fields, StringComparer.Ordinal);
        foreach (var key in hidden) fields[key] = FieldAccessLevel.Hidden;
        return new EntityAccess
        {
            EntityTypeId = access.EntityTypeId, UserId = access.UserId, Unrestricted = access.Unrestricted, CanCreate = access.CanCreate,
            Read = access.Read, Edit = access.Edit, Delete = access.Delete, DepartmentIds = access.DepartmentIds, Fields = fields,
        };
    }

    /// <summary>The formula fields' references, read from their expressions (an expression that does not parse reads nothing).</summary>
    public static FormulaDependency Of(string key, string? expression)
    {
        try { return new FormulaDependency(key, string.IsNullOrWhiteSpace(expression) ? [] : Records.FormulaExpression.Parse(expression).References); }
        catch (FormatException) { return new FormulaDependency(key, []); }
    }
}

/// <summary>The workspace's departments and who belongs to which, as loaded for one access computation.</summary>
public sealed class OrgChart(IReadOnlyCollection<Department> departments, IReadOnlyCollection<DepartmentMember> members)
{
    private readonly ILookup<Guid?, Guid> _children = departments.ToLookup(d => d.ParentId, d => d.Id);
    private readonly ILookup<Guid, Guid> _departmentsOfUser = members.ToLookup(m => m.UserId, m => m.DepartmentId);
    private readonly ILookup<Guid, Guid> _usersOfDepartment = members.ToLookup(m => m.DepartmentId, m => m.UserId);

    public static readonly OrgChart Empty = new([], []);

    public IReadOnlyList<Guid> DepartmentsOf(Guid userId) => _departmentsOfUser[userId].Distinct().ToList();

    /// <summary>The department and all below it (cycles are impossible to save, but are cut here too).</summary>
    public IReadOnlyList<Guid> Subtree(Guid departmentId)
    {
        var seen = new HashSet<Guid>();
        var stack = new Stack<Guid>([departmentId]);
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (!seen.Add(id)) continue;
            foreach (var child in _children[id]) stack.Push(child);
        }
        return seen.ToList();
    }

    /// <summary>Users whose records are "own or department's" for <paramref name="userId"/> under <paramref name="scope"/>.</summary>
    public IReadOnlyList<Guid> OwnersVisibleTo(Guid userId, DataScope scope)
    {
        var owners = new HashSet<Guid> { userId };
        if (scope is DataScope.OwnAndDepartment or DataScope.OwnAndDepartmentTree)
        {
            var departments = DepartmentsOf(userId);
            var reach = scope == DataScope.OwnAndDepartmentTree ? departments.SelectMany(Subtree).Distinct() : departments;
            foreach (var d in reach)
                foreach (var u in _usersOfDepartment[d]) owners.Add(u);
        }
        return owners.Order().ToList();
    }
}
