using Bunit;
using Crm.Core;
using Crm.Core.Audit;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>The audit log page: entries as localized sentences, narrowed by the filters on the server, export link following them.</summary>
public class AuditLogPageTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_target_filter_narrows_the_table_and_the_export_link_follows_it(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var trail = ws.Get<AuditTrail>();
        await trail.WriteAsync(ws.Owner, new AuditEvent(AuditActions.TemplateInstalled, AuditActions.Targets.Template, "b2b_sales_funnel", "B2B 销售漏斗",
            new System.Text.Json.Nodes.JsonObject { ["version"] = "1.2.0" }));
        await trail.WriteAsync(ws.Owner, new AuditEvent(AuditActions.ApiKeyCreated, AuditActions.Targets.ApiKey, Guid.NewGuid().ToString(), "ERP (crm_ab12cd…)"));
        await using var context = new ComponentTestContext("zh-CN", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<AuditLogPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=audit-action]").Count));
        var sentences = cut.FindAll("[data-testid=audit-action]").Select(a => a.TextContent.Trim()).ToList();
        Assert.Contains("安装了模板「B2B 销售漏斗」", sentences);
        Assert.Contains("创建了 API 密钥 ERP (crm_ab12cd…)", sentences);
        Assert.Contains("version:", cut.Find("[data-testid=audit-table]").TextContent);

        await cut.InputAsync("#audit-target", "ERP");
        await cut.ClickAsync("#audit-apply");

        cut.WaitForAssertion(() => Assert.Equal(["apikey.created"], cut.FindAll("[data-testid=audit-action]").Select(a => a.GetAttribute("data-action"))));
        Assert.EndsWith($"/t/{ws.Tenant.Identifier}/api/audit.csv?target=ERP", cut.Find("#audit-export").GetAttribute("href"));

        await cut.InputAsync("#audit-target", "nothing like this");
        await cut.ClickAsync("#audit-apply");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=audit-empty]")));
        Assert.Contains("没有符合条件的记录", cut.Find("[data-testid=audit-empty]").TextContent);

        await cut.ClickAsync("#audit-reset");
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=audit-action]").Count));
        Assert.EndsWith("/api/audit.csv", cut.Find("#audit-export").GetAttribute("href"));
    }
}
