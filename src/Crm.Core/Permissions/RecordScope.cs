using System.Linq.Expressions;
using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Permissions;

/// <summary>Which of a user's grants a query or a check is about.</summary>
public enum RecordOperation
{
    Read,
    Edit,
    Delete,
}

/// <summary>
/// The one place that turns an <see cref="EntityAccess"/> grant into SQL over records, so that every surface
/// (lists, boards, reports, search, lookups, the API, bulk actions) filters the same way, in the database:
/// <list type="bullet">
/// <item><see cref="DataScope.All"/>: no predicate at all (the query stays exactly as it was);</item>
/// <item><see cref="DataScope.None"/>: false (shares do not open an entity type the role closes);</item>
/// <item>otherwise: <c>owner_id IN (@owners)</c>, OR one of the owner member fields holds one of @owners
/// (<c>field_values -&gt;&gt; 'key' IN (...)</c>), OR a <see cref="RecordShare"/> exists for the user or one of
/// their departments (for edits: a share that allows editing; shares never allow deleting).</item>
/// </list>
/// The owner list is short (the user, or the members of their departments), so the planner uses the
/// (tenant_id, entity_type_id, owner_id) index and the shares' (tenant_id, record_id) index.
/// </summary>
public static class RecordScope
{
    public static ScopeGrant Grant(this EntityAccess access, RecordOperation operation) => operation switch
    {
        RecordOperation.Edit => access.Edit,
        RecordOperation.Delete => access.Delete,
        _ => access.Read,
    };

    /// <summary>Records of one entity type that <paramref name="access"/> reaches for <paramref name="operation"/>.</summary>
    /// <param name="db">The context <paramref name="query"/> comes from (the share test is a subquery in it).</param>
    public static IQueryable<Record> Apply(IQueryable<Record> query, CrmDbContext db, EntityAccess access, RecordOperation operation = RecordOperation.Read)
        => Predicate(db, access, operation) is { } predicate ? query.Where(predicate) : query;

    /// <summary>
    /// Cross-type surfaces (global search, timelines, tasks): records of the types in <paramref name="accesses"/>,
    /// each filtered by its own grant; records of other types are left out.
    /// </summary>
    public static IQueryable<Record> Apply(IQueryable<Record> query, CrmDbContext db, IReadOnlyDictionary<Guid, EntityAccess> accesses, RecordOperation operation = RecordOperation.Read)
        => query.Where(PredicateForTypes(db, accesses, operation));

    /// <summary>The predicate for a cross-type query: unrestricted types in one IN list, each restricted one with its own test.</summary>
    public static Expression<Func<Record, bool>> PredicateForTypes(CrmDbContext db, IReadOnlyDictionary<Guid, EntityAccess> accesses, RecordOperation operation = RecordOperation.Read)
    {
        var open = accesses.Values.Where(a => a.Grant(operation).IsAll).Select(a => a.EntityTypeId).ToList();
        Expression<Func<Record, bool>> result = open.Count == 0 ? r => false : r => open.Contains(r.EntityTypeId);
        foreach (var access in accesses.Values.Where(a => a.Grant(operation) is { IsAll: false, IsNone: false }))
        {
            var typeId = access.EntityTypeId;
            Expression<Func<Record, bool>> ofType = r => r.EntityTypeId == typeId;
            result = Or(result, And(ofType, Predicate(db, access, operation)!));
        }
        return result;
    }

    /// <summary>The filter for one entity type, or null when the grant reaches every record.</summary>
    public static Expression<Func<Record, bool>>? Predicate(CrmDbContext db, EntityAccess access, RecordOperation operation = RecordOperation.Read)
    {
        var grant = access.Grant(operation);
        if (grant.IsAll) return null;
        if (grant.IsNone) return r => false;

        var owners = grant.OwnerUserIds.Select(g => (Guid?)g).ToList();
        Expression<Func<Record, bool>> predicate = r => owners.Contains(r.OwnerId);
        if (grant.OwnerFieldKeys.Count > 0)
        {
            var texts = grant.OwnerUserIds.Select(g => g.ToString()).ToList();
            foreach (var key in grant.OwnerFieldKeys)
                predicate = Or(predicate, r => texts.Contains(JsonSql.Text(r.Values, EF.Constant(key))!));
        }
        if (operation != RecordOperation.Delete)
        {
            var userId = (Guid?)access.UserId;
            var departments = access.DepartmentIds.Select(d => (Guid?)d).ToList();
            var edit = operation == RecordOperation.Edit;
            var shares = db.RecordShares;
            predicate = departments.Count == 0
                ? Or(predicate, r => shares.Any(s => s.RecordId == r.Id && s.UserId == userId && (!edit || s.CanEdit)))
                : Or(predicate, r => shares.Any(s => s.RecordId == r.Id && (s.UserId == userId || departments.Contains(s.DepartmentId)) && (!edit || s.CanEdit)));
        }
        return predicate;
    }

    /// <summary>
    /// Whether a record with these owner and values falls in the grant, in memory (the write check of a record
    /// after its change: the share part is passed in, as it does not depend on the values).
    /// </summary>
    public static bool Covers(EntityAccess access, RecordOperation operation, Guid? ownerId, JsonObject values, bool shared)
    {
        var grant = access.Grant(operation);
        if (grant.IsAll) return true;
        if (grant.IsNone) return false;
        if (shared && operation != RecordOperation.Delete) return true;
        if (ownerId is { } o && grant.OwnerUserIds.Contains(o)) return true;
        foreach (var key in grant.OwnerFieldKeys)
            if (values[key] is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) && grant.OwnerUserIds.Contains(g))
                return true;
        return false;
    }

    /// <summary>Whether record <paramref name="recordId"/> is shared with the user (for editing when <paramref name="edit"/>).</summary>
    public static Task<bool> IsSharedAsync(CrmDbContext db, EntityAccess access, Guid recordId, bool edit, CancellationToken ct = default)
    {
        var userId = (Guid?)access.UserId;
        var departments = access.DepartmentIds.Select(d => (Guid?)d).ToList();
        return db.RecordShares.AnyAsync(s => s.RecordId == recordId && (s.UserId == userId || departments.Contains(s.DepartmentId)) && (!edit || s.CanEdit), ct);
    }

    private static Expression<Func<Record, bool>> Or(Expression<Func<Record, bool>> a, Expression<Func<Record, bool>> b)
        => Expression.Lambda<Func<Record, bool>>(Expression.OrElse(a.Body, new Rebind(b.Parameters[0], a.Parameters[0]).Visit(b.Body)!), a.Parameters);

    private static Expression<Func<Record, bool>> And(Expression<Func<Record, bool>> a, Expression<Func<Record, bool>> b)
        => Expression.Lambda<Func<Record, bool>>(Expression.AndAlso(a.Body, new Rebind(b.Parameters[0], a.Parameters[0]).Visit(b.Body)!), a.Parameters);

    private sealed class Rebind(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}

/// <summary>What one actor may do with one record they can read (the record page shows its buttons by it).</summary>
public sealed record RecordRights(bool CanEdit, bool CanDelete, bool CanShare);
