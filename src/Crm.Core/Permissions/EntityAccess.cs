namespace Crm.Core.Permissions;

/// <summary>
/// Which records one grant (read, edit or delete) reaches for one user: <see cref="DataScope.All"/>, none, or the
/// records "owned" (owner column or one of <see cref="OwnerFieldKeys"/>) by one of <see cref="OwnerUserIds"/>.
/// Records shared with the user or one of their departments come on top (see <see cref="EntityAccess"/>).
/// </summary>
public sealed record ScopeGrant(DataScope Scope, IReadOnlyList<string> OwnerFieldKeys, IReadOnlyList<Guid> OwnerUserIds)
{
    public static readonly ScopeGrant All = new(DataScope.All, [], []);
    public static readonly ScopeGrant None = new(DataScope.None, [], []);
    public bool IsAll => Scope == DataScope.All;
    public bool IsNone => Scope == DataScope.None;
}

/// <summary>
/// What one user may do with one entity type's records and fields, as the database says now. Built by
/// <see cref="IAccessResolver"/>; every read surface turns <see cref="Read"/> into a SQL predicate, every write
/// checks <see cref="Edit"/> / <see cref="Delete"/> and the field levels on the server.
/// </summary>
public sealed class EntityAccess
{
    public required Guid EntityTypeId { get; init; }
    public required Guid UserId { get; init; }
    /// <summary>No custom role restricts this entity type for the user (or the user administers the workspace).</summary>
    public required bool Unrestricted { get; init; }
    public required bool CanCreate { get; init; }
    public required ScopeGrant Read { get; init; }
    public required ScopeGrant Edit { get; init; }
    public required ScopeGrant Delete { get; init; }
    /// <summary>The user's own departments (for records shared with a department).</summary>
    public required IReadOnlyList<Guid> DepartmentIds { get; init; }
    /// <summary>Field key → level; fields not listed are editable (subject to the base role).</summary>
    public required IReadOnlyDictionary<string, FieldAccessLevel> Fields { get; init; }

    public FieldAccessLevel Field(string key) => Fields.TryGetValue(key, out var level) ? level : FieldAccessLevel.Editable;
    public bool CanSeeField(string key) => Field(key) != FieldAccessLevel.Hidden;
    public bool CanWriteField(string key) => Field(key) == FieldAccessLevel.Editable;
    public IEnumerable<string> HiddenFields => Fields.Where(f => f.Value == FieldAccessLevel.Hidden).Select(f => f.Key);

    /// <summary>Everything allowed: owners and admins, and members whose roles say nothing about this entity type.</summary>
    public static EntityAccess Full(Guid entityTypeId, Guid userId, bool canWrite) => new()
    {
        EntityTypeId = entityTypeId,
        UserId = userId,
        Unrestricted = true,
        CanCreate = canWrite,
        Read = ScopeGrant.All,
        Edit = canWrite ? ScopeGrant.All : ScopeGrant.None,
        Delete = canWrite ? ScopeGrant.All : ScopeGrant.None,
        DepartmentIds = [],
        Fields = new Dictionary<string, FieldAccessLevel>(),
    };
}
