using Crm.Core.Accounts;
using Crm.Core.Boards;
using Crm.Core.Cluster;
using Crm.Core.Data;
using Crm.Core.Lists;
using Crm.Core.Design;
using Crm.Core.Jobs;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Search;
using Crm.Core.Reports;
using Crm.Core.Templates;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Registers the CRM core: database, tenancy, accounts and the feature services.</summary>
    /// <param name="listenConnectionString">PostgreSQL: a direct connection for LISTEN when <paramref name="connectionString"/>
    /// goes through PgBouncer in transaction mode; null uses <paramref name="connectionString"/>.</param>
    /// <param name="transactionPooling">PostgreSQL behind PgBouncer in transaction mode (the tenant is set per transaction only).</param>
    public static IServiceCollection AddCrmCore(this IServiceCollection services, DatabaseProvider provider, string connectionString,
        string? listenConnectionString = null, bool transactionPooling = false)
    {
        var options = CrmDatabase.BuildOptions(provider, connectionString, transactionPooling);
        services.AddSingleton(options);
        services.AddSingleton<DbContextOptions>(options);
        services.AddSingleton<ICrmDbContextFactory>(new CrmDbContextFactory(options, provider));
        // Identity's stores need a context from DI: a global one (users and memberships are global).
        services.AddScoped(sp => sp.GetRequiredService<ICrmDbContextFactory>().CreateGlobal());

        services.TryAddSingleton(TimeProvider.System);
        services.AddMemoryCache();
        // Singletons such as the API key service resolve localized messages; idempotent if the host added it too.
        services.AddLocalization();

        // Tenancy, in Finbuckle's shape: store, ordered strategies, scoped (per request / per circuit) context.
        services.AddOptions<TenancyOptions>();
        services.AddSingleton<ITenantStore, EfTenantStore>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<ApiKeyService>());
        services.AddSingleton<ITenantStrategy, RoutePrefixStrategy>();
        services.AddSingleton<ITenantStrategy, HostStrategy>();
        services.AddSingleton<ITenantStrategy, ApiKeyStrategy>();
        services.AddSingleton<TenantResolver>();
        services.AddScoped<TenantContextHolder>();
        services.AddScoped<ITenantContextAccessor>(sp => sp.GetRequiredService<TenantContextHolder>());
        services.AddScoped<ITenantContextSetter>(sp => sp.GetRequiredService<TenantContextHolder>());
        services.AddScoped<IActorAccessor, ActorHolder>();
        services.AddScoped<IRequestOriginAccessor, RequestOriginHolder>();

        // The audit log: AuditTrail stages entries in a change's own transaction; IAuditLog writes as the ambient actor.
        services.AddSingleton<Audit.AuditTrail>();
        services.AddSingleton<Audit.AuditQuery>();
        services.AddSingleton<Audit.SignInAudit>();
        services.AddScoped<Audit.IAuditLog, Audit.AmbientAuditLog>();

        // Live events, metadata changes and membership changes reach the other app instances over LISTEN/NOTIFY on
        // PostgreSQL; SQLite is one process, where the in-process publishers already reach everyone.
        if (provider == DatabaseProvider.Postgres)
        {
            services.AddSingleton(sp => new PostgresClusterNotifier(connectionString, listenConnectionString, sp,
                sp.GetService<Microsoft.Extensions.Logging.ILogger<PostgresClusterNotifier>>()));
            services.AddSingleton<IClusterNotifier>(sp => sp.GetRequiredService<PostgresClusterNotifier>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresClusterNotifier>());
        }
        else
        {
            services.AddSingleton<IClusterNotifier>(SingleInstanceNotifier.Instance);
        }
        services.TryAddSingleton<IMembershipChanges, InProcessMembershipChanges>();
        services.AddSingleton<MembershipService>();
        services.AddSingleton<Permissions.IAccessResolver, Permissions.AccessResolver>();
        services.AddSingleton<Permissions.DepartmentService>();
        services.AddSingleton<Permissions.RoleService>();
        services.AddSingleton<InvitationService>();
        services.AddScoped<WorkspaceService>();

        services.AddSingleton<MetadataStore>();
        services.AddSingleton<MetadataChanges>();
        services.AddSingleton<RecordEvents>();
        services.AddSingleton<RecordService>();
        services.AddSingleton<Permissions.RecordShareService>();
        services.AddSingleton<RecordDirectory>();
        services.AddSingleton<RecordValidator>();
        services.AddSingleton<RelatedRecordsQuery>();
        services.AddSingleton<Activities.ActivityEvents>();
        services.AddSingleton<Activities.ActivityService>();
        services.AddSingleton<Timeline.RecordTimeline>();
        services.AddSingleton<TemplateInstaller>();
        services.AddSingleton<TemplateExporter>();
        services.AddSingleton<BoardService>();
        services.AddSingleton<BoardViews>();
        services.AddSingleton<RecordListService>();
        services.AddSingleton<Export.RecordExporter>();
        services.AddOptions<Import.ImportOptions>();
        services.AddSingleton<Import.ImportService>();
        services.AddSingleton<SavedViewService>();
        services.AddSingleton<BulkRecordService>();
        services.AddSingleton<GlobalSearchService>();
        services.AddSingleton<MetadataDesigner>();
        services.AddSingleton<FieldTypeChanger>();
        services.AddSingleton<JsonStatistics>();
        services.AddSingleton<ReportEngine>();
        services.AddSingleton<ReportService>();
        services.AddSingleton<DashboardService>();
        // Files and images: the local disk unless a host registered another IFileStore (an S3-compatible one).
        services.AddOptions<Files.FileStorageOptions>();
        services.TryAddSingleton<Files.IFileStore>(sp =>
            new Files.LocalFileStore(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Files.FileStorageOptions>>().Value.Root is { Length: > 0 } root
                ? root : Files.FileRoots.Default(provider, connectionString)));
        services.AddSingleton<Files.FileService>();
        services.AddSingleton<Files.FileSweep>();

        // Background work, once across instances: register sweeps with services.AddPeriodicJob(...).
        services.TryAddSingleton(new Jobs.JobRunnerOptions());
        services.AddSingleton<Jobs.JobRunner>();
        services.AddSingleton<Jobs.JobQueue>();
        // Pools (公海), notifications and the reminder sweep.
        services.AddOptions<Notifications.SmtpOptions>();
        services.AddOptions<Notifications.ReminderOptions>();
        services.AddSingleton<Notifications.NotificationEvents>();
        services.AddSingleton<Notifications.NotificationMailQueue>();
        services.AddSingleton<Notifications.NotificationService>();
        services.AddSingleton<Notifications.INotificationService>(sp => sp.GetRequiredService<Notifications.NotificationService>());
        services.AddSingleton<Pools.PoolService>();
        services.AddSingleton<Automation.IPoolMover>(sp => sp.GetRequiredService<Pools.PoolService>());
        services.AddSingleton<Pools.PoolDefinitions>();
        services.AddSingleton<Notifications.ReminderSweep>();
        services.AddSingleton<Automation.AutomationEngine>();
        services.AddSingleton<Automation.AutomationSweep>();
        services.AddSingleton<Automation.AutomationRuleService>();

        // Webhooks: the outbox is written by the record writer; deliveries run on the job runner.
        Microsoft.Extensions.DependencyInjection.DataProtectionServiceCollectionExtensions.AddDataProtection(services);
        services.TryAddSingleton(new Webhooks.WebhookOptions());
        services.TryAddSingleton<Webhooks.IWebhookDnsResolver, Webhooks.SystemDnsResolver>();
        services.AddSingleton<Webhooks.WebhookAddressGuard>();
        services.AddSingleton<Webhooks.WebhookHttp>();
        services.AddSingleton<Webhooks.WebhookService>();
        services.AddQueuedJobHandler<Webhooks.WebhookDeliverer>(Webhooks.WebhookOutbox.JobKind, (d, job, ct) => d.RunAsync(job, ct));
        // Large imports run on the job runner too.
        services.AddQueuedJobHandler<Import.ImportJobs>(Import.ImportJobs.RunKind, (j, job, ct) => j.RunAsync(job, ct));
        services.AddQueuedJobHandler<Import.ImportJobs>(Import.ImportJobs.ExpireKind, (j, job, ct) => j.ExpireAsync(job, ct));
        // Slots taken on entity types with records are filled in the background (Records.IndexSlots).
        services.AddQueuedJobHandler<Records.IndexSlotFill>(Records.IndexSlotFill.JobKind, (f, job, ct) => f.RunAsync(job, ct));
        // Deleting a workspace: the Owner's request marks it and queues the erasure, which runs on the job runner.
        services.AddSingleton<Accounts.WorkspaceDeletion>();
        services.AddQueuedJobHandler<Accounts.WorkspaceEraser>(Accounts.WorkspaceDeletion.JobKind, (e, job, ct) => e.RunAsync(job, ct));
        return services;
    }
}
