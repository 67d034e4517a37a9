using Crm.Core.Activities;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Templates;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Data;

// The tenant's data model as data (metadata), its records and what hangs off them. Every entity here is
// tenant-owned: keys (TenantId, Id) and foreign keys that include TenantId come from the conventions in
// CrmDbContext and the composite relationships below, so a row can only ever point inside its own tenant.
public partial class CrmDbContext
{
    public DbSet<EntityType> EntityTypes => Set<EntityType>();
    public DbSet<FieldDefinition> Fields => Set<FieldDefinition>();
    public DbSet<StatusList> StatusLists => Set<StatusList>();
    public DbSet<StatusOption> StatusOptions => Set<StatusOption>();
    public DbSet<Pipeline> Pipelines => Set<Pipeline>();
    public DbSet<PipelineStage> Stages => Set<PipelineStage>();
    public DbSet<RoleDefinition> RoleDefinitions => Set<RoleDefinition>();
    public DbSet<TenantSettings> TenantSettings => Set<TenantSettings>();
    public DbSet<Record> Records => Set<Record>();
    public DbSet<RecordTransition> Transitions => Set<RecordTransition>();
    public DbSet<RecordChange> RecordChanges => Set<RecordChange>();
    public DbSet<SequenceCounter> Sequences => Set<SequenceCounter>();
    public DbSet<RecordUniqueValue> UniqueValues => Set<RecordUniqueValue>();
    public DbSet<Activity> Activities => Set<Activity>();
    public DbSet<SavedView> Views => Set<SavedView>();
    public DbSet<ListColumnPreference> ListColumnPreferences => Set<ListColumnPreference>();
    public DbSet<ReportDefinition> Reports => Set<ReportDefinition>();
    public DbSet<Dashboard> Dashboards => Set<Dashboard>();
    public DbSet<TemplateInstallation> TemplateInstallations => Set<TemplateInstallation>();
    public DbSet<Permissions.Department> Departments => Set<Permissions.Department>();
    public DbSet<Permissions.DepartmentMember> DepartmentMembers => Set<Permissions.DepartmentMember>();
    public DbSet<Permissions.MemberRoleAssignment> MemberRoleAssignments => Set<Permissions.MemberRoleAssignment>();
    public DbSet<Permissions.EntityPermission> EntityPermissions => Set<Permissions.EntityPermission>();
    public DbSet<Permissions.RecordShare> RecordShares => Set<Permissions.RecordShare>();

