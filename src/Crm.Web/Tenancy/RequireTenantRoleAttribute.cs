using Crm.Core.Tenancy;

namespace Crm.Web.Tenancy;

/// <summary>
/// On a page or endpoint: the minimum workspace role. Read from endpoint metadata by
/// <see cref="TenantResolutionMiddleware"/> (HTTP: 403) and by <c>TenantGate</c> inside a circuit.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RequireTenantRoleAttribute(MemberRole minimum) : Attribute
{
    public MemberRole Minimum { get; } = minimum;
}
