using Crm.Core.Audit;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Data;

// The audit log: a tenant table (RLS like the others) and a global table for sign-ins that name no workspace.
// Neither has foreign keys to records or users: entries keep their own labels and outlive what they mention.
public partial class CrmDbContext
{
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<SignInEvent> SignInEvents => Set<SignInEvent>();

    private static void ConfigureAudit(ModelBuilder b)
    {
        b.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit_entries");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Id).ValueGeneratedNever();
            // Newest first, narrowed by action or actor: the page's and the API's queries.
            e.HasIndex(x => new { x.TenantId, x.At });
            e.HasIndex(x => new { x.TenantId, x.Action, x.At });
            e.HasIndex(x => new { x.TenantId, x.ActorUserId, x.At });
            e.Property(x => x.Action).HasMaxLength(AuditEntry.MaxActionLength);
            e.Property(x => x.ActorName).HasMaxLength(AuditEntry.MaxActorNameLength);
            e.Property(x => x.TargetType).HasMaxLength(AuditEntry.MaxTargetTypeLength);
            e.Property(x => x.TargetId).HasMaxLength(AuditEntry.MaxTargetIdLength);
            e.Property(x => x.TargetLabel).HasMaxLength(AuditEntry.MaxLabelLength);
            e.Property(x => x.Details).HasMaxLength(AuditEntry.MaxDetailsLength);
            e.Property(x => x.IpAddress).HasMaxLength(RequestOrigin.MaxIpLength);
            e.Property(x => x.UserAgent).HasMaxLength(RequestOrigin.MaxUserAgentLength);
        });

        b.Entity<SignInEvent>(e =>
        {
            e.ToTable("sign_in_events");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.HasIndex(x => x.At);
            e.HasIndex(x => new { x.UserId, x.At });
            e.Property(x => x.Email).HasMaxLength(256);
            e.Property(x => x.Reason).HasMaxLength(32);
            e.Property(x => x.IpAddress).HasMaxLength(RequestOrigin.MaxIpLength);
            e.Property(x => x.UserAgent).HasMaxLength(RequestOrigin.MaxUserAgentLength);
        });
    }
}
