using Crm.Core.Data;
using Crm.Core.Tenancy;

namespace Crm.Core.Accounts;

/// <summary>
/// Who belongs to which workspace, with which role. Global on purpose: "my workspaces" reads across tenants.
/// Only <see cref="MembershipService"/> reads it, always by user or by one tenant id.
/// </summary>
[GlobalEntity("Joins global users to tenants; read by user id across workspaces.")]
public sealed class TenantMembership
{
    public Guid TenantId { get; set; }
    public Guid UserId { get; set; }
    public MemberRole Role { get; set; }
    public DateTime JoinedAt { get; set; } = DateTime.UtcNow;

    public TenantInfo? Tenant { get; set; }
    public ApplicationUser? User { get; set; }
}
