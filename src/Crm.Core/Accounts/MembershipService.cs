using System.Text.Json.Nodes;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Accounts;

public sealed record WorkspaceSummary(Guid TenantId, string Identifier, string Name, MemberRole Role);

public sealed record MemberSummary(Guid UserId, string Email, string DisplayName, MemberRole Role, DateTime JoinedAt);

/// <summary>Membership rules: who belongs where, and who may change roles.</summary>
public sealed class MembershipService(ICrmDbContextFactory factory, IMembershipChanges changes, AuditTrail audit)
{
    public async Task<IReadOnlyList<WorkspaceSummary>> GetWorkspacesAsync(Guid userId, CancellationToken ct = default)
    {
        await using var db = factory.CreateGlobal();
        return await db.Memberships.AsNoTracking()
            .Where(m => m.UserId == userId)
            .OrderBy(m => m.Tenant!.Name)
            .Select(m => new WorkspaceSummary(m.TenantId, m.Tenant!.Identifier, m.Tenant.Name, m.Role))
            .ToListAsync(ct);
    }

    /// <summary>The name the user signed up with (what the top bar shows), null for an unknown user or an empty name.</summary>
    public async Task<string?> GetDisplayNameAsync(Guid userId, CancellationToken ct = default)
    {
        await using var db = factory.CreateGlobal();
        var name = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.DisplayName).FirstOrDefaultAsync(ct);
        return string.IsNullOrWhiteSpace(name) ? null : name;
    }

    public async Task<MemberRole?> GetRoleAsync(Guid tenantId, Guid userId, CancellationToken ct = default)
    {
        await using var db = factory.CreateGlobal();
        var m = await db.Memberships.AsNoTracking().FirstOrDefaultAsync(x => x.TenantId == tenantId && x.UserId == userId, ct);
        return m?.Role;
    }

    public async Task<IReadOnlyList<MemberSummary>> GetMembersAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateGlobal();
        var members = await db.Memberships.AsNoTracking()
            .Where(m => m.TenantId == actor.TenantId)
            .Select(m => new MemberSummary(m.UserId, m.User!.Email ?? "", m.User.DisplayName, m.Role, m.JoinedAt))
            .ToListAsync(ct);
        // Sorted here, not in SQL: the role column holds the enum's name, so ORDER BY would be alphabetical.
        return members.OrderByDescending(m => m.Role).ThenBy(m => m.DisplayName, StringComparer.CurrentCulture).ToList();
    }

    /// <summary>
    /// Admins manage Members and Viewers and may promote to Admin; only an Owner grants or removes Owner, and the
    /// last Owner of a workspace cannot be demoted (a workspace always has someone who can administer it).
    /// </summary>
    public async Task ChangeRoleAsync(Actor actor, Guid userId, MemberRole newRole, CancellationToken ct = default)
    {
        // The workspace's context: memberships are global rows, the audit entry a tenant row, one SaveChanges.
        await using var db = factory.CreateForTenant(actor.TenantId);
        var actorRole = await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.TenantId == actor.TenantId && m.UserId == userId, ct)
            ?? throw new MembershipException(MembershipProblem.NotAMember);
        if ((membership.Role == MemberRole.Owner || newRole == MemberRole.Owner) && actorRole != MemberRole.Owner)
            throw new ForbiddenException(MemberRole.Owner);
        if (membership.Role == MemberRole.Owner && newRole != MemberRole.Owner)
        {
            var owners = await db.Memberships.CountAsync(m => m.TenantId == actor.TenantId && m.Role == MemberRole.Owner, ct);
            if (owners <= 1) throw new MembershipException(MembershipProblem.LastOwner);
        }
        var oldRole = membership.Role;
        if (oldRole == newRole) return;
        membership.Role = newRole;
        audit.Stage(db, actor, new AuditEvent(AuditActions.MemberRoleChanged, AuditActions.Targets.User, userId.ToString(),
            await LabelAsync(db, userId, ct), new JsonObject { ["from"] = oldRole.ToString(), ["to"] = newRole.ToString() }));
        await db.SaveChangesAsync(ct);
        changes.Publish(new MembershipChange(actor.TenantId, userId, newRole));
    }

    public async Task RemoveAsync(Actor actor, Guid userId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var actorRole = await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.TenantId == actor.TenantId && m.UserId == userId, ct)
            ?? throw new MembershipException(MembershipProblem.NotAMember);
        if (membership.Role == MemberRole.Owner)
        {
            if (actorRole != MemberRole.Owner) throw new ForbiddenException(MemberRole.Owner);
            var owners = await db.Memberships.CountAsync(m => m.TenantId == actor.TenantId && m.Role == MemberRole.Owner, ct);
            if (owners <= 1) throw new MembershipException(MembershipProblem.LastOwner);
        }
        db.Memberships.Remove(membership);
        audit.Stage(db, actor, new AuditEvent(AuditActions.MemberRemoved, AuditActions.Targets.User, userId.ToString(),
            await LabelAsync(db, userId, ct), new JsonObject { ["role"] = membership.Role.ToString() }));
        await db.SaveChangesAsync(ct);
        changes.Publish(new MembershipChange(actor.TenantId, userId, null));
    }

    /// <summary>"Name &lt;e-mail&gt;" of a user, copied into audit entries so they read the same after the user is gone.</summary>
    internal static async Task<string> LabelAsync(CrmDbContext db, Guid userId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.DisplayName, u.Email }).FirstOrDefaultAsync(ct);
        return user is null ? userId.ToString() : UserLabel(user.DisplayName, user.Email);
    }

    internal static string UserLabel(string? displayName, string? email)
        => string.IsNullOrWhiteSpace(displayName) || displayName == email ? email ?? "" : $"{displayName} <{email}>";
}

public enum MembershipProblem
{
    NotAMember,
    LastOwner,
    AlreadyMember,
    InvitationInvalid,
    InvitationEmailMismatch,
}

public sealed class MembershipException(MembershipProblem problem) : Exception(problem.ToString())
{
    public MembershipProblem Problem { get; } = problem;
}
