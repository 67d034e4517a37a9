using Crm.Core.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Data;

// Webhooks: subscriptions, the outbox of deliveries and the delivery log.
public partial class CrmDbContext
{
    public DbSet<Webhook> Webhooks => Set<Webhook>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<WebhookAttempt> WebhookAttempts => Set<WebhookAttempt>();

    private static void ConfigureWebhooks(ModelBuilder b, bool pg)
    {
        b.Entity<Webhook>(e =>
        {
            e.ToTable("webhooks");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Url).HasMaxLength(2000);
            e.Property(x => x.Description).HasMaxLength(200);
            e.Property(x => x.Events).AsJson(pg);
            e.Property(x => x.EntityTypes).AsJson(pg);
            e.Property(x => x.ProtectedSecret).HasMaxLength(1000);
            e.Property(x => x.DisabledReason).HasMaxLength(500);
        });

        b.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.EventType).HasMaxLength(64);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
            e.Property(x => x.LastError).HasMaxLength(2000);
            e.HasOne<Webhook>().WithMany().HasForeignKey(x => new { x.TenantId, x.WebhookId }).OnDelete(DeleteBehavior.Cascade);
            // The delivery log of one webhook, newest first.
            e.HasIndex(x => new { x.TenantId, x.WebhookId, x.CreatedAt });
        });

        b.Entity<WebhookAttempt>(e =>
        {
            e.ToTable("webhook_attempts");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Error).HasMaxLength(2000);
            e.HasOne<WebhookDelivery>().WithMany().HasForeignKey(x => new { x.TenantId, x.DeliveryId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.DeliveryId, x.AttemptNo });
        });
    }
}
