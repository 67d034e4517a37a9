using Crm.Core.Permissions;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;

namespace Crm.Core.Tests.Permissions;

/// <summary>The organisation an admin keeps: the department tree, its members and leaders, and what is refused.</summary>
public class DepartmentServiceTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Departments_form_a_tree_that_refuses_cycles_and_duplicate_names(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var service = ws.Get<DepartmentService>();
        var sales = (await service.CreateAsync(ws.Owner, " 销售部 ", null)).Id!.Value;
        var east = (await service.CreateAsync(ws.Owner, "华东", sales)).Id!.Value;
        var shanghai = (await service.CreateAsync(ws.Owner, "上海", east)).Id!.Value;
        var south = (await service.CreateAsync(ws.Owner, "华南", sales)).Id!.Value;

        var org = await service.GetAsync(ws.Owner);
        Assert.Equal(["销售部", "华东", "上海", "华南"], org.Departments.Select(d => d.Name));
        Assert.Equal([0, 1, 2, 1], org.Departments.Select(d => d.Depth));
        Assert.Equal("销售部 / 华东 / 上海", org.Path(shanghai));
        Assert.All(org.Departments, d => Assert.False(string.IsNullOrEmpty(d.Key)));

        var duplicate = await service.CreateAsync(ws.Owner, "华东", sales);
        Assert.False(duplicate.Succeeded);
        Assert.Contains("华东", Assert.Single(duplicate.Errors.For("name")));
        Assert.False((await service.CreateAsync(ws.Owner, "  ", null)).Succeeded);
        Assert.Single((await service.CreateAsync(ws.Owner, new string('x', 101), null)).Errors.For("name"));
        // The same name elsewhere in the tree is fine (两个"一组" under different regions).
        Assert.True((await service.CreateAsync(ws.Owner, "一组", east)).Succeeded);
        Assert.True((await service.CreateAsync(ws.Owner, "一组", south)).Succeeded);

        var cycle = await service.MoveAsync(ws.Owner, sales, shanghai);
        Assert.False(cycle.Succeeded);
        Assert.Contains("上海", Assert.Single(cycle.Errors.For("parentId")));
        Assert.False((await service.MoveAsync(ws.Owner, east, east)).Succeeded);

        Assert.True((await service.MoveAsync(ws.Owner, shanghai, south)).Succeeded);
        Assert.True((await service.RenameAsync(ws.Owner, south, "华南大区")).Succeeded);
        org = await service.GetAsync(ws.Owner);
        Assert.Equal("销售部 / 华南大区 / 上海", org.Path(shanghai));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_join_several_departments_lead_some_and_move_up_when_theirs_is_deleted(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var service = ws.Get<DepartmentService>();
        var rep = await ws.MemberAsync(MemberRole.Member);
        var lead = await ws.MemberAsync(MemberRole.Member);
        var sales = (await service.CreateAsync(ws.Owner, "销售部", null)).Id!.Value;
        var east = (await service.CreateAsync(ws.Owner, "华东", sales)).Id!.Value;
        var support = (await service.CreateAsync(ws.Owner, "客服部", null)).Id!.Value;

        Assert.True((await service.AddMemberAsync(ws.Owner, east, rep.UserId)).Succeeded);
        Assert.True((await service.AddMemberAsync(ws.Owner, support, rep.UserId)).Succeeded);
        Assert.True((await service.AddMemberAsync(ws.Owner, east, lead.UserId, isLeader: true)).Succeeded);
        var stranger = await service.AddMemberAsync(ws.Owner, east, Guid.NewGuid());
        Assert.Single(stranger.Errors.For("userId"));

        var org = await service.GetAsync(ws.Owner);
        Assert.Equal(["华东", "客服部"], org.Of(rep.UserId).Select(d => d.Name));
        var eastView = org.Find(east)!;
        Assert.Equal(lead.UserId, eastView.Members[0].UserId);
        Assert.True(eastView.Members[0].IsLeader);
        Assert.False(eastView.Members.Single(m => m.UserId == rep.UserId).IsLeader);

        // A department with sub-departments or members is not deleted by accident.
        Assert.Single((await service.DeleteAsync(ws.Owner, sales, moveMembersUp: true)).Errors.For("department"));
        var withMembers = await service.DeleteAsync(ws.Owner, east, moveMembersUp: false);
        Assert.Contains("华东", Assert.Single(withMembers.Errors.For("department")));

        Assert.True((await service.DeleteAsync(ws.Owner, east, moveMembersUp: true)).Succeeded);
        org = await service.GetAsync(ws.Owner);
        Assert.Null(org.Find(east));
        Assert.Equal(new[] { lead.UserId, rep.UserId }.Order(), org.Find(sales)!.Members.Select(m => m.UserId).Order());
        Assert.All(org.Find(sales)!.Members, m => Assert.False(m.IsLeader));

        Assert.True((await service.RemoveMemberAsync(ws.Owner, support, rep.UserId)).Succeeded);
        Assert.Single((await service.RemoveMemberAsync(ws.Owner, support, rep.UserId)).Errors.For("userId"));
        Assert.True((await service.DeleteAsync(ws.Owner, support, moveMembersUp: false)).Succeeded);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Only_current_admins_change_the_organisation_and_members_are_told_at_once(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var service = ws.Get<DepartmentService>();
        var member = await ws.MemberAsync(MemberRole.Member);
        var admin = await ws.MemberAsync(MemberRole.Admin);
        await Assert.ThrowsAsync<ForbiddenException>(() => service.CreateAsync(member, "华东", null));

        var east = (await service.CreateAsync(admin, "华东", null)).Id!.Value;
        var heard = new List<MembershipChange>();
        using var subscription = ws.Get<IMembershipChanges>().Subscribe(ws.Tenant.Id, member.UserId, heard.Add);
        await service.AddMemberAsync(admin, east, member.UserId);
        var change = Assert.Single(heard);
        Assert.True(change.AccessChanged);
        Assert.Equal(MemberRole.Member, change.NewRole);

        // Demoted since the page opened: the write is refused although the actor still says Admin.
        await ws.Get<Crm.Core.Accounts.MembershipService>().ChangeRoleAsync(ws.Owner, admin.UserId, MemberRole.Member);
        await Assert.ThrowsAsync<ForbiddenException>(() => service.RenameAsync(admin, east, "华东区"));
        Assert.Equal("华东", (await service.GetAsync(ws.Owner)).Find(east)!.Name);
    }
}
