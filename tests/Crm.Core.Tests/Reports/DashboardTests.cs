using Crm.Core.Metadata;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;

namespace Crm.Core.Tests.Reports;

/// <summary>Dashboards: the template's default, adding and arranging widgets on the 12-column grid, admins only.</summary>
public class DashboardTests
{
    private static DashboardWidget W(string key, int x, int y, int w, int h, string kind = "chart") => new(key, key, kind, null, x, y, w, h);

    [Fact]
    public void A_new_widget_goes_to_the_first_free_place()
    {
        List<DashboardWidget> widgets = [W("a", 0, 0, 3, 2), W("b", 3, 0, 3, 2), W("c", 0, 2, 12, 4)];
        Assert.Equal((6, 0), DashboardLayout.FirstFree(widgets, 3, 2));
        Assert.Equal((0, 6), DashboardLayout.FirstFree(widgets, 7, 2));
        Assert.Equal((0, 0), DashboardLayout.FirstFree([], 6, 5));
    }

    [Fact]
    public void Moving_or_growing_a_widget_pushes_the_ones_in_the_way_down()
    {
        List<DashboardWidget> widgets = [W("a", 0, 0, 6, 2), W("b", 6, 0, 6, 2), W("c", 0, 2, 12, 3)];
        var moved = DashboardLayout.Move(widgets, "b", -6, 0);        // onto a
        Assert.Equal((0, 0), (moved[1].X, moved[1].Y));
        Assert.Equal(2, moved[0].Y);                                   // a pushed below b
        Assert.Equal(4, moved[2].Y);                                   // c pushed below a
        Assert.Empty(DashboardLayout.Check(moved));

        var wider = DashboardLayout.Resize(widgets, "a", 10, 1);       // 12 wide at most, 3 high
        Assert.Equal((0, 12, 3), (wider[0].X, wider[0].W, wider[0].H));
        Assert.Equal(3, wider[1].Y);
        Assert.Empty(DashboardLayout.Check(wider));

        var clamped = DashboardLayout.Move(widgets, "b", 5, -3);
        Assert.Equal((6, 0), (clamped[1].X, clamped[1].Y));            // stays on the grid
    }

    [Fact]
    public void A_layout_off_the_grid_or_overlapping_is_reported()
    {
        Assert.Contains(DashboardLayout.Check([W("a", 8, 0, 6, 2)]), p => p.Problem == "Dashboard.Validation.Grid");
        Assert.Contains(DashboardLayout.Check([W("a", 0, 0, 6, 2), W("b", 5, 1, 6, 2)]), p => p is { Index: 1, Problem: "Dashboard.Validation.Overlap" });
        Assert.Contains(DashboardLayout.Check([W("a", 0, 0, 6, 2, "gauge")]), p => p.Problem == "Dashboard.Validation.Kind");
        Assert.Contains(DashboardLayout.Check([W("a", 0, 0, 6, 2), W("a", 6, 0, 6, 2)]), p => p.Problem == "Dashboard.Validation.Key");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_template_dashboard_is_the_default_and_admins_arrange_it(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        await ws.InstallAsync("support_tickets");
        var service = ws.Get<DashboardService>();
        var home = (await service.GetAsync(ws.Owner))!;
        Assert.Equal("sales_dashboard", home.Key);                     // the first template's default stays the default
        Assert.Equal(2, (await service.ListAsync(ws.Owner)).Count);

        var added = await service.AddWidgetAsync(ws.Owner, null, "tickets_by_status");
        Assert.True(added.Succeeded, added.Errors.ToString());
        var widget = added.Dashboard!.Widgets[^1];
        Assert.Equal(("tickets_by_status", "chart", 6, 5), (widget.ReportKey, widget.Kind, widget.W, widget.H));
        Assert.Empty(DashboardLayout.Check(added.Dashboard.Widgets));

        var moved = DashboardLayout.Move(added.Dashboard.Widgets, widget.Key, 0, -100);
        var saved = await service.SaveWidgetsAsync(ws.Owner, home.Key, moved);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        Assert.Equal(0, (await service.GetAsync(ws.Owner, home.Key))!.Widgets.Single(w => w.Key == widget.Key).Y);

        Assert.True(await service.SetDefaultAsync(ws.Owner, "support_dashboard"));
        Assert.Equal("support_dashboard", (await service.GetAsync(ws.Owner))!.Key);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bad_layouts_and_private_reports_are_refused_and_members_cannot_arrange(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var service = ws.Get<DashboardService>();
        var home = (await service.GetAsync(ws.Owner))!;
        var overlapping = home.Widgets.Select(w => w with { Y = 0, X = 0 }).ToList();
        var refused = await service.SaveWidgetsAsync(ws.Owner, home.Key, overlapping);
        Assert.False(refused.Succeeded);
        Assert.Contains("widgets[1]", refused.Errors.ByField.Keys);
        Assert.Equal(home.Widgets, (await service.GetAsync(ws.Owner))!.Widgets);

        var member = await ws.MemberAsync(MemberRole.Member);
        var mine = await ws.Get<ReportService>().SaveAsync(member, new ReportDraft("opportunity", LocalizedText.Same("Mine"), new ReportSpec { Type = "custom", Chart = "kpi", Measure = new MeasureSpec() }));
        var notShared = await service.AddWidgetAsync(ws.Owner, home.Key, mine.Report!.Key);
        Assert.True(notShared.Errors.ByField.ContainsKey("report"));

        await Assert.ThrowsAsync<ForbiddenException>(() => service.AddWidgetAsync(member, home.Key, "win_rate"));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.SaveWidgetsAsync(member, home.Key, home.Widgets));
        Assert.NotNull(await service.GetAsync(await ws.MemberAsync(MemberRole.Viewer)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_workspace_without_a_dashboard_gets_one_with_its_first_widget(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            db.Dashboards.RemoveRange(db.Dashboards);
            await db.SaveChangesAsync();
        }
        var service = ws.Get<DashboardService>();
        Assert.Null(await service.GetAsync(ws.Owner));
        var added = await service.AddWidgetAsync(ws.Owner, null, "opportunity_funnel");
        Assert.True(added.Succeeded);
        Assert.True(added.Dashboard!.IsDefault);
        Assert.Equal(("funnel", 0, 0), (added.Dashboard.Widgets[0].Kind, added.Dashboard.Widgets[0].X, added.Dashboard.Widgets[0].Y));
    }
}
