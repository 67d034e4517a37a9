namespace Crm.Core.Data;

/// <summary>
/// A tenant-owned entity whose rows get no foreign key of their own to <c>tenants</c>: its tenant is already held
/// by a required composite foreign key <c>(TenantId, …)</c> to a tenant-owned parent that cascades on delete, and
/// that parent's row must name an existing tenant (and goes when the tenant goes, taking these rows with it).
/// Only for append-heavy tables where the second key check costs per inserted row (import, imp17d); the model test
/// checks the parent chain reaches <c>tenants</c> with cascading deletes.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TenantThroughParentAttribute(string reason) : Attribute
{
    public string Reason { get; } = reason;
}
