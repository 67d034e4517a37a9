using Crm.Core.Data;

namespace Crm.Core.Tenancy;

/// <summary>
/// A workspace. Shaped like Finbuckle's <c>TenantInfo</c>: <see cref="Identifier"/> is the URL slug.
/// Global by nature: the tenant store is what resolves a request to a tenant.
/// </summary>
[GlobalEntity("The tenant store itself; read before any tenant is known.")]
public sealed class TenantInfo
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>The URL slug: <c>/t/{Identifier}/…</c> or <c>{Identifier}.{domain}</c>.</summary>
    public string Identifier { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>Default UI culture of the workspace (zh-CN or en) for members without a preference.</summary>
    public string DefaultCulture { get; set; } = "zh-CN";

    /// <summary>
    /// The workspace's time zone (IANA id, e.g. <c>Asia/Shanghai</c>): what "a day" and "a month" mean in reports and
    /// date ranges. Instants are stored in UTC; only bucketing and ranges use this.
    /// </summary>
    public string TimeZone { get; set; } = WorkspaceTimeZone.Utc;

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>
    /// Set when the Owner deleted the workspace: from then on it resolves as unknown (404) everywhere, and a background
    /// job erases its data and finally this row (see <see cref="WorkspaceErasure"/>). The slug stays taken until then.
    /// </summary>
    public DateTime? DeletedAt { get; set; }
}
