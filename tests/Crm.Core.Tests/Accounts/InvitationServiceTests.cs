using Crm.Core.Accounts;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Accounts;

public class InvitationServiceTests
{
    private sealed record Setup(TestDatabase Db, InvitationService Service, MembershipService Members, ManualClock Clock, TenantInfo Tenant, Actor Owner);

    private static async Task<Setup> ArrangeAsync(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var services = CoreServices.Create(database, clock);
        var tenant = await database.CreateTenantAsync();
        var (_, owner) = await database.CreateMemberAsync(tenant, MemberRole.Owner);
        return new(database, services.GetRequiredService<InvitationService>(), services.GetRequiredService<MembershipService>(), clock, tenant, owner);
    }

    private static async Task<Crm.Core.Accounts.ApplicationUser> UserWithEmailAsync(TestDatabase database, string email)
    {
        var user = await database.CreateUserAsync();
        await using var db = database.Factory.CreateGlobal();
        db.Attach(user);
        user.Email = email;
        user.NormalizedEmail = email.ToUpperInvariant();
        await db.SaveChangesAsync();
        return user;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_invitation_is_created_listed_and_accepted_once(string provider)
    {
        var s = await ArrangeAsync(provider);
        var email = TestData.NewEmail("guest");
        var (invitation, token) = await s.Service.CreateAsync(s.Owner, email, MemberRole.Member);

        Assert.NotEqual(token, invitation.TokenHash);
        Assert.Contains(await s.Service.ListAsync(s.Owner), i => i.Id == invitation.Id && i.Email == email);
        Assert.NotNull(await s.Service.FindOpenAsync(s.Tenant.Identifier, token));

        var guest = await UserWithEmailAsync(s.Db, email.ToUpperInvariant());
        var joined = await s.Service.AcceptAsync(s.Tenant.Identifier, token, guest);

        Assert.Equal(s.Tenant.Id, joined.Id);
        Assert.Equal(MemberRole.Member, await s.Members.GetRoleAsync(s.Tenant.Id, guest.Id));
        Assert.Null(await s.Service.FindOpenAsync(s.Tenant.Identifier, token));
        var again = await Assert.ThrowsAsync<MembershipException>(() => s.Service.AcceptAsync(s.Tenant.Identifier, token, guest));
        Assert.Equal(MembershipProblem.InvitationInvalid, again.Problem);
        var other = await UserWithEmailAsync(s.Db, TestData.NewEmail());
        await Assert.ThrowsAsync<MembershipException>(() => s.Service.AcceptAsync(s.Tenant.Identifier, token, other));
        Assert.Null(await s.Members.GetRoleAsync(s.Tenant.Id, other.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_expired_invitation_is_refused(string provider)
    {
        var s = await ArrangeAsync(provider);
        var email = TestData.NewEmail("late");
        var (_, token) = await s.Service.CreateAsync(s.Owner, email, MemberRole.Viewer);
        var guest = await UserWithEmailAsync(s.Db, email);

        s.Clock.Advance(InvitationService.Lifetime + TimeSpan.FromMinutes(1));

        Assert.Null(await s.Service.FindOpenAsync(s.Tenant.Identifier, token));
        var e = await Assert.ThrowsAsync<MembershipException>(() => s.Service.AcceptAsync(s.Tenant.Identifier, token, guest));
        Assert.Equal(MembershipProblem.InvitationInvalid, e.Problem);
        Assert.Null(await s.Members.GetRoleAsync(s.Tenant.Id, guest.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_invitation_just_before_expiry_is_still_accepted(string provider)
    {
        var s = await ArrangeAsync(provider);
        var email = TestData.NewEmail("onTime");
        var (_, token) = await s.Service.CreateAsync(s.Owner, email, MemberRole.Viewer);
        var guest = await UserWithEmailAsync(s.Db, email);

        s.Clock.Advance(InvitationService.Lifetime - TimeSpan.FromMinutes(1));

        await s.Service.AcceptAsync(s.Tenant.Identifier, token, guest);
        Assert.Equal(MemberRole.Viewer, await s.Members.GetRoleAsync(s.Tenant.Id, guest.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_revoked_invitation_is_refused(string provider)
    {
        var s = await ArrangeAsync(provider);
        var email = TestData.NewEmail("revoked");
        var (invitation, token) = await s.Service.CreateAsync(s.Owner, email, MemberRole.Member);
        var guest = await UserWithEmailAsync(s.Db, email);

        await s.Service.RevokeAsync(s.Owner, invitation.Id);

        var e = await Assert.ThrowsAsync<MembershipException>(() => s.Service.AcceptAsync(s.Tenant.Identifier, token, guest));
        Assert.Equal(MembershipProblem.InvitationInvalid, e.Problem);
        Assert.Null(await s.Members.GetRoleAsync(s.Tenant.Id, guest.Id));
        Assert.NotNull((await s.Service.ListAsync(s.Owner)).Single(i => i.Id == invitation.Id).RevokedAt);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_invitation_for_another_email_is_refused(string provider)
    {
        var s = await ArrangeAsync(provider);
        var (_, token) = await s.Service.CreateAsync(s.Owner, TestData.NewEmail("invited"), MemberRole.Member);
        var stranger = await UserWithEmailAsync(s.Db, TestData.NewEmail("stranger"));

        var e = await Assert.ThrowsAsync<MembershipException>(() => s.Service.AcceptAsync(s.Tenant.Identifier, token, stranger));

        Assert.Equal(MembershipProblem.InvitationEmailMismatch, e.Problem);
        Assert.Null(await s.Members.GetRoleAsync(s.Tenant.Id, stranger.Id));
        Assert.NotNull(await s.Service.FindOpenAsync(s.Tenant.Identifier, token));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_token_only_opens_its_own_workspace(string provider)
    {
        var s = await ArrangeAsync(provider);
        var other = await s.Db.CreateTenantAsync();
        var email = TestData.NewEmail("guest");
        var (_, token) = await s.Service.CreateAsync(s.Owner, email, MemberRole.Member);
        var guest = await UserWithEmailAsync(s.Db, email);

        Assert.Null(await s.Service.FindOpenAsync(other.Identifier, token));
        await Assert.ThrowsAsync<MembershipException>(() => s.Service.AcceptAsync(other.Identifier, token, guest));
        Assert.Null(await s.Members.GetRoleAsync(other.Id, guest.Id));
        Assert.Null(await s.Service.FindOpenAsync("no-such-workspace", token));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_is_not_invited_twice(string provider)
    {
        var s = await ArrangeAsync(provider);
        var email = TestData.NewEmail("twice");
        var guest = await UserWithEmailAsync(s.Db, email);
        await s.Db.AddMemberAsync(s.Tenant, guest, MemberRole.Viewer);
        var (_, token) = await s.Service.CreateAsync(s.Owner, email, MemberRole.Admin);

        var e = await Assert.ThrowsAsync<MembershipException>(() => s.Service.AcceptAsync(s.Tenant.Identifier, token, guest));

        Assert.Equal(MembershipProblem.AlreadyMember, e.Problem);
        Assert.Equal(MemberRole.Viewer, await s.Members.GetRoleAsync(s.Tenant.Id, guest.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Only_admins_invite_and_only_owners_invite_owners(string provider)
    {
        var s = await ArrangeAsync(provider);
        var (_, member) = await s.Db.CreateMemberAsync(s.Tenant, MemberRole.Member);
        var (_, admin) = await s.Db.CreateMemberAsync(s.Tenant, MemberRole.Admin);

        await Assert.ThrowsAsync<ForbiddenException>(() => s.Service.CreateAsync(member, TestData.NewEmail(), MemberRole.Viewer));
        await Assert.ThrowsAsync<ForbiddenException>(() => s.Service.CreateAsync(admin, TestData.NewEmail(), MemberRole.Owner));
        await Assert.ThrowsAsync<ForbiddenException>(() => s.Service.ListAsync(member));
        var (invitation, _) = await s.Service.CreateAsync(admin, TestData.NewEmail(), MemberRole.Admin);
        var (ownerInvitation, _) = await s.Service.CreateAsync(s.Owner, TestData.NewEmail(), MemberRole.Owner);
        Assert.Equal((MemberRole.Admin, MemberRole.Owner), (invitation.Role, ownerInvitation.Role));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_of_A_cannot_revoke_or_list_invitations_of_B(string provider)
    {
        var s = await ArrangeAsync(provider);
        var b = await s.Db.CreateTenantAsync();
        var (_, ownerOfB) = await s.Db.CreateMemberAsync(b, MemberRole.Owner);
        var (invitationOfB, _) = await s.Service.CreateAsync(ownerOfB, TestData.NewEmail(), MemberRole.Member);

        var e = await Assert.ThrowsAsync<MembershipException>(() => s.Service.RevokeAsync(s.Owner, invitationOfB.Id));

        Assert.Equal(MembershipProblem.InvitationInvalid, e.Problem);
        Assert.DoesNotContain(await s.Service.ListAsync(s.Owner), i => i.Id == invitationOfB.Id);
        await using var db = s.Db.Factory.CreateForTenant(b.Id);
        Assert.Null((await db.Invitations.SingleAsync(i => i.Id == invitationOfB.Id)).RevokedAt);
    }
}
