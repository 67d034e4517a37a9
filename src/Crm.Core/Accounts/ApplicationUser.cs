using Crm.Core.Data;
using Microsoft.AspNetCore.Identity;

namespace Crm.Core.Accounts;

/// <summary>A person. People are global: one login may belong to several workspaces (see <see cref="TenantMembership"/>).</summary>
[GlobalEntity("A login spans workspaces; membership says where it may go.")]
public sealed class ApplicationUser : IdentityUser<Guid>
{
    public ApplicationUser() => Id = Guid.CreateVersion7();

    public string DisplayName { get; set; } = "";

    /// <summary>zh-CN or en; null follows the browser.</summary>
    public string? PreferredCulture { get; set; }

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}
