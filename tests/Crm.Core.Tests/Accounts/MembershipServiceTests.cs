using Crm.Core.Accounts;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Accounts;

public class MembershipServiceTests
{
    private static async Task<(TestDatabase Db, MembershipService Service, TenantInfo Tenant)> ArrangeAsync(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var services = CoreServices.Create(database);
        return (database, services.GetRequiredService<MembershipService>(), await database.CreateTenantAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_promotes_a_member_to_admin(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        var (_, admin) = await database.CreateMemberAsync(tenant, MemberRole.Admin);
        var (member, _) = await database.CreateMemberAsync(tenant, MemberRole.Member);

        await service.ChangeRoleAsync(admin, member.Id, MemberRole.Admin);

        Assert.Equal(MemberRole.Admin, await service.GetRoleAsync(tenant.Id, member.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_cannot_grant_owner(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        var (_, admin) = await database.CreateMemberAsync(tenant, MemberRole.Admin);
        var (member, _) = await database.CreateMemberAsync(tenant, MemberRole.Member);

        var e = await Assert.ThrowsAsync<ForbiddenException>(() => service.ChangeRoleAsync(admin, member.Id, MemberRole.Owner));

        Assert.Equal(MemberRole.Owner, e.Required);
        Assert.Equal(MemberRole.Member, await service.GetRoleAsync(tenant.Id, member.Id));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.ChangeRoleAsync(admin, admin.UserId, MemberRole.Owner));
        Assert.Equal(MemberRole.Admin, await service.GetRoleAsync(tenant.Id, admin.UserId));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_cannot_demote_or_remove_an_owner(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        var (owner, _) = await database.CreateMemberAsync(tenant, MemberRole.Owner);
        await database.CreateMemberAsync(tenant, MemberRole.Owner);
        var (_, admin) = await database.CreateMemberAsync(tenant, MemberRole.Admin);

        await Assert.ThrowsAsync<ForbiddenException>(() => service.ChangeRoleAsync(admin, owner.Id, MemberRole.Viewer));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.RemoveAsync(admin, owner.Id));
        Assert.Equal(MemberRole.Owner, await service.GetRoleAsync(tenant.Id, owner.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_and_viewers_cannot_change_roles(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        var (_, member) = await database.CreateMemberAsync(tenant, MemberRole.Member);
        var (viewer, viewerActor) = await database.CreateMemberAsync(tenant, MemberRole.Viewer);

        await Assert.ThrowsAsync<ForbiddenException>(() => service.ChangeRoleAsync(member, viewer.Id, MemberRole.Member));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.ChangeRoleAsync(viewerActor, viewer.Id, MemberRole.Admin));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.RemoveAsync(member, viewer.Id));
        Assert.Equal(MemberRole.Viewer, await service.GetRoleAsync(tenant.Id, viewer.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_last_owner_cannot_be_demoted_or_removed(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        var (owner, ownerActor) = await database.CreateMemberAsync(tenant, MemberRole.Owner);
        await database.CreateMemberAsync(tenant, MemberRole.Admin);

        var demote = await Assert.ThrowsAsync<MembershipException>(() => service.ChangeRoleAsync(ownerActor, owner.Id, MemberRole.Admin));
        var remove = await Assert.ThrowsAsync<MembershipException>(() => service.RemoveAsync(ownerActor, owner.Id));

        Assert.Equal((MembershipProblem.LastOwner, MembershipProblem.LastOwner), (demote.Problem, remove.Problem));
        Assert.Equal(MemberRole.Owner, await service.GetRoleAsync(tenant.Id, owner.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task With_two_owners_one_may_step_down(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        var (first, firstActor) = await database.CreateMemberAsync(tenant, MemberRole.Owner);
        var (second, _) = await database.CreateMemberAsync(tenant, MemberRole.Owner);

        await service.ChangeRoleAsync(firstActor, first.Id, MemberRole.Admin);
        Assert.Equal(MemberRole.Admin, await service.GetRoleAsync(tenant.Id, first.Id));

        // Now the second is the last owner.
        var secondActor = new Actor(second.Id, second.DisplayName, tenant, MemberRole.Owner);
        await Assert.ThrowsAsync<MembershipException>(() => service.RemoveAsync(secondActor, second.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_owner_can_grant_owner_and_remove_a_member(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        var (_, owner) = await database.CreateMemberAsync(tenant, MemberRole.Owner);
        var (admin, _) = await database.CreateMemberAsync(tenant, MemberRole.Admin);
        var (member, _) = await database.CreateMemberAsync(tenant, MemberRole.Member);

        await service.ChangeRoleAsync(owner, admin.Id, MemberRole.Owner);
        await service.RemoveAsync(owner, member.Id);

        Assert.Equal(MemberRole.Owner, await service.GetRoleAsync(tenant.Id, admin.Id));
        Assert.Null(await service.GetRoleAsync(tenant.Id, member.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_of_A_cannot_touch_members_of_B(string provider)
    {
        var (database, service, a) = await ArrangeAsync(provider);
        var b = await database.CreateTenantAsync();
        var (_, ownerOfA) = await database.CreateMemberAsync(a, MemberRole.Owner);
        var (memberOfB, _) = await database.CreateMemberAsync(b, MemberRole.Member);

        var change = await Assert.ThrowsAsync<MembershipException>(() => service.ChangeRoleAsync(ownerOfA, memberOfB.Id, MemberRole.Viewer));
        var remove = await Assert.ThrowsAsync<MembershipException>(() => service.RemoveAsync(ownerOfA, memberOfB.Id));

        Assert.Equal((MembershipProblem.NotAMember, MembershipProblem.NotAMember), (change.Problem, remove.Problem));
        Assert.Equal(MemberRole.Member, await service.GetRoleAsync(b.Id, memberOfB.Id));
        Assert.DoesNotContain(await service.GetMembersAsync(ownerOfA), m => m.UserId == memberOfB.Id);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Workspaces_of_a_user_list_every_membership_with_its_role(string provider)
    {
        var (database, service, a) = await ArrangeAsync(provider);
        var b = await database.CreateTenantAsync();
        var user = await database.CreateUserAsync();
        await database.AddMemberAsync(a, user, MemberRole.Viewer);
        await database.AddMemberAsync(b, user, MemberRole.Admin);

        var workspaces = await service.GetWorkspacesAsync(user.Id);

        Assert.Equal(
            new[] { (a.Id, MemberRole.Viewer), (b.Id, MemberRole.Admin) }.OrderBy(x => x.Item1),
            workspaces.Select(w => (w.TenantId, w.Role)).OrderBy(x => x.Item1));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_are_listed_from_the_most_powerful_role_down(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        await database.CreateMemberAsync(tenant, MemberRole.Viewer);
        await database.CreateMemberAsync(tenant, MemberRole.Member);
        var (_, owner) = await database.CreateMemberAsync(tenant, MemberRole.Owner);
        await database.CreateMemberAsync(tenant, MemberRole.Admin);

        var members = await service.GetMembersAsync(owner);

        Assert.Equal([MemberRole.Owner, MemberRole.Admin, MemberRole.Member, MemberRole.Viewer], members.Select(m => m.Role));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_display_name_is_what_the_user_is_called_in_the_top_bar(string provider)
    {
        var (database, service, tenant) = await ArrangeAsync(provider);
        var user = await database.CreateUserAsync("张伟");
        await database.AddMemberAsync(tenant, user, MemberRole.Member);

        Assert.Equal("张伟", await service.GetDisplayNameAsync(user.Id));
        Assert.Null(await service.GetDisplayNameAsync(Guid.NewGuid()));
    }
}
