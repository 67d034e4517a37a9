using Crm.Core.Cluster;
using Crm.Core.Data;
using Crm.Core.Jobs;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Core.Accounts;

/// <summary>
/// The Owner deletes the workspace. In one transaction: the workspace is marked deleted (<see cref="TenantInfo.DeletedAt"/>,
/// so it resolves as unknown from now on), its <see cref="WorkspaceErasure"/> row is written (which lets the erasure
/// delete its audit trail), its memberships and API keys are removed (so no sign-in, page, circuit or key reaches it,
/// whatever any instance has cached) and the erasure job is queued. After the commit this instance's tenant cache and
/// the other instances' (cluster message) drop the workspace and its members' open pages are told they were removed.
/// The data itself is erased by <see cref="WorkspaceEraser"/> in the background.
/// </summary>
public sealed class WorkspaceDeletion(
    ICrmDbContextFactory factory,
    ITenantStore tenants,
    IMembershipChanges changes,
    IClusterNotifier cluster,
    IStringLocalizer<CoreStrings> t,
    TimeProvider clock,
    ILogger<WorkspaceDeletion>? logger = null)
{
    /// <summary>The kind of the queued erasure job (payload: the workspace id).</summary>
    public const string JobKind = "workspace.erase";

    /// <summary>The key of the typed confirmation in the returned errors.</summary>
    public const string ConfirmField = "ConfirmSlug";

    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>
    /// Deletes the actor's workspace when they are its Owner now (checked in the database) and <paramref name="typedSlug"/>
    /// is exactly its slug. Returns errors keyed <see cref="ConfirmField"/> (nothing changed) or none (deleted).
    /// Throws <see cref="ForbiddenException"/> for anyone but a current Owner, API keys included.
    /// </summary>
    public async Task<ValidationErrors> RequestAsync(Actor actor, string? typedSlug, CancellationToken ct = default)
    {
        // An API key acts for an integration, never as the Owner: deleting the workspace needs the person.
        if (actor.Kind == ActorKind.ApiKey) throw new ForbiddenException(MemberRole.Owner);
        var errors = new ValidationErrors();
        await using var db = factory.CreateGlobal();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Owner, ct);
        var tenant = await db.Tenants.FirstOrDefaultAsync(x => x.Id == actor.TenantId && x.DeletedAt == null, ct);
        if (tenant is null)
        {
            errors.Add(ConfirmField, t["WorkspaceDelete.AlreadyDeleted"]);
            return errors;
        }
        if (string.IsNullOrWhiteSpace(typedSlug))
        {
            errors.Add(ConfirmField, t["WorkspaceDelete.ConfirmRequired", tenant.Identifier]);
            return errors;
        }
        // Exactly the slug: no trimming or case folding, the point is that the person read it.
        if (!string.Equals(typedSlug, tenant.Identifier, StringComparison.Ordinal))
        {
            errors.Add(ConfirmField, t["WorkspaceDelete.ConfirmMismatch", typedSlug, tenant.Identifier]);
            return errors;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var members = await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenant.Id).Select(m => m.UserId).ToListAsync(ct);
        tenant.DeletedAt = now;
        db.WorkspaceErasures.Add(new WorkspaceErasure { TenantId = tenant.Id, Slug = tenant.Identifier, RequestedBy = actor.UserId, RequestedAt = now });
        db.QueuedJobs.Add(new QueuedJob { Kind = JobKind, TenantId = tenant.Id, Payload = tenant.Id.ToString(), CreatedAt = now, RunAfter = now });
        await db.SaveChangesAsync(ct);
        await db.Memberships.Where(m => m.TenantId == tenant.Id).ExecuteDeleteAsync(ct);
        await db.ApiKeys.Where(k => k.TenantId == tenant.Id).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);

        tenants.Invalidate(tenant);
        cluster.Notify(ClusterMessages.Tenant(tenant.Id, tenant.Identifier));
        foreach (var userId in members) changes.Publish(new MembershipChange(tenant.Id, userId, null));
        _logger.LogWarning("Workspace {TenantId} ({Slug}) deleted by its owner {UserId}; erasure queued", tenant.Id, tenant.Identifier, actor.UserId);
        return errors;
    }
}
