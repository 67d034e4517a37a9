using Crm.Core.Data;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Security;

/// <summary>
/// The one check every write makes: is the actor STILL a member of the workspace, with at least this role, as the
/// database says now? An <see cref="Actor"/> is built when a page's circuit opens and may live for hours; its
/// <see cref="Actor.Role"/> is what the page was opened with, good enough to hide buttons but not to authorise a
/// write. Reads keep using <see cref="Actor.Require"/> (the page's copy); open pages learn of changes through
/// <see cref="IMembershipChanges"/>.
/// </summary>
public static class CurrentRights
{
    /// <summary>
    /// Reads the actor's membership (one primary-key lookup) and throws <see cref="ForbiddenException"/> when it is
    /// gone or its role is below <paramref name="minimum"/>. Returns the current role. Pass the context of the
    /// write when there is one, so the check reads inside the write's transaction.
    /// </summary>
    public static async Task<MemberRole> RequireCurrentAsync(this CrmDbContext db, Actor actor, MemberRole minimum, CancellationToken ct = default)
    {
        if (actor.Kind == ActorKind.ApiKey)
        {
            // An API key's actor is built on each request from the key's row, so its role is already current.
            actor.Require(minimum);
            return actor.Role;
        }
        var role = await db.Memberships.AsNoTracking()
            .Where(m => m.TenantId == actor.TenantId && m.UserId == actor.UserId)
            .Select(m => (MemberRole?)m.Role)
            .FirstOrDefaultAsync(ct);
        if (role is null) throw new ForbiddenException(minimum, noLongerMember: true);
        if (!role.Value.IsAtLeast(minimum)) throw new ForbiddenException(minimum);
        return role.Value;
    }

    /// <summary>The same check on a short-lived context of its own, for writes that have not opened one yet.</summary>
    public static async Task<MemberRole> RequireCurrentAsync(this ICrmDbContextFactory factory, Actor actor, MemberRole minimum, CancellationToken ct = default)
    {
        if (actor.Kind == ActorKind.ApiKey)
        {
            actor.Require(minimum);
            return actor.Role;
        }
        await using var db = factory.CreateGlobal();
        return await db.RequireCurrentAsync(actor, minimum, ct);
    }
}
