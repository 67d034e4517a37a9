using Bunit;
using Crm.Core;
using Crm.Core.Permissions;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>The departments page: an admin builds the tree, puts people in it, and is told when a move would be a cycle.</summary>
public class DepartmentsPageTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_adds_departments_members_and_leaders_and_a_cycle_is_refused_with_a_message(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var rep = await ws.MemberAsync(MemberRole.Member);
        await using var context = new ComponentTestContext("zh-CN", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<DepartmentsPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=departments-empty]")));

        await cut.InputAsync("#department-new-name", "华东");
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.Contains("华东", cut.Find("[data-testid=department-tree]").TextContent));
        var east = (await ws.Get<DepartmentService>().GetAsync(ws.Owner)).Departments.Single().Id;

        // A child of 华东, chosen as parent in the form.
        await cut.InputAsync("#department-new-name", "上海");
        await cut.ChangeAsync("#department-new-parent", east.ToString());
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=department-row]").Count));
        var org = await ws.Get<DepartmentService>().GetAsync(ws.Owner);
        var shanghai = org.Departments.Single(d => d.Name == "上海");
        Assert.Equal(east, shanghai.ParentId);

        // The same name twice under one parent is refused beside the field.
        await cut.InputAsync("#department-new-name", "上海");
        await cut.ChangeAsync("#department-new-parent", east.ToString());
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        cut.WaitForAssertion(() => Assert.Contains("同一上级下已有名为\"上海\"的部门", cut.Markup));

        // 华东 under 上海 would be a cycle: refused, and said so in words.
        await cut.ClickAsync($"#department-{east}");
        await cut.ChangeAsync("#department-move-parent", shanghai.Id.ToString());
        await cut.ClickAsync("#department-move");
        cut.WaitForAssertion(() => Assert.Contains("不能把\"华东\"移到\"上海\"下面", cut.Find("[data-testid=department-move-error]").TextContent));

        // A member joins 华东 as its leader.
        await cut.ChangeAsync("#department-add-member", rep.UserId.ToString());
        await cut.ChangeAsync("#department-add-leader", true);
        await cut.ClickAsync("#department-add-member-submit");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=department-members]")));
        var member = Assert.Single((await ws.Get<DepartmentService>().GetAsync(ws.Owner)).Find(east)!.Members);
        Assert.Equal((rep.UserId, true), (member.UserId, member.IsLeader));
        await cut.ChangeAsync($"#leader-{rep.UserId}", false);
        cut.WaitForAssertion(async () => Assert.False((await ws.Get<DepartmentService>().GetAsync(ws.Owner)).Find(east)!.Members.Single().IsLeader));
    }
}
