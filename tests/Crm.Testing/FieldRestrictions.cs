using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Security;

namespace Crm.Testing;

/// <summary>Gives a member a custom role that hides or locks fields of one entity type (what the permission settings will save).</summary>
public static class FieldRestrictions
{
    public static async Task<RoleDefinition> RestrictAsync(ICrmDbContextFactory factory, Guid tenantId, Actor member, Guid entityTypeId, IReadOnlyDictionary<string, FieldAccessLevel> fields)
    {
        await using var db = factory.CreateForTenant(tenantId);
        var role = new RoleDefinition { Key = "restricted_" + Guid.NewGuid().ToString("N")[..8], Label = LocalizedText.Same("销售") };
        db.AddRange(role,
            new MemberRoleAssignment { UserId = member.UserId, RoleId = role.Id },
            new EntityPermission { RoleId = role.Id, EntityTypeId = entityTypeId, Fields = new Dictionary<string, FieldAccessLevel>(fields) });
        await db.SaveChangesAsync();
        return role;
    }

    public static async Task<RoleDefinition> RestrictAsync(this Workspace ws, Actor member, string entityKey, IReadOnlyDictionary<string, FieldAccessLevel> fields)
    {
        var entity = (await ws.MetadataAsync()).Entity(entityKey) ?? throw new ArgumentException($"No entity type {entityKey}.", nameof(entityKey));
        return await RestrictAsync(ws.Database.Factory, ws.Tenant.Id, member, entity.Entity.Id, fields);
    }
}
