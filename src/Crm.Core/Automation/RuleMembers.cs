using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Automation;

/// <summary>
/// Who of the people a save's rules name is still a member of the workspace (and their display names), read once
/// per save: the one-transaction path asks for everyone its rules name up front (one query), later questions
/// about people already asked about cost nothing. Membership is not cached across saves, so someone removed from
/// the workspace is skipped by the next save.
/// </summary>
internal sealed class RuleMembers(Guid tenantId)
{
    private readonly Dictionary<Guid, string?> known = []; // null: asked, not a member

    /// <summary>Of <paramref name="users"/>, the members (in the given order) with their display names.</summary>
    public async Task<List<(Guid UserId, string DisplayName)>> MembersAsync(CrmDbContext db, IEnumerable<Guid> users, CancellationToken ct)
    {
        var wanted = users.Where(u => u != Guid.Empty).Distinct().ToList();
        var missing = wanted.Where(u => !known.ContainsKey(u)).ToList();
        if (missing.Count > 0)
        {
            var found = await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && missing.Contains(m.UserId))
                .Select(m => new { m.UserId, m.User!.DisplayName }).ToListAsync(ct);
            foreach (var id in missing) known[id] = found.FirstOrDefault(f => f.UserId == id)?.DisplayName ?? (found.Any(f => f.UserId == id) ? "" : null);
        }
        return wanted.Where(u => known[u] is not null).Select(u => (u, known[u]!)).ToList();
    }
}
