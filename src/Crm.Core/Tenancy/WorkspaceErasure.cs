using Crm.Core.Data;

namespace Crm.Core.Tenancy;

/// <summary>
/// The platform's record that a workspace was deleted, written in the request that deletes it and kept after its data
/// is gone: ids, the slug and times only, no personal data. While a row exists for a workspace, the append-only
/// triggers of <c>audit_entries</c> let DELETEs of that workspace's entries through (and only those), so the erasure
/// job can remove its audit trail; everybody else's stays append-only. The lease lets one instance at a time erase.
/// </summary>
[GlobalEntity("Outlives the workspace it names (the tenants row is deleted at the end of the erasure); read by the audit trigger across workspaces.")]
public sealed class WorkspaceErasure
{
    public Guid TenantId { get; set; }

    /// <summary>The slug the workspace had; free again once <see cref="FinishedAt"/> is set (the tenants row is gone).</summary>
    public string Slug { get; set; } = "";

    /// <summary>The Owner who asked for the deletion (a user id; the user may be deleted later).</summary>
    public Guid RequestedBy { get; set; }

    public DateTime RequestedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    /// <summary>Rows deleted so far over all tables (progress; kept when finished).</summary>
    public long RowsDeleted { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTime? LeaseUntil { get; set; }
}
