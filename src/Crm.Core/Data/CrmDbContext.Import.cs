using Crm.Core.Import;
using Crm.Core.Metadata;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Data;

// Imports: batches (for undo), their items and saved column mappings.
public partial class CrmDbContext
{
    public DbSet<ImportBatch> ImportBatches => Set<ImportBatch>();
    public DbSet<ImportBatchItem> ImportBatchItems => Set<ImportBatchItem>();
    public DbSet<ImportMappingPreset> ImportMappingPresets => Set<ImportMappingPreset>();
    public DbSet<ImportJob> ImportJobs => Set<ImportJob>();

    private static void ConfigureImports(ModelBuilder b, bool pg)
    {
        b.Entity<ImportBatch>(e =>
        {
            e.ToTable("import_batches");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.FileName).HasMaxLength(260);
            e.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.CreatedAt });
        });
        b.Entity<ImportBatchItem>(e =>
        {
            e.ToTable("import_batch_items");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Before).HasColumnType(pg ? "jsonb" : "TEXT");
            e.HasOne<ImportBatch>().WithMany().HasForeignKey(x => new { x.TenantId, x.BatchId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.BatchId });
        });
        b.Entity<ImportMappingPreset>(e =>
        {
            e.ToTable("import_mappings");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Columns).AsJson(pg);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.Name }).IsUnique();
        });
        b.Entity<ImportJob>(e =>
        {
            e.ToTable("import_jobs");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.FileName).HasMaxLength(260);
            e.Property(x => x.Payload).HasColumnType(pg ? "jsonb" : "TEXT");
            e.Property(x => x.Errors).HasColumnType(pg ? "jsonb" : "TEXT");
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Phase).HasConversion<string>().HasMaxLength(16);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.CreatedBy, x.CreatedAt });
        });
    }
}
