using Crm.Core.Automation;
using Crm.Core.Metadata;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Data;

// Automation rules (metadata), their run history and the claims of time-based firings. Tenant-owned like the rest.
public partial class CrmDbContext
{
    public DbSet<AutomationRule> AutomationRules => Set<AutomationRule>();
    public DbSet<AutomationRun> AutomationRuns => Set<AutomationRun>();
    public DbSet<AutomationFiring> AutomationFirings => Set<AutomationFiring>();

    private static void ConfigureAutomation(ModelBuilder b, bool pg)
    {
        b.Entity<AutomationRule>(e =>
        {
            e.ToTable("automation_rules");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Name).AsJson(pg);
            e.Property(x => x.Trigger).AsJson(pg);
            e.Property(x => x.Conditions).AsJson(pg);
            e.Property(x => x.Actions).AsJson(pg);
            e.Property(x => x.Origin).HasMaxLength(100);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<AutomationRun>(e =>
        {
            e.ToTable("automation_runs");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Trigger).HasMaxLength(40);
            e.Property(x => x.Outcomes).AsJson(pg);
            e.Property(x => x.Error).HasMaxLength(1000);
            e.HasOne<AutomationRule>().WithMany().HasForeignKey(x => new { x.TenantId, x.RuleId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.RuleId, x.At });
            e.HasIndex(x => new { x.TenantId, x.RecordId, x.At });
        });

        b.Entity<AutomationFiring>(e =>
        {
            e.ToTable("automation_firings");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Occurrence).HasMaxLength(100);
            e.HasIndex(x => new { x.TenantId, x.RuleId, x.SubjectId, x.Occurrence }).IsUnique();
            e.HasOne<AutomationRule>().WithMany().HasForeignKey(x => new { x.TenantId, x.RuleId }).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
