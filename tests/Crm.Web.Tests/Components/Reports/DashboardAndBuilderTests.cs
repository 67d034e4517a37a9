using Bunit;
using Crm.Core;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Reports;
using Crm.Web.Components.Reports;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Reports;

/// <summary>The dashboard and the report builder over a real workspace (both databases): who may arrange, what gets saved.</summary>
public class DashboardAndBuilderTests
{
    private static async Task<(Workspace Ws, ComponentTestContext Context)> ArrangeAsync(string provider, string culture = "en")
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var context = new ComponentTestContext(culture, services => services.AddLogging().AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString));
        context.Bunit.Render<MudPopoverProvider>();
        return (ws, context);
    }

    private static IRenderedComponent<CascadingValue<TenantSession>> Render<T>(ComponentTestContext context, Actor actor, Action<ComponentParameterCollectionBuilder<T>>? parameters = null) where T : IComponent
        => context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(actor.Tenant, actor))
            .AddChildContent<T>(c => parameters?.Invoke(c)));

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_moves_a_widget_and_saves_the_layout(string provider)
    {
        var (ws, context) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        Action<ComponentParameterCollectionBuilder<DashboardView>> parameters = p => p.Add(x => x.ContainerId, "home")
            .Add(x => x.Header, (Microsoft.AspNetCore.Components.RenderFragment)(b => b.AddContent(0, "Welcome")));
        var cut = Render(context, ws.Owner, parameters);
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#home").GetAttribute("data-ready")), TimeSpan.FromSeconds(20));
        Assert.Equal("sales_dashboard", cut.Find("#home").GetAttribute("data-dashboard"));
        cut.WaitForAssertion(() => Assert.Equal(11, cut.FindAll(".crm-widget-body[data-ready=true]").Count), TimeSpan.FromSeconds(20));
        Assert.Empty(cut.FindAll("[data-testid=widget-tools]"));

        await cut.ClickAsync("[data-testid=dashboard-edit]");
        cut.WaitForAssertion(() => Assert.Equal(11, cut.FindAll("[data-testid=widget-tools]").Count), TimeSpan.FromSeconds(10));
        // The funnel (x 0, y 2, 6 × 5) moves right by one cell; the chart beside it is pushed down.
        await cut.ClickAsync("[data-widget=funnel] [data-testid=widget-right]");
        // Widgets still loading their data re-render meanwhile: wait for the layout rather than read it at once.
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1", cut.Find("[data-widget=funnel]").GetAttribute("data-x"));
            Assert.Equal("7", cut.Find("[data-widget=amount_by_stage]").GetAttribute("data-y"));
        }, TimeSpan.FromSeconds(10));
        await cut.ClickAsync("[data-widget=win_rate] [data-testid=widget-remove]");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-widget=win_rate]")), TimeSpan.FromSeconds(10));
        // The page around it re-renders (its header is a RenderFragment, so the dashboard gets its parameters again):
        // the unsaved arrangement stays.
        var session = cut.Instance.Value;
        cut.Render(p => p.Add(x => x.Value, session).AddChildContent(parameters));
        Assert.Equal(10, cut.FindAll("[data-testid=widget-tools]").Count);
        Assert.Equal("1", cut.Find("[data-widget=funnel]").GetAttribute("data-x"));
        await cut.ClickAsync("[data-testid=dashboard-save]");

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=widget-tools]")), TimeSpan.FromSeconds(10));
        var saved = (await ws.Get<DashboardService>().GetAsync(ws.Owner))!;
        Assert.Equal(1, saved.Widgets.Single(w => w.Key == "funnel").X);
        Assert.DoesNotContain(saved.Widgets, w => w.Key == "win_rate");
        Assert.Empty(DashboardLayout.Check(saved.Widgets));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_and_viewers_see_the_dashboard_read_only(string provider)
    {
        var (ws, context) = await ArrangeAsync(provider, "zh-CN");
        await using var _ = ws;
        await using var __ = context;
        foreach (var role in new[] { MemberRole.Member, MemberRole.Viewer })
        {
            var actor = await ws.MemberAsync(role);
            var cut = Render<DashboardView>(context, actor, p => p.Add(x => x.ContainerId, "home"));
            cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#home").GetAttribute("data-ready")), TimeSpan.FromSeconds(20));
            Assert.Equal("销售仪表盘", cut.Find("[data-testid=dashboard-name]").TextContent.Trim());
            Assert.Empty(cut.FindAll("[data-testid=dashboard-edit]"));
            cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-widget=funnel] [data-testid=funnel]")), TimeSpan.FromSeconds(20));
            Assert.Empty(cut.FindAll("[data-testid=widget-tools]"));
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_builder_refuses_a_report_without_a_name_then_saves_it_onto_the_dashboard(string provider)
    {
        var (ws, context) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        var cut = Render<ReportBuilder>(context, ws.Owner, p => p.Add(x => x.Slug, ws.Tenant.Identifier));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#report-builder").GetAttribute("data-ready")), TimeSpan.FromSeconds(20));
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var before = await db.Reports.CountAsync();

        async Task Choose(string inputId, string value)
        {
            var select = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.InputId == inputId);
            await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
        }
        await Choose("report-entity", "opportunity");
        await Choose("report-groupby", "stage");
        await Choose("report-measure", "sum");
        await Choose("report-measure-field", "amount");
        cut.WaitForAssertion(() => Assert.Equal("bar", cut.Find("[data-testid=builder-preview] [data-testid=report-chart]").GetAttribute("data-chart")), TimeSpan.FromSeconds(20));

        await cut.ClickAsync("#report-save");
        cut.WaitForAssertion(() => Assert.Contains("Give the report a name.", cut.Markup), TimeSpan.FromSeconds(10));
        Assert.Equal(before, await db.Reports.CountAsync());

        await cut.InputAsync("#report-name", "Amount by stage");
        await cut.ClickAsync("#report-save");
        cut.WaitForAssertion(() => Assert.EndsWith($"/t/{ws.Tenant.Identifier}", context.Bunit.Services.GetRequiredService<NavigationManager>().Uri), TimeSpan.FromSeconds(10));
        var report = (await db.Reports.AsNoTracking().ToListAsync()).Single(r => r.Name.En == "Amount by stage");
        Assert.Equal(new GroupBySpec("stage"), report.Spec.GroupBy);
        Assert.Equal(new MeasureSpec("sum", "amount"), report.Spec.Measure);
        Assert.Null(report.OwnerUserId);
        var home = (await ws.Get<DashboardService>().GetAsync(ws.Owner))!;
        Assert.Contains(home.Widgets, w => w.ReportKey == report.Key && w.Kind == "chart");
    }
}