    partial void OnModelCreatingPartial(ModelBuilder b)
    {
        var pg = Database.IsNpgsql();
        JsonSql.Register(b, pg);
        DateSql.Register(b, pg);
        Permissions.PermissionModelConfiguration.Configure(b, pg);
        ConfigurePoolsAndNotifications(b, pg);
        ConfigureImports(b, pg);
        ConfigureWebhooks(b, pg);
        ConfigureFiles(b);

        b.Entity<EntityType>(e =>
        {
            e.ToTable("entity_types");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Label).AsJson(pg);
            e.Property(x => x.PluralLabel).AsJson(pg);
            e.Property(x => x.Description).AsJson(pg);
            e.Property(x => x.Sections).AsJson(pg);
            e.Property(x => x.FormRules).AsJson(pg);
            e.Property(x => x.Icon).HasMaxLength(64);
            foreach (var p in new[] { nameof(EntityType.TitleFieldKey), nameof(EntityType.AmountFieldKey), nameof(EntityType.CloseDateFieldKey),
                         nameof(EntityType.OwnerFieldKey), nameof(EntityType.StatusFieldKey), nameof(EntityType.StageFieldKey), nameof(EntityType.LostReasonFieldKey) })
                e.Property(p).HasMaxLength(64);
            e.Property(x => x.Origin).HasMaxLength(100);
            e.HasMany(x => x.Fields).WithOne().HasForeignKey(f => new { f.TenantId, f.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Pipelines).WithOne().HasForeignKey(p => new { p.TenantId, p.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<FieldDefinition>(e =>
        {
            e.ToTable("field_definitions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Type).HasMaxLength(32);
            e.Property(x => x.SectionKey).HasMaxLength(64);
            e.Property(x => x.Label).AsJson(pg);
            e.Property(x => x.HelpText).AsJson(pg);
            e.Property(x => x.Settings).AsJson(pg);
            e.Property(x => x.Origin).HasMaxLength(100);
            e.Property(x => x.IndexSlot).HasMaxLength(8);
        });

        b.Entity<StatusList>(e =>
        {
            e.ToTable("status_lists");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Label).AsJson(pg);
            e.Property(x => x.Groups).AsJson(pg);
            e.Property(x => x.Origin).HasMaxLength(100);
            e.HasMany(x => x.Options).WithOne().HasForeignKey(o => new { o.TenantId, o.StatusListId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<StatusOption>(e =>
        {
            e.ToTable("status_options");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.StatusListId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.GroupKey).HasMaxLength(64);
            e.Property(x => x.Color).HasMaxLength(16);
            e.Property(x => x.Label).AsJson(pg);
            e.Property(x => x.Description).AsJson(pg);
        });

        b.Entity<Pipeline>(e =>
        {
            e.ToTable("pipelines");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Label).AsJson(pg);
            e.Property(x => x.Origin).HasMaxLength(100);
            e.HasMany(x => x.Stages).WithOne().HasForeignKey(s => new { s.TenantId, s.PipelineId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<PipelineStage>(e =>
        {
            e.ToTable("pipeline_stages");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.PipelineId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Color).HasMaxLength(16);
            e.Property(x => x.Label).AsJson(pg);
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(8);
        });

        b.Entity<RoleDefinition>(e =>
        {
            e.ToTable("role_definitions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Label).AsJson(pg);
            e.Property(x => x.Description).AsJson(pg);
            e.Property(x => x.BaseRole).HasConversion<string>().HasMaxLength(20);
            e.Property(x => x.Origin).HasMaxLength(100);
        });

        b.Entity<TenantSettings>(e =>
        {
            e.ToTable("tenant_settings");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => x.TenantId).IsUnique();
        });

        b.Entity<Record>(e =>
        {
            e.ToTable("records");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Title).HasMaxLength(500);
            e.Property(x => x.Values).HasColumnName("field_values").HasColumnType(pg ? "jsonb" : "TEXT");
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Property(x => x.Amount).HasPrecision(18, 2);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Pipeline>().WithMany().HasForeignKey(x => new { x.TenantId, x.PipelineId }).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<PipelineStage>().WithMany().HasForeignKey(x => new { x.TenantId, x.StageId }).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<StatusOption>().WithMany().HasForeignKey(x => new { x.TenantId, x.StatusOptionId }).OnDelete(DeleteBehavior.Restrict);
            // Boards: cards of a column by rank, and per-column count/sum from the index alone (amount included on PostgreSQL).
            var board = e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.PipelineId, x.StageId, x.Rank });
            if (pg) board.IncludeProperties(x => x.Amount);
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.StatusOptionId });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.OwnerId });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.CreatedAt });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.UpdatedAt });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.Title });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.CloseDate });
            // Boards not grouped by stage (a custom select, a status): each column's first cards by rank come from walking
            // this index with the column's value as a filter, instead of reading and sorting the whole column (cf-plan).
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.Rank });
            // Pools: the records of a pool (pool page, pool size) from the index.
            e.HasIndex(x => new { x.TenantId, x.PoolId, x.OwnerId });
            // Custom fields' typed copies (Crm.Core.Records.IndexSlots): one B-tree per slot, shared by all tenants and fields.
            // Number slots: partial (every number filter implies NOT NULL). Text slots (dates, choices, references):
            // full, so "sorted by a custom date" walks the index for records without a date too (decisions: cf-plan).
            foreach (var slot in Crm.Core.Records.IndexSlots.All)
            {
                var property = Crm.Core.Records.IndexSlots.Property(slot);
                if (slot[0] == 't') e.Property(property).HasMaxLength(Crm.Core.Records.IndexSlots.PrefixLength);
                var index = e.HasIndex(nameof(Record.TenantId), nameof(Record.EntityTypeId), property).HasDatabaseName("ix_records_slot_" + slot);
                if (slot[0] == 'n') index.HasFilter("num" + slot[1..] + " IS NOT NULL");
            }
        });

        b.Entity<RecordTransition>(e =>
        {
            e.ToTable("record_transitions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(8);
            e.Property(x => x.Amount).HasPrecision(18, 2);
            e.HasOne<Record>().WithMany().HasForeignKey(x => new { x.TenantId, x.RecordId }).OnDelete(DeleteBehavior.Cascade);
            // Reports: moves into a stage (funnel losses, reopenings) read from the index alone on PostgreSQL.
            var into = e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.Kind, x.ToId });
            if (pg) into.IncludeProperties(x => new { x.FromId, x.RecordId });
            e.HasIndex(x => new { x.TenantId, x.RecordId, x.At });
        });

        b.Entity<RecordChange>(e =>
        {
            e.ToTable("record_changes");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(8);
            e.Property(x => x.Changes).HasColumnType(pg ? "jsonb" : "TEXT");
            e.Property(x => x.Reason).HasMaxLength(500);
            e.HasOne<Record>().WithMany().HasForeignKey(x => new { x.TenantId, x.RecordId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.RecordId, x.At });
        });

        b.Entity<RecordUniqueValue>(e =>
        {
            e.ToTable("record_unique_values");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.FieldKey).HasMaxLength(64);
            e.Property(x => x.ValueHash).HasMaxLength(64);
            // The constraint that makes unique fields unique under concurrency (see UniqueValuesStep).
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.FieldKey, x.ValueHash }).IsUnique();
            e.HasIndex(x => new { x.TenantId, x.RecordId });
            e.HasOne<Record>().WithMany().HasForeignKey(x => new { x.TenantId, x.RecordId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<SequenceCounter>(e =>
        {
            e.ToTable("sequence_counters");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.FieldKey).HasMaxLength(64);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.FieldKey }).IsUnique();
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<Activity>(e =>
        {
            e.ToTable("activities");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(10);
            e.Property(x => x.Subject).HasMaxLength(300);
            e.HasOne<Record>().WithMany().HasForeignKey(x => new { x.TenantId, x.RecordId }).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.TenantId, x.RecordId, x.OccurredAt });
            e.HasIndex(x => new { x.TenantId, x.AssigneeId, x.CompletedAt, x.DueAt });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.OccurredAt });
        });

        b.Entity<SavedView>(e =>
        {
            e.ToTable("saved_views");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.EntityTypeId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Name).AsJson(pg);
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(10);
            e.Property(x => x.Definition).AsJson(pg);
            e.Property(x => x.Origin).HasMaxLength(100);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<ListColumnPreference>(e =>
        {
            e.ToTable("list_column_preferences");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.UserId, x.EntityTypeId }).IsUnique();
            e.Property(x => x.Columns).AsJson(pg);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<ReportDefinition>(e =>
        {
            e.ToTable("report_definitions");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Name).AsJson(pg);
            e.Property(x => x.Description).AsJson(pg);
            e.Property(x => x.Spec).AsJson(pg);
            e.Property(x => x.Origin).HasMaxLength(100);
            e.HasOne<EntityType>().WithMany().HasForeignKey(x => new { x.TenantId, x.EntityTypeId }).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<Dashboard>(e =>
        {
            e.ToTable("dashboards");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.Key }).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Name).AsJson(pg);
            e.Property(x => x.Widgets).AsJson(pg);
            e.Property(x => x.Origin).HasMaxLength(100);
        });

        b.Entity<TemplateInstallation>(e =>
        {
            e.ToTable("template_installations");
            e.HasKey(x => new { x.TenantId, x.Id });
            e.HasIndex(x => new { x.TenantId, x.TemplateId }).IsUnique();
            e.Property(x => x.TemplateId).HasMaxLength(100);
            e.Property(x => x.Version).HasMaxLength(32);
            e.Property(x => x.Snapshot).HasColumnType(pg ? "jsonb" : "TEXT");
        });

        ConfigureAutomation(b, pg);
    }
}
