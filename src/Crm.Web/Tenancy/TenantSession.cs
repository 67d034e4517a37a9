using Crm.Core.Security;
using Crm.Core.Tenancy;

namespace Crm.Web.Tenancy;

/// <summary>Cascaded by <c>TenantGate</c> to every page of a workspace: which workspace, and who is acting.</summary>
public sealed record TenantSession(TenantInfo Tenant, Actor Actor)
{
    public string Slug => Tenant.Identifier;

    /// <summary>The workspace's time zone: forms, timelines and lists show and take times in it.</summary>
    public TimeZoneInfo TimeZone => Crm.Core.Tenancy.WorkspaceTimeZone.Resolve(Tenant.TimeZone);

    /// <summary>A link inside this workspace: <c>Href("records/customer")</c> → <c>/t/acme/records/customer</c>.</summary>
    public string Href(string relative = "") => $"/t/{Tenant.Identifier}" + (relative.Length == 0 ? "" : "/" + relative.TrimStart('/'));
}
