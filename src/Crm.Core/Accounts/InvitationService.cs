using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Accounts;

public sealed record InvitationView(Guid Id, string Email, MemberRole Role, DateTime CreatedAt, DateTime ExpiresAt, DateTime? AcceptedAt, DateTime? RevokedAt);

/// <summary>
/// Invitations by link: no mail server is assumed, so the admin copies the link. The link carries the
/// workspace slug and a random token; the database keeps only the token's hash.
/// </summary>
public sealed class InvitationService(ICrmDbContextFactory factory, ITenantStore tenants, TimeProvider clock, AuditTrail audit)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public async Task<(Invitation Invitation, string Token)> CreateAsync(Actor actor, string email, MemberRole role, CancellationToken ct = default)
    {
        var actorRole = await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        if (role == MemberRole.Owner && actorRole != MemberRole.Owner) throw new ForbiddenException(MemberRole.Owner);
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var now = clock.GetUtcNow().UtcDateTime;
        var invitation = new Invitation
        {
            Email = email.Trim(),
            Role = role,
            TokenHash = ApiKey.HashKey(token),
            InvitedBy = actor.UserId,
            CreatedAt = now,
            ExpiresAt = now + Lifetime,
        };
        await using var db = factory.CreateForTenant(actor.TenantId);
        db.Invitations.Add(invitation);
        audit.Stage(db, actor, new AuditEvent(AuditActions.MemberInvited, AuditActions.Targets.Invitation, invitation.Id.ToString(),
            invitation.Email, new JsonObject { ["role"] = role.ToString() }));
        await db.SaveChangesAsync(ct);
        return (invitation, token);
    }

    public async Task<IReadOnlyList<InvitationView>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Admin);
        await using var db = factory.CreateForTenant(actor.TenantId);
        return await db.Invitations.AsNoTracking().OrderByDescending(i => i.CreatedAt)
            .Select(i => new InvitationView(i.Id, i.Email, i.Role, i.CreatedAt, i.ExpiresAt, i.AcceptedAt, i.RevokedAt))
            .ToListAsync(ct);
    }

    public async Task RevokeAsync(Actor actor, Guid invitationId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var invitation = await db.Invitations.FirstOrDefaultAsync(i => i.Id == invitationId, ct)
            ?? throw new MembershipException(MembershipProblem.InvitationInvalid);
        if (invitation.RevokedAt is not null) return;
        invitation.RevokedAt = clock.GetUtcNow().UtcDateTime;
        audit.Stage(db, actor, new AuditEvent(AuditActions.InvitationRevoked, AuditActions.Targets.Invitation, invitation.Id.ToString(),
            invitation.Email, new JsonObject { ["role"] = invitation.Role.ToString() }));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Looks up an open invitation without accepting it (to show "join X as Member?").</summary>
    public async Task<(TenantInfo Tenant, Invitation Invitation)?> FindOpenAsync(string slug, string token, CancellationToken ct = default)
    {
        var tenant = await tenants.GetByIdentifierAsync(slug, ct);
        if (tenant is null) return null;
        await using var db = factory.CreateForTenant(tenant.Id);
        var hash = ApiKey.HashKey(token);
        var invitation = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.TokenHash == hash, ct);
        return invitation is not null && invitation.IsOpen(clock.GetUtcNow().UtcDateTime) ? (tenant, invitation) : null;
    }

    /// <summary>Accepts: the signed-in user joins with the invited role. The invitation is used once.</summary>
    public async Task<TenantInfo> AcceptAsync(string slug, string token, ApplicationUser user, CancellationToken ct = default)
        => await AcceptAsync(slug, token, user, null, ct);

    /// <summary>As above; <paramref name="origin"/> is where the new member joined from, for the audit log.</summary>
    public async Task<TenantInfo> AcceptAsync(string slug, string token, ApplicationUser user, RequestOrigin? origin, CancellationToken ct = default)
    {
        var found = await FindOpenAsync(slug, token, ct) ?? throw new MembershipException(MembershipProblem.InvitationInvalid);
        if (!string.Equals(found.Invitation.Email, user.Email, StringComparison.OrdinalIgnoreCase))
            throw new MembershipException(MembershipProblem.InvitationEmailMismatch);
        var now = clock.GetUtcNow().UtcDateTime;

        // Memberships are global rows, the invitation a tenant row: the tenant's context writes both in one SaveChanges.
        await using var db = factory.CreateForTenant(found.Tenant.Id);
        if (await db.Memberships.AnyAsync(m => m.TenantId == found.Tenant.Id && m.UserId == user.Id, ct))
            throw new MembershipException(MembershipProblem.AlreadyMember);
        var invitation = await db.Invitations.FirstAsync(i => i.Id == found.Invitation.Id, ct);
        invitation.AcceptedAt = now;
        invitation.AcceptedBy = user.Id;
        db.Memberships.Add(new TenantMembership { TenantId = found.Tenant.Id, UserId = user.Id, Role = found.Invitation.Role, JoinedAt = now });
        var joined = new Actor(user.Id, MembershipService.UserLabel(user.DisplayName, user.Email), found.Tenant, found.Invitation.Role) { Origin = origin };
        audit.Stage(db, joined, new AuditEvent(AuditActions.MemberJoined, AuditActions.Targets.User, user.Id.ToString(),
            joined.DisplayName, new JsonObject { ["role"] = found.Invitation.Role.ToString(), ["invitation"] = invitation.Id.ToString() }));
        await db.SaveChangesAsync(ct);
        return found.Tenant;
    }
}
