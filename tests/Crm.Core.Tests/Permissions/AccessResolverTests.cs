using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Tenancy;
using Crm.Testing;

namespace Crm.Core.Tests.Permissions;

/// <summary>How base roles, custom roles and departments combine into one user's access (see AccessCalculator).</summary>
public class AccessResolverTests
{
    private static readonly Guid Entity = Guid.NewGuid();

    [Fact]
    public void Department_scopes_reach_the_members_of_the_users_departments_and_optionally_below()
    {
        var east = new Department { Name = "华东" };
        var shanghai = new Department { Name = "上海", ParentId = east.Id };
        var south = new Department { Name = "华南" };
        Guid me = Guid.NewGuid(), colleague = Guid.NewGuid(), shanghaiRep = Guid.NewGuid(), southRep = Guid.NewGuid();
        var org = new OrgChart([east, shanghai, south],
        [
            new DepartmentMember { DepartmentId = east.Id, UserId = me, IsLeader = true },
            new DepartmentMember { DepartmentId = east.Id, UserId = colleague },
            new DepartmentMember { DepartmentId = shanghai.Id, UserId = shanghaiRep },
            new DepartmentMember { DepartmentId = south.Id, UserId = southRep },
        ]);

        Assert.Equal([me], org.OwnersVisibleTo(me, DataScope.Own));
        Assert.Equal(new[] { me, colleague }.Order(), org.OwnersVisibleTo(me, DataScope.OwnAndDepartment));
        Assert.Equal(new[] { me, colleague, shanghaiRep }.Order(), org.OwnersVisibleTo(me, DataScope.OwnAndDepartmentTree));
        Assert.DoesNotContain(southRep, org.OwnersVisibleTo(me, DataScope.OwnAndDepartmentTree));
    }

    [Fact]
    public void Several_roles_combine_to_the_widest_scope_and_the_most_open_field_level()
    {
        var me = Guid.NewGuid();
        var rep = new EntityPermission { EntityTypeId = Entity, Read = DataScope.Own, Edit = DataScope.Own, Delete = DataScope.None, CanCreate = true,
            Fields = new() { ["cost"] = FieldAccessLevel.Hidden, ["discount"] = FieldAccessLevel.ReadOnly } };
        var analyst = new EntityPermission { EntityTypeId = Entity, Read = DataScope.All, Edit = DataScope.None, Delete = DataScope.None, CanCreate = false,
            OwnerFieldKeys = ["helpers"], Fields = new() { ["cost"] = FieldAccessLevel.ReadOnly, ["discount"] = FieldAccessLevel.Hidden } };

        var access = AccessCalculator.Compute(Entity, me, MemberRole.Member, [rep, analyst], OrgChart.Empty);

        Assert.False(access.Unrestricted);
        Assert.True(access.CanCreate);
        Assert.True(access.Read.IsAll);
        Assert.Equal(DataScope.Own, access.Edit.Scope);
        Assert.Equal([me], access.Edit.OwnerUserIds);
        Assert.Equal(["helpers"], access.Edit.OwnerFieldKeys);
        Assert.True(access.Delete.IsNone);
        Assert.Equal(FieldAccessLevel.ReadOnly, access.Field("cost"));
        Assert.Equal(FieldAccessLevel.ReadOnly, access.Field("discount"));
        Assert.Equal(FieldAccessLevel.Editable, access.Field("name"));
    }

    [Fact]
    public void Admins_are_unrestricted_and_viewers_never_write_whatever_their_roles_say()
    {
        var me = Guid.NewGuid();
        var wide = new EntityPermission { EntityTypeId = Entity, Read = DataScope.Own, Edit = DataScope.All, Delete = DataScope.All, Fields = new() { ["cost"] = FieldAccessLevel.Hidden } };

        var admin = AccessCalculator.Compute(Entity, me, MemberRole.Admin, [wide], OrgChart.Empty);
        Assert.True(admin.Unrestricted);
        Assert.True(admin.Read.IsAll);
        Assert.True(admin.CanSeeField("cost"));

        var viewer = AccessCalculator.Compute(Entity, me, MemberRole.Viewer, [wide], OrgChart.Empty);
        Assert.False(viewer.CanCreate);
        Assert.True(viewer.Edit.IsNone);
        Assert.True(viewer.Delete.IsNone);
        Assert.Equal(DataScope.Own, viewer.Read.Scope);
        Assert.False(viewer.CanSeeField("cost"));
        Assert.False(viewer.CanWriteField("name") && viewer.Fields.ContainsKey("name"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_resolver_reads_the_current_roles_and_departments_from_the_database(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var metadata = await ws.MetadataAsync();
        var deal = metadata.EntityTypes.First(e => e.Entity.Key == "opportunity").Entity;
        var other = metadata.EntityTypes.First(e => e.Entity.Key == "company").Entity;
        var rep = await ws.MemberAsync(MemberRole.Member);
        var colleague = await ws.MemberAsync(MemberRole.Member);
        var admin = await ws.MemberAsync(MemberRole.Admin);
        var resolver = ws.Get<IAccessResolver>();

        // No custom role: a member sees and changes everything, as before.
        Assert.True((await resolver.GetAsync(rep, deal.Id)).Unrestricted);

        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var role = new RoleDefinition { Key = "east_rep", Label = LocalizedText.Same("华东销售") };
            var east = new Department { Name = "华东" };
            db.AddRange(role, east,
                new DepartmentMember { DepartmentId = east.Id, UserId = rep.UserId },
                new DepartmentMember { DepartmentId = east.Id, UserId = colleague.UserId },
                new MemberRoleAssignment { UserId = rep.UserId, RoleId = role.Id },
                new MemberRoleAssignment { UserId = admin.UserId, RoleId = role.Id },
                new EntityPermission { RoleId = role.Id, EntityTypeId = deal.Id, Read = DataScope.OwnAndDepartment, Edit = DataScope.Own, Delete = DataScope.None,
                    Fields = new() { ["amount"] = FieldAccessLevel.ReadOnly } });
            await db.SaveChangesAsync();
        }

        var access = await resolver.GetAsync(rep, deal.Id);
        Assert.False(access.Unrestricted);
        Assert.Equal(new[] { rep.UserId, colleague.UserId }.Order(), access.Read.OwnerUserIds);
        Assert.Equal([rep.UserId], access.Edit.OwnerUserIds);
        Assert.True(access.Delete.IsNone);
        Assert.Single(access.DepartmentIds);
        Assert.False(access.CanWriteField("amount"));
        // The role says nothing about companies, and admins stay unrestricted.
        Assert.True((await resolver.GetAsync(rep, other.Id)).Unrestricted);
        Assert.True((await resolver.GetAsync(admin, deal.Id)).Unrestricted);
    }
}
