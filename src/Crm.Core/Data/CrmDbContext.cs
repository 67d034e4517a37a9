using System.Linq.Expressions;
using Crm.Core.Accounts;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Crm.Core.Data;

/// <summary>
/// The one EF context. It is created per operation through <see cref="ICrmDbContextFactory"/>, which gives it a
/// tenant explicitly (or none, for global work such as sign-in and the tenant store).
/// Isolation: the named query filter <see cref="TenantFilter"/> on every <see cref="ITenantOwned"/> entity, the
/// SaveChanges guard below, and on PostgreSQL row-level security set per connection.
/// </summary>
public partial class CrmDbContext : IdentityDbContext<ApplicationUser, IdentityRole<Guid>, Guid>, IDataProtectionKeyContext
{
    public const string TenantFilter = "Tenant";

    /// <summary>Used by Identity's stores and by design-time tooling: a context without a tenant.</summary>
    public CrmDbContext(DbContextOptions<CrmDbContext> options) : this(options, null) { }

    public CrmDbContext(DbContextOptions<CrmDbContext> options, Guid? tenantId) : base(options)
    {
        TenantId = tenantId;
        // Every SaveChanges in a transaction, which sets the tenant for row-level security right after BEGIN
        // (PostgresTenantSessionInterceptor): correct behind PgBouncer in transaction mode too.
        if (Database.IsNpgsql()) Database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
    }

    /// <summary>The tenant this context may read and write, or null for a global context (sees no tenant rows).</summary>
    public Guid? TenantId { get; }

