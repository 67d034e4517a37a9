using Crm.Core.Data;
using Crm.Core.Permissions;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Automation;

/// <summary>
/// People named by role or department (templates cannot know user ids): resolved when a rule runs or a pool is used,
/// so a new sales rep takes part at once and someone who left does not. Only active members count: still in the
/// workspace with the Member role or higher (viewers cannot own records).
/// </summary>
public static class RuleTargets
{
    /// <summary>Holders of <paramref name="roles"/> and members of <paramref name="departments"/> (sub-departments included), by user id.</summary>
    public static async Task<List<Guid>> MembersOfAsync(CrmDbContext db, Guid tenantId, IReadOnlyCollection<Guid> roles, IReadOnlyCollection<Guid> departments, CancellationToken ct)
    {
        if (roles.Count == 0 && departments.Count == 0) return [];
        var users = new HashSet<Guid>();
        if (roles.Count > 0)
            users.UnionWith(await db.MemberRoleAssignments.AsNoTracking().Where(a => roles.Contains(a.RoleId)).Select(a => a.UserId).ToListAsync(ct));
        if (departments.Count > 0)
        {
            var chart = new OrgChart(await db.Departments.AsNoTracking().ToListAsync(ct), []);
            var all = departments.SelectMany(chart.Subtree).Distinct().ToList();
            users.UnionWith(await db.DepartmentMembers.AsNoTracking().Where(m => all.Contains(m.DepartmentId)).Select(m => m.UserId).ToListAsync(ct));
        }
        if (users.Count == 0) return [];
        var ids = users.ToList();
        var active = await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && ids.Contains(m.UserId))
            .Select(m => new { m.UserId, m.Role }).ToListAsync(ct);
        return active.Where(m => m.Role.IsAtLeast(MemberRole.Member)).Select(m => m.UserId).Order().ToList();
    }
}
