using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Testing;

/// <summary>
/// A fresh workspace on a test database with an Owner, the core services, and helpers to install the starter
/// templates: the usual starting point of metadata, record, board and report tests.
/// </summary>
public sealed class Workspace : IAsyncDisposable
{
    public static readonly TemplateCatalog Catalog = new(TemplateCatalog.DefaultFolder(AppContext.BaseDirectory));

    private Workspace(TestDatabase database, ServiceProvider services, TenantInfo tenant, Actor owner)
        => (Database, Services, Tenant, Owner) = (database, services, tenant, owner);

    public TestDatabase Database { get; }
    public ServiceProvider Services { get; }
    public TenantInfo Tenant { get; }
    /// <summary>The workspace's Owner (installs templates, writes records).</summary>
    public Actor Owner { get; }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
    public RecordService Records => Get<RecordService>();
    public Task<TenantMetadata> MetadataAsync() => Get<MetadataStore>().GetAsync(Tenant.Id);

    public static async Task<Workspace> CreateAsync(string provider, TimeProvider? clock = null, Action<IServiceCollection>? configure = null)
    {
        var database = await TestDatabase.GetAsync(provider);
        var services = CoreServices.Create(database, clock, configure);
        var tenant = await database.CreateTenantAsync();
        var (_, owner) = await database.CreateMemberAsync(tenant, MemberRole.Owner);
        return new Workspace(database, services, tenant, owner);
    }

    /// <summary>
    /// Installs a starter template by id (e.g. "b2b_sales_funnel"); throws with the errors if it is refused. The
    /// template's automation rules are archived unless <paramref name="withRules"/>: tests that are not about rules
    /// create records the rules would act on (owners changed, tasks created).
    /// </summary>
    public async Task<InstallResult> InstallAsync(string templateId, bool withSampleData = false, bool withRules = false)
    {
        var entry = Catalog.Find(templateId) ?? throw new ArgumentException($"No starter template '{templateId}'.");
        var result = await Get<TemplateInstaller>().InstallAsync(Owner, entry.Document, new InstallOptions(withSampleData));
        if (!result.Succeeded) throw new InvalidOperationException($"Install of {templateId} refused: {result.Errors}");
        if (!withRules)
        {
            var rules = Get<Crm.Core.Automation.AutomationRuleService>();
            foreach (var rule in await rules.ListAsync(Owner))
                if (rule.Origin == templateId) await rules.SetStateAsync(Owner, rule.Id, enabled: false, archived: true);
        }
        return result;
    }

    /// <summary>Another person in this workspace with the given role.</summary>
    public async Task<Actor> MemberAsync(MemberRole role) => (await Database.CreateMemberAsync(Tenant, role)).Actor;

    public ValueTask DisposeAsync() => Services.DisposeAsync();
}
