using Crm.Core.Design;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;

namespace Crm.Core.Tests.Lists;

/// <summary>Columns a person switches on or off are remembered per person and entity type; a field the admin shows
/// in the list joins the default view (and everyone's remembered columns).</summary>
public class ListColumnPreferenceTests
{
    public ListColumnPreferenceTests() => System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");

    private static async Task<Workspace> WorkspaceAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        return ws;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_column_choice_is_kept_per_person_and_entity_type_and_can_be_forgotten(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var alice = await ws.MemberAsync(MemberRole.Member);
        var bob = await ws.MemberAsync(MemberRole.Viewer);

        Assert.Null(await views.GetColumnPreferenceAsync(alice, "company"));
        await views.SaveColumnPreferenceAsync(alice, "company", ["name", "notes", "no_such_field", "$createdAt", "notes"]);
        // Unknown keys and repeats are dropped.
        Assert.Equal(["name", "notes", "$createdAt"], await views.GetColumnPreferenceAsync(alice, "company"));
        await views.SaveColumnPreferenceAsync(alice, "company", ["name", "city"]);
        Assert.Equal(["name", "city"], await views.GetColumnPreferenceAsync(alice, "company"));

        // Bob's lists and Alice's other entity types are untouched.
        Assert.Null(await views.GetColumnPreferenceAsync(bob, "company"));
        Assert.Null(await views.GetColumnPreferenceAsync(alice, "opportunity"));

        await views.SaveColumnPreferenceAsync(alice, "company", null);
        Assert.Null(await views.GetColumnPreferenceAsync(alice, "company"));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => views.SaveColumnPreferenceAsync(alice, "no_such_entity", ["name"]));
        Assert.Equal("entityKey", error.ParamName);
        Assert.Contains("no_such_entity", error.Message);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_new_field_shown_in_list_joins_the_default_view_and_remembered_columns(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var views = ws.Get<SavedViewService>();
        var alice = await ws.MemberAsync(MemberRole.Member);
        await views.SaveColumnPreferenceAsync(alice, "company", ["name", "city"]);
        var before = (await views.ResolveAsync(alice, "company", null))!.Definition.Columns;

        var draft = EntityDraft.From((await ws.MetadataAsync()).Entity("company")!);
        var shown = draft.AddField("text", new LocalizedText("税号", "Tax number"));
        var hidden = draft.AddField("text", new LocalizedText("内部备注", "Internal remark"));
        hidden.Settings = hidden.Settings with { ShowInList = false };
        Assert.True(shown.Settings.ShowInList, "a new field is shown in the list unless the admin says otherwise");
        var saved = await ws.Get<MetadataDesigner>().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        var view = (await views.ResolveAsync(alice, "company", null))!;
        Assert.Equal([.. before, shown.Key], view.Definition.Columns);
        Assert.Equal(["name", "city", shown.Key], await views.GetColumnPreferenceAsync(alice, "company"));
        // Without a saved view the fallback columns honour the setting too (even past the first few fields).
        var fallback = SavedViewService.Fallback((await ws.MetadataAsync()).Entity("company")!).Columns;
        Assert.Contains(shown.Key, fallback);
        Assert.DoesNotContain(hidden.Key, fallback);

        // Switched off again: the default view drops the column.
        draft = EntityDraft.From((await ws.MetadataAsync()).Entity("company")!);
        var field = draft.Fields.Single(f => f.Key == shown.Key);
        field.Settings = field.Settings with { ShowInList = false };
        Assert.True((await ws.Get<MetadataDesigner>().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        Assert.Equal(before, (await views.ResolveAsync(alice, "company", null))!.Definition.Columns);
    }
}
