using Crm.Core.Accounts;
using Crm.Core.Activities;
using Crm.Core.Boards;
using Crm.Core.Design;
using Crm.Core.Lists;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;

namespace Crm.Core.Tests.Accounts;

/// <summary>
/// An <see cref="Actor"/> is built when a page opens and may outlive a change of its rights. Writes must follow
/// the database, not that copy: these actors are built BEFORE the change and then try to write.
/// </summary>
public class CurrentRightsTests
{
    private static async Task<(Workspace Ws, Actor Admin)> ArrangeAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        return (ws, await ws.MemberAsync(MemberRole.Admin));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_demoted_to_viewer_can_no_longer_write_with_the_actor_of_the_open_page(string provider)
    {
        var (ws, admin) = await ArrangeAsync(provider);
        await using var _ = ws;
        var company = (await ws.Records.CreateAsync(admin, "company", RecordInput.Of(("name", "Before")))).Record!;
        var draft = (await ws.Get<MetadataDesigner>().LoadEntityAsync(admin, "company"))!;

        await ws.Get<MembershipService>().ChangeRoleAsync(ws.Owner, admin.UserId, MemberRole.Viewer);

        Assert.Equal(MemberRole.Admin, admin.Role); // the page's copy is unchanged
        var e = await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.CreateAsync(admin, "company", RecordInput.Of(("name", "After"))));
        Assert.False(e.NoLongerMember);
        Assert.Equal(MemberRole.Member, e.Required);
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.UpdateAsync(admin, company.Id, RecordInput.Of(("name", "Renamed"))));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.DeleteAsync(admin, [company.Id]));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<BulkRecordService>().DeleteAsync(admin, "company", [company.Id]));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<ActivityService>().LogAsync(admin, company.Id, new ActivityInput(ActivityKind.Note, "Hi")));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<InvitationService>().CreateAsync(admin, "someone@example.com", MemberRole.Member));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<MetadataDesigner>().SaveEntityAsync(admin, draft));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<MembershipService>().ChangeRoleAsync(admin, admin.UserId, MemberRole.Admin));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<SavedViewService>().CreateAsync(admin, "company", "Shared", new ViewDefinition(), shared: true));

        var (_, boardErrors) = await ws.Get<BoardViews>().SaveAsync(admin, "company", "Team board", new ViewDefinition(), shared: true);
        Assert.NotEmpty(boardErrors.For("shared"));

        Assert.Equal(MemberRole.Viewer, await ws.Get<MembershipService>().GetRoleAsync(ws.Tenant.Id, admin.UserId));
        Assert.Equal("Before", (await ws.Records.GetAsync(ws.Owner, company.Id))!.Title);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_removed_member_can_no_longer_write_and_is_told_so(string provider)
    {
        var (ws, admin) = await ArrangeAsync(provider);
        await using var _ = ws;
        var member = await ws.MemberAsync(MemberRole.Member);
        var company = (await ws.Records.CreateAsync(member, "company", RecordInput.Of(("name", "Mine")))).Record!;

        await ws.Get<MembershipService>().RemoveAsync(admin, member.UserId);

        var e = await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.CreateAsync(member, "company", RecordInput.Of(("name", "Late"))));
        Assert.True(e.NoLongerMember);
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.UpdateAsync(member, company.Id, RecordInput.Of(("name", "Late"))));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<ActivityService>().LogAsync(member, company.Id, new ActivityInput(ActivityKind.Note, "Late")));
        // Even a private view needs a current membership.
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<SavedViewService>().CreateAsync(member, "company", "Mine", new ViewDefinition(), shared: false));
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<BoardViews>().SaveAsync(member, "company", "My board", new ViewDefinition(), shared: false));
        Assert.Equal("Mine", (await ws.Records.GetAsync(ws.Owner, company.Id))!.Title);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_demoted_admin_keeps_what_the_new_role_allows(string provider)
    {
        var (ws, admin) = await ArrangeAsync(provider);
        await using var _ = ws;

        await ws.Get<MembershipService>().ChangeRoleAsync(ws.Owner, admin.UserId, MemberRole.Member);

        var created = await ws.Records.CreateAsync(admin, "company", RecordInput.Of(("name", "Still allowed")));
        Assert.True(created.Succeeded);
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Get<InvitationService>().CreateAsync(admin, "someone@example.com", MemberRole.Member));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Role_changes_and_removals_are_announced_to_that_member_only(string provider)
    {
        var (ws, admin) = await ArrangeAsync(provider);
        await using var _ = ws;
        var member = await ws.MemberAsync(MemberRole.Member);
        var other = await ws.MemberAsync(MemberRole.Member);
        var seen = new List<MembershipChange>();
        var seenByOther = new List<MembershipChange>();
        var changes = ws.Get<IMembershipChanges>();
        using var subscription = changes.Subscribe(ws.Tenant.Id, member.UserId, seen.Add);
        using var otherSubscription = changes.Subscribe(ws.Tenant.Id, other.UserId, seenByOther.Add);

        await ws.Get<MembershipService>().ChangeRoleAsync(admin, member.UserId, MemberRole.Viewer);
        await ws.Get<MembershipService>().RemoveAsync(admin, member.UserId);

        Assert.Equal([new MembershipChange(ws.Tenant.Id, member.UserId, MemberRole.Viewer), new MembershipChange(ws.Tenant.Id, member.UserId, null)], seen);
        Assert.True(seen[1].Removed);
        Assert.Empty(seenByOther);
    }
}
