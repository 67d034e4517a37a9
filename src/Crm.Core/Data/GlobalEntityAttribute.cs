namespace Crm.Core.Data;

/// <summary>
/// Declares on purpose that an entity is shared by all tenants. Every entity in the EF model is either
/// <see cref="Tenancy.ITenantOwned"/> or carries this attribute with a reason; a test enforces it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GlobalEntityAttribute(string reason) : Attribute
{
    public string Reason { get; } = reason;
}
