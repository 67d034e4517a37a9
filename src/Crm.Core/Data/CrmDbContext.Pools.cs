using Crm.Core.Metadata;
using Crm.Core.Notifications;
using Crm.Core.Pools;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Data;

// Pools (公海), notifications and the sweeps' occurrences: configured here so the area's model stays in one file.
public partial class CrmDbContext
{
    public DbSet<Pool> Pools => Set<Pool>();
    public DbSet<PoolEvent> PoolEvents => Set<PoolEvent>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<NotificationPreference> NotificationPreferences => Set<NotificationPreference>();
    public DbSet<SweepOccurrence> SweepOccurrences => Set<SweepOccurrence>();

    private static void ConfigurePoolsAndNotifications(ModelBuilder b, bool pg)
    {
        b.Entity<Pool>(e =>
        {
            e.ToTable("pools");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Label).AsJson(pg);
            e.Property(x => x.Members).AsJson(pg);
            e.Property(x => x.Admins).AsJson(pg);
            e.Property(x => x.Groups).AsJson(pg);
            e.Property(x => x.ReturnRules).AsJson(pg);
            e.Property(x => x.Origin).HasMaxLength(100);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<PoolEvent>(e =>
        {
            e.ToTable("pool_events");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(10);
            e.Property(x => x.Reason).HasMaxLength(500);
            e.HasOne<Pool>().WithMany().HasForeignKey(x => new { x.TenantId, x.PoolId }).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Record>().WithMany().HasForeignKey(x => new { x.TenantId, x.RecordId }).OnDelete(DeleteBehavior.Cascade);
            // Daily claim limit (claims by a person since midnight) and the report (events per pool in a period).
            e.HasIndex(x => new { x.TenantId, x.PoolId, x.Kind, x.UserId, x.At });
            // Cooldown and "owner got it on": the record's latest events.
            e.HasIndex(x => new { x.TenantId, x.RecordId, x.At });
        });

        b.Entity<Notification>(e =>
        {
            e.ToTable("notifications");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Kind).HasMaxLength(64);
            e.Property(x => x.Title).HasMaxLength(300);
            e.Property(x => x.Body).HasMaxLength(2000);
            // The bell: a person's unread count, and the centre: newest first.
            e.HasIndex(x => new { x.TenantId, x.UserId, x.ReadAt });
            e.HasIndex(x => new { x.TenantId, x.UserId, x.CreatedAt });
        });

        b.Entity<NotificationPreference>(e =>
        {
            e.ToTable("notification_preferences");
            e.HasKey(x => x.UserId);
            e.Property(x => x.EmailKinds).AsJson(pg);
            e.HasOne<Accounts.ApplicationUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<SweepOccurrence>(e =>
        {
            e.ToTable("sweep_occurrences");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Kind).HasMaxLength(64);
            e.Property(x => x.Occurrence).HasMaxLength(64);
            // Exactly once: the second worker's insert of the same occurrence fails and its transaction rolls back.
            e.HasIndex(x => new { x.TenantId, x.Kind, x.SubjectId, x.Occurrence }).IsUnique();
        });
    }
}
