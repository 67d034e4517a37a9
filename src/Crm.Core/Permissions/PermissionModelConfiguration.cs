using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Permissions;

/// <summary>EF mapping of the organisation (departments), custom-role assignments, entity permissions and shares.</summary>
internal static class PermissionModelConfiguration
{
    public static void Configure(ModelBuilder b, bool pg)
    {
        b.Entity<Department>(e =>
        {
            e.ToTable("departments");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(100);
            e.HasIndex(x => new { x.TenantId, x.Key }).IsUnique();
            e.HasIndex(x => new { x.TenantId, x.ParentId });
            e.HasOne<Department>().WithMany().HasForeignKey(x => new { x.TenantId, x.ParentId }).OnDelete(DeleteBehavior.Restrict);
        });

        b.Entity<DepartmentMember>(e =>
        {
            e.ToTable("department_members");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.DepartmentId, x.UserId }).IsUnique();
            e.HasIndex(x => new { x.TenantId, x.UserId });
            e.HasOne<Department>().WithMany().HasForeignKey(x => new { x.TenantId, x.DepartmentId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<MemberRoleAssignment>(e =>
        {
            e.ToTable("member_role_assignments");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.UserId, x.RoleId }).IsUnique();
            e.HasIndex(x => new { x.TenantId, x.RoleId });
            e.HasOne<RoleDefinition>().WithMany().HasForeignKey(x => new { x.TenantId, x.RoleId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<EntityPermission>(e =>
        {
            e.ToTable("entity_permissions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.RoleId, x.EntityTypeId }).IsUnique();
            e.Property(x => x.Read).HasConversion<string>().HasMaxLength(24);
            e.Property(x => x.Edit).HasConversion<string>().HasMaxLength(24);
            e.Property(x => x.Delete).HasConversion<string>().HasMaxLength(24);
            e.Property(x => x.OwnerFieldKeys).AsJson(pg);
            e.Property(x => x.Fields).AsJson(pg);
            e.HasOne<RoleDefinition>().WithMany().HasForeignKey(x => new { x.TenantId, x.RoleId }).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<RecordShare>(e =>
        {
            e.ToTable("record_shares");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.RecordId });
            // The scope predicate looks up "records shared with this user / these departments": with record_id in
            // the index the planner answers it from the index alone (and can hash the set once per query).
            e.HasIndex(x => new { x.TenantId, x.UserId, x.RecordId });
            e.HasIndex(x => new { x.TenantId, x.DepartmentId, x.RecordId });
            e.HasOne<Record>().WithMany().HasForeignKey(x => new { x.TenantId, x.RecordId }).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Department>().WithMany().HasForeignKey(x => new { x.TenantId, x.DepartmentId }).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