    public DbSet<TenantInfo> Tenants => Set<TenantInfo>();
    public DbSet<TenantMembership> Memberships => Set<TenantMembership>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<RedeemedSignInTicket> RedeemedSignInTickets => Set<RedeemedSignInTicket>();
    public DbSet<Jobs.JobSchedule> JobSchedules => Set<Jobs.JobSchedule>();
    public DbSet<Jobs.QueuedJob> QueuedJobs => Set<Jobs.QueuedJob>();
    public DbSet<WorkspaceErasure> WorkspaceErasures => Set<WorkspaceErasure>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder); // Identity's model; skipping it would lose its keys and filters.

        builder.Entity<TenantInfo>(e =>
        {
            e.ToTable("tenants");
            e.HasKey(t => t.Id);
            e.Property(t => t.Identifier).HasMaxLength(SlugRules.MaxLength);
            e.HasIndex(t => t.Identifier).IsUnique();
            e.Property(t => t.Name).HasMaxLength(200);
            e.Property(t => t.DefaultCulture).HasMaxLength(10);
            e.Property(t => t.TimeZone).HasMaxLength(64).HasDefaultValue(WorkspaceTimeZone.Utc);
        });

        // Identity's tables, named like the rest of the schema.
        builder.Entity<IdentityRole<Guid>>().ToTable("roles");
        builder.Entity<IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<IdentityRoleClaim<Guid>>().ToTable("role_claims");
        builder.Entity<ApplicationUser>(e =>
        {
            e.ToTable("users");
            e.Property(u => u.DisplayName).HasMaxLength(200);
            e.Property(u => u.PreferredCulture).HasMaxLength(10);
        });

        builder.Entity<TenantMembership>(e =>
        {
            e.ToTable("tenant_memberships");
            e.HasKey(m => new { m.TenantId, m.UserId });
            e.HasIndex(m => m.UserId);
            e.Property(m => m.Role).HasConversion<string>().HasMaxLength(20);
            e.HasOne(m => m.Tenant).WithMany().HasForeignKey(m => m.TenantId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<Invitation>(e =>
        {
            e.ToTable("invitations");
            e.Property(i => i.Email).HasMaxLength(256);
            e.Property(i => i.TokenHash).HasMaxLength(64);
            e.HasIndex(i => new { i.TenantId, i.TokenHash }).IsUnique();
            e.Property(i => i.Role).HasConversion<string>().HasMaxLength(20);
        });

        builder.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasIndex(k => k.Hash).IsUnique();
            e.HasIndex(k => k.TenantId);
            e.Property(k => k.Name).HasMaxLength(200);
            e.Property(k => k.Prefix).HasMaxLength(16);
            e.Property(k => k.Hash).HasMaxLength(64);
            e.Property(k => k.Role).HasConversion<string>().HasMaxLength(20);
            e.HasOne<TenantInfo>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<DataProtectionKey>().ToTable("data_protection_keys");

        builder.Entity<RedeemedSignInTicket>(e =>
        {
            e.ToTable("redeemed_sign_in_tickets");
            e.Property(t => t.Id).ValueGeneratedNever();
            e.HasIndex(t => t.ExpiresAt);
        });

        builder.Entity<Jobs.JobSchedule>(e =>
        {
            e.ToTable("job_schedules");
            e.HasKey(s => s.Name);
            e.Property(s => s.Name).HasMaxLength(Jobs.JobRunner.MaxNameLength);
            e.Property(s => s.LeaseOwner).HasMaxLength(Jobs.JobRunner.MaxNameLength);
            e.Property(s => s.LastError).HasMaxLength(2000);
        });
        builder.Entity<Jobs.QueuedJob>(e =>
        {
            e.ToTable("queued_jobs");
            e.HasKey(j => j.Id);
            e.Property(j => j.Id).ValueGeneratedNever();
            e.Property(j => j.Kind).HasMaxLength(Jobs.JobRunner.MaxNameLength);
            e.Property(j => j.Payload).HasMaxLength(Jobs.JobQueue.MaxPayloadLength);
            e.Property(j => j.LeaseOwner).HasMaxLength(Jobs.JobRunner.MaxNameLength);
            e.Property(j => j.LastError).HasMaxLength(2000);
            // The claim's scan: open jobs by due time.
            e.HasIndex(j => j.RunAfter).HasFilter("completed_at IS NULL AND failed_at IS NULL");
        });

        builder.Entity<WorkspaceErasure>(e =>
        {
            e.ToTable("workspace_erasures");
            // No foreign key to tenants: the row outlives the workspace it names.
            e.HasKey(x => x.TenantId);
            e.Property(x => x.TenantId).ValueGeneratedNever();
            e.Property(x => x.Slug).HasMaxLength(SlugRules.MaxLength);
            e.Property(x => x.LeaseOwner).HasMaxLength(Jobs.JobRunner.MaxNameLength);
        });

        ConfigureAudit(builder);
        OnModelCreatingPartial(builder);
        ApplyTenantConventions(builder);
        ApplyProviderConventions(builder);
    }

    /// <summary>Feature areas (metadata, records, reports …) add their entities in their own partial file.</summary>
    partial void OnModelCreatingPartial(ModelBuilder b);

    /// <summary>
    /// For every tenant-owned entity: key <c>(TenantId, Id)</c> when it has an <c>Id</c>, a foreign key to the
    /// tenant (unless <see cref="TenantThroughParentAttribute"/>: then through its parent), and the named tenant filter. Relationships between tenant entities are declared with composite
    /// keys in the feature configurations so that a row can only point within its own tenant.
    /// </summary>
    private void ApplyTenantConventions(ModelBuilder builder)
    {
        foreach (var entityType in builder.Model.GetEntityTypes().Where(t => typeof(ITenantOwned).IsAssignableFrom(t.ClrType) && t.BaseType is null).ToList())
        {
            var entity = builder.Entity(entityType.ClrType);
            if (entityType.FindProperty("Id") is not null && entityType.FindPrimaryKey() is var pk && (pk is null || pk.Properties.Count == 1))
                entity.HasKey(nameof(ITenantOwned.TenantId), "Id");
            // A type whose tenant is implied by its parent's composite key (see TenantThroughParentAttribute) skips it.
            if (!Attribute.IsDefined(entityType.ClrType, typeof(TenantThroughParentAttribute), inherit: false))
                entity.HasOne(typeof(TenantInfo)).WithMany().HasForeignKey(nameof(ITenantOwned.TenantId)).OnDelete(DeleteBehavior.Cascade);
            entity.HasQueryFilter(TenantFilter, BuildTenantFilter(entityType.ClrType));
        }
    }

    private LambdaExpression BuildTenantFilter(Type clrType)
    {
        // e => e.TenantId == this.TenantId; EF parameterizes the context member per query.
        var e = Expression.Parameter(clrType, "e");
        var left = Expression.Convert(Expression.Property(e, nameof(ITenantOwned.TenantId)), typeof(Guid?));
        var right = Expression.Property(Expression.Constant(this), nameof(TenantId));
        return Expression.Lambda(Expression.Equal(left, right), e);
    }

    private void ApplyProviderConventions(ModelBuilder builder)
    {
        if (!Database.IsSqlite()) return;
        // SQLite has no decimal type: EF would store TEXT and refuse SUM/ORDER BY in SQL. Money is stored as
        // REAL there (the embedded single-user default); PostgreSQL keeps exact numeric.
        foreach (var property in builder.Model.GetEntityTypes().SelectMany(t => t.GetProperties())
                     .Where(p => (Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType) == typeof(decimal)))
        {
            property.SetValueConverter(property.ClrType == typeof(decimal)
                ? new Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<decimal, double>(v => (double)v, v => (decimal)v)
                : new Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<decimal?, double?>(v => (double?)v, v => (decimal?)v));
        }
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        GuardTenantWrites();
        Crm.Core.Records.IndexSlots.AssignAsync(this, CancellationToken.None).GetAwaiter().GetResult();
        if (!ChangesAccess()) return base.SaveChanges(acceptAllChangesOnSuccess);
        // Sync callers are tooling and tests; the bump is the same as below.
        using var tx = Database.CurrentTransaction is null ? Database.BeginTransaction() : null;
        var count = base.SaveChanges(acceptAllChangesOnSuccess);
        Metadata.MetadataStore.BumpVersionAsync(this).GetAwaiter().GetResult();
        tx?.Commit();
        return count;
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        GuardTenantWrites();
        // Index slots of new or re-typed fields (a metadata change, no DDL).
        await Crm.Core.Records.IndexSlots.AssignAsync(this, cancellationToken);
        if (!ChangesAccess()) return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        // Departments, their members, custom roles, their assignments and permissions make up the cached access
        // chart (Permissions.AccessResolver): the tenant's version moves in the same transaction as the change, so
        // the next request of any instance reads the new chart.
        await using var tx = Database.CurrentTransaction is null ? await Database.BeginTransactionAsync(cancellationToken) : null;
        var count = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        await Metadata.MetadataStore.BumpVersionAsync(this, cancellationToken);
        if (tx is not null) await tx.CommitAsync(cancellationToken);
        return count;
    }

    /// <summary>Whether the pending changes touch the access chart (see <see cref="Permissions.AccessResolver"/>).</summary>
    private bool ChangesAccess()
        => TenantId is not null && ChangeTracker.Entries().Any(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted
            && e.Entity is Permissions.Department or Permissions.DepartmentMember or Metadata.RoleDefinition or Permissions.MemberRoleAssignment or Permissions.EntityPermission);

    /// <summary>Stamps the tenant on new rows; refuses rows of another tenant and tenant rows in a global context.</summary>
    private void GuardTenantWrites()
    {
        foreach (var entry in ChangeTracker.Entries<ITenantOwned>())
        {
            if (entry.State is EntityState.Unchanged or EntityState.Detached) continue;
            if (TenantId is not { } tenant)
                throw new TenantMismatchException($"{entry.Metadata.ClrType.Name} is tenant-owned, but this context has no tenant.");
            if (entry.State == EntityState.Added && entry.Entity.TenantId == Guid.Empty)
            {
                // Through the entry, so the save sees it without another scan for changes (a batch save scans once).
                var property = entry.Property(nameof(ITenantOwned.TenantId));
                property.CurrentValue = tenant;
                property.IsTemporary = false;
                continue;
            }
            if (entry.Entity.TenantId != tenant)
                throw new TenantMismatchException($"{entry.Metadata.ClrType.Name} belongs to another tenant than this context.");
            if (entry.State == EntityState.Modified && entry.Property(nameof(ITenantOwned.TenantId)).IsModified
                && entry.Property(nameof(ITenantOwned.TenantId)).OriginalValue is Guid original && original != tenant)
                throw new TenantMismatchException($"{entry.Metadata.ClrType.Name} cannot move between tenants.");
        }
    }
}

public sealed class TenantMismatchException(string message) : InvalidOperationException(message);
