using Bunit;
using Crm.Core;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>The roles page: the list, and one role's members and permissions matrix with field access.</summary>
public class RolesPageTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_limits_deals_to_own_and_department_hides_the_cost_price_and_gives_the_role_to_a_rep(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var rep = await ws.MemberAsync(MemberRole.Member);
        var roles = ws.Get<RoleService>();
        var role = (await roles.ListAsync(ws.Owner)).Single(r => r.Key == "sales_rep");
        var deal = (await ws.MetadataAsync()).Entity("opportunity")!;
        var company = (await ws.MetadataAsync()).Entity("company")!;
        await using var context = new ComponentTestContext("zh-CN", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<RolesPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier).Add(x => x.RoleId, role.Id)));
        cut.WaitForAssertion(() => Assert.Equal("销售代表", cut.Find("[data-testid=role-title]").TextContent.Trim()));
        Assert.Contains("本人", cut.Find("[data-testid=permission-row-opportunity]").TextContent);

        await cut.ChangeAsync("#perm-read-opportunity", nameof(DataScope.OwnAndDepartment));
        cut.WaitForAssertion(async () => Assert.Equal(DataScope.OwnAndDepartment, (await roles.GetAsync(ws.Owner, role.Id))!.For(deal.Entity.Id)!.Read));

        // Edit wider than read is refused with a message, and nothing changes.
        await cut.ChangeAsync("#perm-edit-opportunity", nameof(DataScope.All));
        cut.WaitForAssertion(() => Assert.Contains("可编辑的范围不能大于可查看的范围", cut.Find("[data-testid=permission-error]").TextContent));
        Assert.Equal(DataScope.Own, (await roles.GetAsync(ws.Owner, role.Id))!.For(deal.Entity.Id)!.Edit);

        // Field access: the amount becomes read-only (成本价 is already hidden by the template).
        await cut.ClickAsync("#perm-fields-opportunity");
        cut.WaitForAssertion(() => Assert.Contains("成本价", cut.Find("[data-testid=field-access-opportunity]").TextContent));
        await cut.ChangeAsync("#field-opportunity-amount", nameof(FieldAccessLevel.ReadOnly));
        cut.WaitForAssertion(async () =>
        {
            var fields = (await roles.GetAsync(ws.Owner, role.Id))!.For(deal.Entity.Id)!.Fields;
            Assert.Equal(FieldAccessLevel.ReadOnly, fields["amount"]);
            Assert.Equal(FieldAccessLevel.Hidden, fields["cost_price"]);
        });

        // Companies no longer limited by the role.
        await cut.ChangeAsync("#perm-limit-company", false);
        cut.WaitForAssertion(async () => Assert.Null((await roles.GetAsync(ws.Owner, role.Id))!.For(company.Entity.Id)));
        Assert.Contains("不受此角色限制", cut.Find("[data-testid=permission-row-company]").TextContent);

        await cut.ChangeAsync("#role-add-member", rep.UserId.ToString());
        await cut.ClickAsync("#role-add-member-submit");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"[data-testid=role-member-{rep.UserId}]")));
        var access = await ws.Get<IAccessResolver>().GetAsync(rep, deal.Entity.Id);
        Assert.Equal(DataScope.OwnAndDepartment, access.Read.Scope);
        Assert.False(access.CanSeeField("cost_price"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_list_creates_a_role_and_refuses_a_duplicate_name(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.Get<RoleService>().CreateAsync(ws.Owner, new LocalizedText("客服", "Support"));
        await using var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<RolesPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        cut.WaitForAssertion(() => Assert.Contains("Support", cut.Find("[data-testid=roles-table]").TextContent));

        await cut.InputAsync("#role-new-name", "Support");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.Contains("There is already a role named", cut.Markup));

        await cut.InputAsync("#role-new-name", "Marketing");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        var nav = context.Bunit.Services.GetRequiredService<NavigationManager>();
        cut.WaitForAssertion(() => Assert.Contains("/settings/roles/", nav.Uri));
        Assert.Contains(await ws.Get<RoleService>().ListAsync(ws.Owner), r => r.Label.En == "Marketing");
    }
}
