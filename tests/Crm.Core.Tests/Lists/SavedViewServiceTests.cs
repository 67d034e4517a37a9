using System.Text.Json.Nodes;
using Crm.Core.Lists;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;

namespace Crm.Core.Tests.Lists;

/// <summary>Saved list views: shared with the workspace or private, and who may change which.</summary>
public class SavedViewServiceTests
{
    // Messages name fields in the UI language: English here.
    public SavedViewServiceTests() => System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");

    private static async Task<Workspace> WorkspaceAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        return ws;
    }

    private static readonly ViewDefinition Mine = new()
    {
        Columns = ["name", "amount", "stage"],
        Sort = [new SortSpec("amount", Descending: true)],
        Filters = [new FilterSpec("owner", "in", new JsonArray("$me"))],
        Search = "  平台 ",
        PageSize = 50,
    };

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Template_views_are_shared_and_the_default_opens_first(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var viewer = await ws.MemberAsync(MemberRole.Viewer);

        var list = await views.ListAsync(viewer, "opportunity");
        Assert.Equal(["opportunity_list", "opportunity_lost"], list.Select(v => v.Key));
        Assert.All(list, v => Assert.Null(v.OwnerUserId));
        Assert.DoesNotContain(list, v => v.Kind == ViewKind.Kanban);

        var opened = await views.ResolveAsync(viewer, "opportunity", null);
        Assert.Equal("opportunity_list", opened!.Key);
        Assert.Equal(["code", "name", "company", "stage", "amount", "weighted_amount", "expected_close", "owner"], opened.Definition.Columns);
        Assert.Equal("opportunity_lost", (await views.ResolveAsync(viewer, "opportunity", "opportunity_lost"))!.Key);
        Assert.Equal("opportunity_list", (await views.ResolveAsync(viewer, "opportunity", "no_such_view"))!.Key);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_private_view_is_seen_only_by_its_owner_and_a_shared_one_by_everyone(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var alice = await ws.MemberAsync(MemberRole.Member);
        var bob = await ws.MemberAsync(MemberRole.Member);

        var privateView = await views.CreateAsync(alice, "opportunity", "我的大单", Mine, shared: false);
        Assert.True(privateView.Succeeded, privateView.Errors.ToString());
        var sharedView = await views.CreateAsync(alice, "opportunity", "Team pipeline", Mine, shared: true);
        Assert.True(sharedView.Succeeded);

        var forAlice = await views.ListAsync(alice, "opportunity");
        var forBob = await views.ListAsync(bob, "opportunity");
        Assert.Contains(forAlice, v => v.Id == privateView.View!.Id);
        Assert.DoesNotContain(forBob, v => v.Id == privateView.View!.Id);
        Assert.Contains(forBob, v => v.Id == sharedView.View!.Id);
        // Shared views first, then one's own.
        Assert.Equal(privateView.View!.Id, forAlice[^1].Id);

        // Bob cannot open Alice's private view by its key: he gets the default.
        Assert.Equal("opportunity_list", (await views.ResolveAsync(bob, "opportunity", privateView.View!.Key))!.Key);
        Assert.Equal(privateView.View!.Key, (await views.ResolveAsync(alice, "opportunity", privateView.View!.Key))!.Key);

        // What was saved is what comes back (search trimmed).
        var saved = (await views.ResolveAsync(alice, "opportunity", privateView.View!.Key))!;
        Assert.Equal(Mine.Columns, saved.Definition.Columns);
        Assert.Equal(Mine.Sort, saved.Definition.Sort);
        Assert.Equal(Mine.Filters, saved.Definition.Filters);
        Assert.Equal("平台", saved.Definition.Search);
        Assert.Equal(50, saved.Definition.PageSize);
        Assert.Equal("Team pipeline", sharedView.View!.Name.En);
        Assert.Equal("team_pipeline", sharedView.View!.Key);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_saves_private_views_but_not_shared_ones(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var viewer = await ws.MemberAsync(MemberRole.Viewer);

        var own = await views.CreateAsync(viewer, "company", "My list", new ViewDefinition { Columns = ["name"] }, shared: false);
        Assert.True(own.Succeeded);
        await Assert.ThrowsAsync<ForbiddenException>(() => views.CreateAsync(viewer, "company", "For all", new ViewDefinition { Columns = ["name"] }, shared: true));
        Assert.DoesNotContain(await views.ListAsync(ws.Owner, "company"), v => v.Name.En == "For all");
        Assert.False(SavedViewService.CanShare(viewer));
        Assert.True(SavedViewService.CanShare(await ws.MemberAsync(MemberRole.Member)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task People_manage_their_own_views_and_admins_the_shared_ones(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var member = await ws.MemberAsync(MemberRole.Member);
        var other = await ws.MemberAsync(MemberRole.Member);
        var admin = await ws.MemberAsync(MemberRole.Admin);
        var shared = (await views.ListAsync(member, "company")).First(v => v.Key == "company_list");
        var own = (await views.CreateAsync(member, "company", "Mine", new ViewDefinition { Columns = ["name"] }, shared: false)).View!;

        // A member may not change or delete a shared view; an admin may.
        await Assert.ThrowsAsync<ForbiddenException>(() => views.RenameAsync(member, shared.Id, "Renamed"));
        await Assert.ThrowsAsync<ForbiddenException>(() => views.UpdateAsync(member, shared.Id, new ViewDefinition { Columns = ["name"] }));
        await Assert.ThrowsAsync<ForbiddenException>(() => views.DeleteAsync(member, shared.Id));
        var renamed = await views.RenameAsync(admin, shared.Id, "所有客户");
        Assert.True(renamed.Succeeded);
        Assert.Equal("所有客户", (await views.ResolveAsync(member, "company", "company_list"))!.Name.ZhCn);
        var updated = await views.UpdateAsync(admin, shared.Id, new ViewDefinition { Columns = ["name", "city"], PageSize = 10 });
        Assert.True(updated.Succeeded);
        Assert.Equal(["name", "city"], (await views.ResolveAsync(member, "company", "company_list"))!.Definition.Columns);

        // Someone else's private view is out of reach: not found, nothing changes.
        var foreign = await views.RenameAsync(other, own.Id, "Hijacked");
        Assert.False(foreign.Succeeded);
        Assert.Equal("The view does not exist (any more).", Assert.Single(foreign.Errors.For(SavedViewService.ViewErrorKey)));
        Assert.False(await views.DeleteAsync(other, own.Id));
        Assert.False(await views.DeleteAsync(admin, own.Id));

        // The owner renames and deletes their own.
        Assert.True((await views.RenameAsync(member, own.Id, "Still mine")).Succeeded);
        Assert.True(await views.DeleteAsync(member, own.Id));
        Assert.DoesNotContain(await views.ListAsync(member, "company"), v => v.Id == own.Id);
        Assert.True(await views.DeleteAsync(admin, shared.Id));
        Assert.DoesNotContain(await views.ListAsync(member, "company"), v => v.Id == shared.Id);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_name_is_required_and_names_that_collide_get_their_own_keys(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var before = (await views.ListAsync(ws.Owner, "contact")).Count;

        var blank = await views.CreateAsync(ws.Owner, "contact", "   ", Mine, shared: false);
        Assert.False(blank.Succeeded);
        Assert.Equal("Give the view a name.", Assert.Single(blank.Errors.For(SavedViewService.NameKey)));
        var tooLong = await views.CreateAsync(ws.Owner, "contact", new string('x', 101), Mine, shared: true);
        Assert.Contains("100", Assert.Single(tooLong.Errors.For(SavedViewService.NameKey)));
        Assert.Equal(before, (await views.ListAsync(ws.Owner, "contact")).Count);

        var first = await views.CreateAsync(ws.Owner, "contact", "决策人", Mine, shared: false);
        var second = await views.CreateAsync(ws.Owner, "contact", "决策人", Mine, shared: true);
        Assert.NotEqual(first.View!.Key, second.View!.Key);
        Assert.Equal(before + 2, (await views.ListAsync(ws.Owner, "contact")).Count);

        var renamedBlank = await views.RenameAsync(ws.Owner, first.View.Id, "");
        Assert.False(renamedBlank.Succeeded);
        Assert.Equal("决策人", (await views.ResolveAsync(ws.Owner, "contact", first.View.Key))!.Name.ZhCn);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Unknown_columns_and_page_sizes_are_tidied_away(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var result = await views.CreateAsync(ws.Owner, "company", "Tidy",
            new ViewDefinition { Columns = ["name", "no_such_field", "city", "name", "$updatedAt"], PageSize = 7, Search = " " }, shared: false);
        Assert.Equal(["name", "city", "$updatedAt"], result.View!.Definition.Columns);
        Assert.Equal(25, result.View.Definition.PageSize);
        Assert.Null(result.View.Definition.Search);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Views_of_another_workspace_are_invisible(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        await using var other = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var theirs = (await other.Get<SavedViewService>().CreateAsync(other.Owner, "company", "Theirs", Mine, shared: true)).View!;

        Assert.DoesNotContain(await views.ListAsync(ws.Owner, "company"), v => v.Id == theirs.Id);
        Assert.False(await views.DeleteAsync(ws.Owner, theirs.Id));
        Assert.False((await views.RenameAsync(ws.Owner, theirs.Id, "Mine now")).Succeeded);
        Assert.Contains(await other.Get<SavedViewService>().ListAsync(other.Owner, "company"), v => v.Id == theirs.Id && v.Name.En == "Theirs");
    }
}
