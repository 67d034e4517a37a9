using Bunit;
using Crm.Core;
using Crm.Core.Boards;
using Crm.Core.Permissions;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Boards;
using Crm.Web.Components.Reports;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Reports;

/// <summary>
/// A member from whom 商机金额 (the amount) is hidden opens the sales dashboard and a board grouped by a hidden field:
/// every widget whose report reads the amount says "无权访问字段 商机金额" instead of a chart, the others draw as usual,
/// and the board refuses in the same words.
/// </summary>
public class HiddenFieldWidgetTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Widgets_on_a_hidden_amount_show_a_localized_alert_and_the_rest_draw(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var member = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(member, "opportunity", new Dictionary<string, FieldAccessLevel> { ["amount"] = FieldAccessLevel.Hidden, ["source"] = FieldAccessLevel.Hidden });
        await using var context = new ComponentTestContext("zh-CN", services => services.AddLogging().AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString));
        context.Bunit.Render<MudPopoverProvider>();

        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(member.Tenant, member))
            .AddChildContent<DashboardView>(c => c.Add(x => x.ContainerId, "home")));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#home").GetAttribute("data-ready")), TimeSpan.FromSeconds(20));
        cut.WaitForAssertion(() => Assert.Equal(11, cut.FindAll(".crm-widget-body[data-ready=true]").Count), TimeSpan.FromSeconds(30));

        var refused = cut.FindAll("[data-testid=report-hidden-field]");
        Assert.NotEmpty(refused);
        // Reports on the amount name it; the one summing 加权金额 (amount × probability, hidden with the amount) names that.
        var labels = new Dictionary<string, string> { ["amount"] = "商机金额", ["weighted_amount"] = "加权金额" };
        Assert.All(refused, a => Assert.Equal("无权访问字段 " + labels[a.GetAttribute("data-field")!], a.TextContent.Trim()));
        Assert.Contains(refused, a => a.GetAttribute("data-field") == "amount");
        Assert.Contains(refused, a => a.GetAttribute("data-field") == "weighted_amount");
        // The funnel only counts deals: it draws for this member.
        Assert.Empty(cut.FindAll("[data-widget=funnel] [data-testid=report-hidden-field]"));
        Assert.NotEmpty(cut.FindAll("[data-widget=funnel] [data-testid=funnel]"));

        // The same member's board grouped by 商机来源 (hidden): refused, naming it, with no columns and no sums.
        var board = context.Bunit.Render<KanbanBoard>(p => p
            .Add(x => x.Request, new BoardRequest("opportunity") { GroupBy = "source" })
            .AddCascadingValue(new TenantSession(ws.Tenant, member)));
        board.WaitForState(() => board.Find("#kanban-board").GetAttribute("data-ready") == "true", TimeSpan.FromSeconds(20));
        Assert.Equal("无权访问字段 商机来源", board.Find("[data-testid=board-hidden-field]").TextContent.Trim());
        Assert.Empty(board.FindAll("[data-column]"));
        // Grouped by stage it shows columns, but no sums of the hidden amount.
        board.Render(p => p.Add(x => x.Request, new BoardRequest("opportunity")));
        board.WaitForAssertion(() => Assert.NotEmpty(board.FindAll("[data-column]")), TimeSpan.FromSeconds(20));
        Assert.Empty(board.FindAll("[data-testid=column-sum]"));
    }
}
