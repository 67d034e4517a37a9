using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;

namespace Crm.Core.Tests.Permissions;

/// <summary>Custom roles as an admin edits them: names, members, and rights per entity type and field.</summary>
public class RoleServiceTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Roles_are_made_renamed_assigned_and_deleted(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var roles = ws.Get<RoleService>();
        var rep = await ws.MemberAsync(MemberRole.Member);

        var created = await roles.CreateAsync(ws.Owner, new LocalizedText("销售", "Sales rep"));
        Assert.True(created.Succeeded);
        var id = created.Id!.Value;
        var duplicate = await roles.CreateAsync(ws.Owner, LocalizedText.Same("销售"));
        Assert.Contains("销售", Assert.Single(duplicate.Errors.For("label")));
        Assert.Single((await roles.CreateAsync(ws.Owner, LocalizedText.Same(" "))).Errors.For("label"));

        Assert.True((await roles.AssignAsync(ws.Owner, id, rep.UserId)).Succeeded);
        Assert.True((await roles.AssignAsync(ws.Owner, id, rep.UserId)).Succeeded); // twice is still once
        Assert.Single((await roles.AssignAsync(ws.Owner, id, Guid.NewGuid())).Errors.For("userId"));
        Assert.True((await roles.RenameAsync(ws.Owner, id, new LocalizedText("销售代表", "Sales rep"))).Succeeded);

        var summary = Assert.Single(await roles.ListAsync(ws.Owner));
        Assert.Equal("销售代表", summary.Label.ZhCn);
        Assert.Equal("sales_rep", summary.Key);
        Assert.Equal(1, summary.MemberCount);
        Assert.Equal("销售代表", Assert.Single((await roles.RolesOfMembersAsync(ws.Owner))[rep.UserId]).Label.ZhCn);

        Assert.True((await roles.UnassignAsync(ws.Owner, id, rep.UserId)).Succeeded);
        Assert.Single((await roles.UnassignAsync(ws.Owner, id, rep.UserId)).Errors.For("userId"));
        Assert.True((await roles.DeleteAsync(ws.Owner, id)).Succeeded);
        Assert.Empty(await roles.ListAsync(ws.Owner));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Permission_edits_are_checked_and_apply_to_the_members_at_once(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var deal = (await ws.MetadataAsync()).Entity("opportunity")!;
        var roles = ws.Get<RoleService>();
        var rep = await ws.MemberAsync(MemberRole.Member);
        var role = (await roles.CreateAsync(ws.Owner, LocalizedText.Same("华东销售"))).Id!.Value;
        await roles.AssignAsync(ws.Owner, role, rep.UserId);

        var heard = new List<MembershipChange>();
        using var subscription = ws.Get<IMembershipChanges>().Subscribe(ws.Tenant.Id, rep.UserId, heard.Add);
        var input = new PermissionInput(true, DataScope.OwnAndDepartment, DataScope.Own, DataScope.None, [],
            new Dictionary<string, FieldAccessLevel> { ["amount"] = FieldAccessLevel.ReadOnly, ["name"] = FieldAccessLevel.Editable });
        Assert.True((await roles.SetPermissionAsync(ws.Owner, role, deal.Entity.Id, input)).Succeeded);
        Assert.True(Assert.Single(heard).AccessChanged);

        var access = await ws.Get<IAccessResolver>().GetAsync(rep, deal.Entity.Id);
        Assert.Equal(DataScope.OwnAndDepartment, access.Read.Scope);
        Assert.Equal(DataScope.Own, access.Edit.Scope);
        Assert.False(access.CanWriteField("amount"));
        var stored = (await roles.GetAsync(ws.Owner, role))!.For(deal.Entity.Id)!;
        Assert.Equal(["amount"], stored.Fields.Keys); // editable is the default and is not stored

        var bad = await roles.SetPermissionAsync(ws.Owner, role, deal.Entity.Id, new PermissionInput(true, DataScope.Own, DataScope.All, DataScope.OwnAndDepartment,
            ["nope", "amount"], new Dictionary<string, FieldAccessLevel> { ["cost_x"] = FieldAccessLevel.Hidden }));
        Assert.False(bad.Succeeded);
        Assert.Single(bad.Errors.For("edit"));
        Assert.Single(bad.Errors.For("delete"));
        Assert.Equal(2, bad.Errors.For("ownerFields").Count);
        Assert.Contains("cost_x", Assert.Single(bad.Errors.For("fields.cost_x")));
        Assert.Single((await roles.SetPermissionAsync(ws.Owner, role, Guid.NewGuid(), input)).Errors.For("entity"));
        // Refused edits change nothing.
        Assert.Equal(DataScope.OwnAndDepartment, (await roles.GetAsync(ws.Owner, role))!.For(deal.Entity.Id)!.Read);

        Assert.True((await roles.ClearPermissionAsync(ws.Owner, role, deal.Entity.Id)).Succeeded);
        Assert.True((await ws.Get<IAccessResolver>().GetAsync(rep, deal.Entity.Id)).Unrestricted);
        await Assert.ThrowsAsync<ForbiddenException>(() => roles.SetPermissionAsync(rep, role, deal.Entity.Id, input));
    }
}
