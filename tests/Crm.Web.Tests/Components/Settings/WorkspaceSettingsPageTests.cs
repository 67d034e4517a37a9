using Bunit;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>The workspace settings page: name, default language and time zone, refused by field, saved, then a fresh page.</summary>
public class WorkspaceSettingsPageTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_sets_the_time_zone_and_a_blank_name_is_refused_beside_the_field(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await using var context = new ComponentTestContext("zh-CN", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
            services.AddIdentityCore<ApplicationUser>().AddEntityFrameworkStores<CrmDbContext>();
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<WorkspaceSettingsPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        Assert.Equal(ws.Tenant.Name, cut.Find("#workspace-name").GetAttribute("value"));
        Assert.Equal("(UTC+00:00) UTC", cut.Find("#workspace-timezone").GetAttribute("value"));

        // The zone list is searchable by city.
        var zone = cut.FindComponent<MudAutocomplete<string>>();
        var found = await cut.InvokeAsync(() => zone.Instance.SearchFunc!("shanghai", CancellationToken.None)!);
        Assert.Equal(["Asia/Shanghai"], found);
        await cut.InvokeAsync(() => zone.Instance.ValueChanged.InvokeAsync("Asia/Shanghai"));
        cut.WaitForAssertion(() => Assert.Equal("(UTC+08:00) Asia/Shanghai", cut.Find("#workspace-timezone").GetAttribute("value")));
        Assert.Contains("当前本地时间", cut.Find("#workspace-settings").TextContent);

        await cut.InputAsync("#workspace-name", "   ");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.Contains("请填写工作区名称", cut.Find("#workspace-settings").TextContent));
        await using (var db = ws.Database.Factory.CreateGlobal())
            Assert.Equal("UTC", (await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == ws.Tenant.Id)).TimeZone);

        await cut.InputAsync("#workspace-name", "上海分公司");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        var nav = context.Bunit.Services.GetRequiredService<NavigationManager>();
        cut.WaitForAssertion(() => Assert.EndsWith($"/t/{ws.Tenant.Identifier}/settings/workspace?saved=true", nav.Uri));
        await using (var db = ws.Database.Factory.CreateGlobal())
        {
            var stored = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == ws.Tenant.Id);
            Assert.Equal(("上海分公司", "Asia/Shanghai", "en"), (stored.Name, stored.TimeZone, stored.DefaultCulture));
        }
    }
}
