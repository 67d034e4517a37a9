using Crm.Core.Accounts;
using Crm.Core.Boards;
using Crm.Core.Data;
using Crm.Core.Lists;
using Crm.Core.Design;
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
    public static IServiceCollection AddCrmCore(this IServiceCollection services, DatabaseProvider provider, string connectionString)
    {
        var options = CrmDatabase.BuildOptions(provider, connectionString);
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

        services.TryAddSingleton<IMembershipChanges, InProcessMembershipChanges>();
        services.AddSingleton<MembershipService>();
        services.AddSingleton<InvitationService>();
        services.AddScoped<WorkspaceService>();

        services.AddSingleton<MetadataStore>();
        services.AddSingleton<MetadataChanges>();
        services.AddSingleton<RecordEvents>();
        services.AddSingleton<RecordService>();
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
        services.AddSingleton<SavedViewService>();
        services.AddSingleton<BulkRecordService>();
        services.AddSingleton<GlobalSearchService>();
        services.AddSingleton<MetadataDesigner>();
        services.AddSingleton<FieldTypeChanger>();
        services.AddSingleton<JsonStatistics>();
        services.AddSingleton<ReportEngine>();
        services.AddSingleton<ReportService>();
        services.AddSingleton<DashboardService>();
        services.AddSingleton<Automation.AutomationEngine>();
        services.AddSingleton<Automation.AutomationSweep>();
        services.AddSingleton<Automation.AutomationRuleService>();
        return services;
    }
}
