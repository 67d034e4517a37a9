using Crm.Core.Tenancy;

namespace Crm.Core.Metadata;

/// <summary>A named position from a template (销售代表, 销售经理 …) and the permission level it grants.</summary>
public sealed class RoleDefinition : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public MemberRole BaseRole { get; set; } = MemberRole.Member;
    public LocalizedText? Description { get; set; }
    public string? Origin { get; set; }
}
