using Bunit;
using Crm.Core;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Testing;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Record = Crm.Core.Records.Record;

namespace Crm.Web.Tests.Components.RecordPage;

/// <summary>
/// A workspace with the B2B template and a bUnit context whose core services use the same database, for the
/// record page area's components. Components receive the workspace through a cascaded <see cref="TenantSession"/>.
/// </summary>
public sealed class RecordPageHost : IAsyncDisposable
{
    private RecordPageHost(Workspace ws, ComponentTestContext context) => (Workspace, Context) = (ws, context);

    public Workspace Workspace { get; }
    public ComponentTestContext Context { get; }
    public BunitContext Bunit => Context.Bunit;
    public NavigationManager Nav => Bunit.Services.GetRequiredService<NavigationManager>();

    public static async Task<RecordPageHost> CreateAsync(string provider, string culture = "en")
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var context = new ComponentTestContext(culture, services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        return new RecordPageHost(ws, context);
    }

    public TenantSession Session(Actor actor) => new(Workspace.Tenant, actor);

    public async Task<Record> CreateAsync(string entity, params (string, System.Text.Json.Nodes.JsonNode?)[] values)
    {
        var result = await Workspace.Records.CreateAsync(Workspace.Owner, entity, RecordInput.Of(values));
        Assert.True(result.Succeeded, result.Errors.ToString());
        return result.Record!;
    }

    public IRenderedComponent<Crm.Web.Components.Pages.Tenant.Records.RecordPage> RenderRecordPage(Actor actor, string entity, Guid id)
    {
        var cut = Bunit.Render<Crm.Web.Components.Pages.Tenant.Records.RecordPage>(p => p
            .Add(x => x.Slug, Workspace.Tenant.Identifier)
            .Add(x => x.Entity, entity)
            .Add(x => x.Id, id)
            .AddCascadingValue(Session(actor)));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#record-page").GetAttribute("data-ready")), TimeSpan.FromSeconds(10));
        return cut;
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Workspace.DisposeAsync();
    }
}
