using System.Text.Json.Nodes;
using Bunit;
using Crm.Core;
using Crm.Core.Metadata;
using Crm.Testing;
using Crm.Web.Components.Fields;
using Crm.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// A workspace (b2b template with sample data, for lookups and members), the every-field-type entity and a bUnit
/// context with the core services, ready to render <see cref="DynamicForm"/>.
/// </summary>
public sealed class FormContext : IAsyncDisposable
{
    private FormContext(Workspace workspace, ComponentTestContext context)
    {
        Workspace = workspace;
        Context = context;
        Entity = AllFieldTypes.Build(workspace.Tenant.Id);
        Session = new TenantSession(workspace.Tenant, workspace.Owner);
        Popovers = context.Bunit.Render<MudPopoverProvider>();
    }

    public Workspace Workspace { get; }
    public ComponentTestContext Context { get; }
    public EntityMeta Entity { get; }
    public TenantSession Session { get; }
    public IRenderedComponent<MudPopoverProvider> Popovers { get; }
    public JsonObject Values { get; private set; } = new();
    public List<JsonObject> Changes { get; } = [];

    /// <summary>Call first thing in a test (synchronously): labels and messages follow the test's UI culture.</summary>
    public static void UseCulture(string culture)
        => System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo(culture);

    public static async Task<FormContext> CreateAsync(string provider, string culture = "en", bool sampleData = false)
    {
        var workspace = await Workspace.CreateAsync(provider);
        await workspace.InstallAsync("b2b_sales_funnel", withSampleData: sampleData);
        var database = workspace.Database;
        var context = new ComponentTestContext(culture, services =>
        {
            services.AddLogging();
            services.AddCrmCore(database.Provider, database.ConnectionString);
        });
        return new FormContext(workspace, context);
    }

    public IRenderedComponent<DynamicForm> Render(JsonObject? values = null, Action<ComponentParameterCollectionBuilder<DynamicForm>>? more = null)
    {
        Values = values ?? new JsonObject();
        return Context.Bunit.Render<DynamicForm>(p =>
        {
            p.Add(x => x.Entity, Entity);
            p.Add(x => x.Values, Values);
            p.Add(x => x.ValuesChanged, v => Changes.Add((JsonObject)v.DeepClone()));
            p.AddCascadingValue(Session);
            more?.Invoke(p);
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Workspace.DisposeAsync();
    }
}
