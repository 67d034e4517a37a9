using Crm.Core.Files;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Data;

// Files and images: one row per uploaded file; the bytes are in the IFileStore.
public partial class CrmDbContext
{
    public DbSet<StoredFile> Files => Set<StoredFile>();

    private static void ConfigureFiles(ModelBuilder b)
    {
        b.Entity<StoredFile>(e =>
        {
            e.ToTable("files");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.FieldKey).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.ContentType).HasMaxLength(100);
            e.Property(x => x.Kind).HasMaxLength(20);
            e.Property(x => x.Sha256).HasMaxLength(64);
            e.Property(x => x.StorageKey).HasMaxLength(100);
            e.Property(x => x.ThumbnailKey).HasMaxLength(100);
            // A record's delete removes its file rows; the orphan sweep then removes the bytes.
            e.HasOne<Record>().WithMany().HasForeignKey(x => new { x.TenantId, x.RecordId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.RecordId });
            // The sweep's scan for uploads no record took.
            e.HasIndex(x => new { x.TenantId, x.CreatedAt }).HasFilter("record_id IS NULL");
        });
    }
}
