using Crm.Core.Data;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Permissions;

/// <summary>
/// After a committed change of roles, permissions or departments: tells the open pages of the members concerned,
/// through <see cref="IMembershipChanges"/>, that their access changed. Their base role is sent unchanged, with
/// <see cref="MembershipChange.AccessChanged"/> set, so pages re-read their rights without saying the role changed.
/// </summary>
internal static class AccessChanges
{
    public static async Task PublishAsync(ICrmDbContextFactory factory, IMembershipChanges changes, Guid tenantId, IEnumerable<Guid> userIds, CancellationToken ct)
    {
        var ids = userIds.Distinct().ToList();
        if (ids.Count == 0) return;
        await using var db = factory.CreateGlobal();
        var roles = await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && ids.Contains(m.UserId))
            .Select(m => new { m.UserId, m.Role }).ToListAsync(ct);
        foreach (var r in roles)
            changes.Publish(new MembershipChange(tenantId, r.UserId, r.Role) { AccessChanged = true });
    }
}
