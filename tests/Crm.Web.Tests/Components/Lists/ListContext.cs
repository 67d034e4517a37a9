using Bunit;
using Crm.Core;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Records;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Lists;

/// <summary>A workspace with the b2b template and its sample data, and a bUnit context ready to render the record list page.</summary>
public sealed class ListContext : IAsyncDisposable
{
    private ListContext(Workspace workspace, ComponentTestContext context)
    {
        Workspace = workspace;
        Context = context;
    }

    public Workspace Workspace { get; }
    public ComponentTestContext Context { get; }
    /// <summary>Popovers and dialogs render here (inside the session's cascade, as in the app's layout).</summary>
    public IRenderedComponent<MudPopoverProvider> Popovers { get; private set; } = default!;
    public IRenderedComponent<MudDialogProvider> Dialogs { get; private set; } = default!;
    public string Slug => Workspace.Tenant.Identifier;

    /// <summary>Call first thing in a test (synchronously): labels follow the test's UI culture.</summary>
    public static void UseCulture(string culture)
        => System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo(culture);

    public static async Task<ListContext> CreateAsync(string provider, string culture = "en")
    {
        var workspace = await Workspace.CreateAsync(provider);
        await workspace.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var database = workspace.Database;
        var context = new ComponentTestContext(culture, services =>
        {
            services.AddLogging();
            services.AddCrmCore(database.Provider, database.ConnectionString);
        });
        return new ListContext(workspace, context);
    }

    /// <summary>Renders /t/{slug}/r/{entity}[?query] as <paramref name="actor"/> (the Owner when null).</summary>
    public IRenderedComponent<RecordList> Render(string entity, string? query = null, Actor? actor = null)
    {
        var nav = Context.Bunit.Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo($"/t/{Slug}/r/{entity}" + (query is null ? "" : "?" + query));
        var session = new TenantSession(Workspace.Tenant, actor ?? Workspace.Owner);
        if (Popovers is null)
        {
            Popovers = Context.Bunit.Render<MudPopoverProvider>(p => p.AddCascadingValue(session));
            Dialogs = Context.Bunit.Render<MudDialogProvider>(p => p.AddCascadingValue(session));
            Context.Bunit.Render<MudSnackbarProvider>();
        }
        var cut = Context.Bunit.Render<RecordList>(p => p
            .Add(x => x.Slug, Slug)
            .Add(x => x.Entity, entity)
            .AddCascadingValue(session));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#record-list").GetAttribute("data-ready")), TimeSpan.FromSeconds(10));
        // Rows render right after the first page arrives.
        cut.WaitForAssertion(() => Assert.True(cut.FindAll("[data-testid=record-link]").Count > 0 || cut.FindAll("[data-testid=no-records]").Count > 0), TimeSpan.FromSeconds(10));
        return cut;
    }

    public Task<Actor> MemberAsync(MemberRole role) => Workspace.MemberAsync(role);

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Workspace.DisposeAsync();
    }
}
