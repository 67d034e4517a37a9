using Bunit;
using Crm.Core.Lists;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Web.Tests.Components.Lists;

/// <summary>The record list page: columns from the saved view, sorting and filtering from the headers, the column chooser, and no edit controls for viewers.</summary>
public class RecordListPageTests
{
    public RecordListPageTests() => ListContext.UseCulture("en");

    private static List<string?> HeaderKeys(IRenderedComponent<Crm.Web.Components.Pages.Tenant.Records.RecordList> cut)
        => cut.FindAll(".crm-column-header").Select(h => h.GetAttribute("data-column")).ToList();

    private static List<string> Titles(IRenderedComponent<Crm.Web.Components.Pages.Tenant.Records.RecordList> cut)
        => cut.FindAll("[data-testid=record-link]").Select(a => a.TextContent.Trim()).ToList();

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Columns_rows_and_names_come_from_the_default_view(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var cut = f.Render("opportunity");

        Assert.Equal(["code", "name", "company", "stage", "amount", "weighted_amount", "expected_close", "owner"], HeaderKeys(cut));
        Assert.Equal("35", cut.Find("#record-list").GetAttribute("data-total"));
        Assert.Equal("opportunity_list", cut.Find("#record-list").GetAttribute("data-view"));
        Assert.Equal(25, cut.FindAll("[data-testid=record-link]").Count);

        // Links open the record page; linked companies and owners show names, never ids.
        var link = cut.Find("[data-testid=record-link]");
        Assert.Matches($"^/t/{f.Slug}/r/opportunity/[0-9a-f-]{{36}}$", link.GetAttribute("href")!);
        Assert.Contains(f.Workspace.Owner.DisplayName, cut.Markup);
        Assert.Contains("有限公司", cut.FindAll("td")[3].TextContent + cut.Markup);
        Assert.DoesNotMatch("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}</td>", cut.Markup);

        // The view sorts by the expected close date: shown in the header, and the rows follow it.
        Assert.Equal("ascending", cut.Find("[data-testid=sort-expected_close]").GetAttribute("aria-sort"));
        Assert.Equal("none", cut.Find("[data-testid=sort-amount]").GetAttribute("aria-sort"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_view_in_the_address_applies_its_columns_and_filters(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var cut = f.Render("opportunity", "view=opportunity_lost");

        Assert.Equal(["code", "name", "company", "amount", "lost_reason", "competitor", "owner"], HeaderKeys(cut));
        var lost = cut.Find("#record-list").GetAttribute("data-total");
        await using var db = f.Workspace.Database.Factory.CreateForTenant(f.Workspace.Tenant.Id);
        var entity = (await f.Workspace.MetadataAsync()).Entity("opportunity")!;
        var lostStages = entity.AllPipelines.Select(p => p.Stage("lost")!.Id).ToList();
        Assert.Equal((await db.Records.CountAsync(r => r.StageId != null && lostStages.Contains(r.StageId.Value))).ToString(), lost);
        Assert.NotEqual("35", lost);
        Assert.Contains("Lost opportunities", cut.Find("[data-testid=view-menu]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=view-dirty]"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Clicking_a_header_sorts_and_the_filter_button_filters(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var cut = f.Render("company");
        // The view sorts by name (in the database's collation); one click reverses it.
        Assert.Equal("ascending", cut.Find("[data-testid=sort-name]").GetAttribute("aria-sort"));
        var ascending = Titles(cut);
        Assert.Equal(12, ascending.Count);

        await cut.ClickAsync("[data-testid=sort-name]");
        cut.WaitForAssertion(() => Assert.Equal("descending", cut.Find("[data-testid=sort-name]").GetAttribute("aria-sort")));
        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Reverse(ascending).ToList(), Titles(cut)));
        Assert.NotEmpty(cut.FindAll("[data-testid=view-dirty]"));

        // Filter on the value tier: the header editor offers the options of the select.
        await cut.ClickAsync("[data-testid=filter-value_tier]");
        f.Popovers.WaitForAssertion(() => Assert.NotEmpty(f.Popovers.FindAll(".crm-column-filter .mud-checkbox")));
        await f.Popovers.InvokeAsync(() => f.Popovers.FindAll(".crm-column-filter .mud-checkbox").First(c => c.TextContent.Contains("High value")).QuerySelector("input")!.ChangeAsync(new() { Value = true }));
        await f.Popovers.ClickAsync("[data-testid=filter-apply]");

        await using var db = f.Workspace.Database.Factory.CreateForTenant(f.Workspace.Tenant.Id);
        var companies = (await f.Workspace.MetadataAsync()).Entity("company")!.Entity.Id;
        var values = await db.Records.Where(r => r.EntityTypeId == companies).Select(r => r.Values).ToListAsync();
        var high = values.Count(v => Crm.Core.Records.RecordWriter.ParseValues(v)["value_tier"]?.GetValue<string>() == "high");
        Assert.InRange(high, 1, 11);
        cut.WaitForAssertion(() => Assert.Equal(high.ToString(), cut.Find("#record-list").GetAttribute("data-total")));
        cut.WaitForAssertion(() => Assert.Equal(high, Titles(cut).Count));
        Assert.Contains("High value", cut.Find("[data-testid=filter-chip-value_tier]").TextContent);
        Assert.Empty(f.Popovers.FindAll(".crm-column-filter"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Quick_search_narrows_the_list(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var cut = f.Render("opportunity", "q=" + Uri.EscapeDataString("云帆"));
        cut.WaitForAssertion(() => Assert.Equal("3", cut.Find("#record-list").GetAttribute("data-total")));
        Assert.All(Titles(cut), t => Assert.Contains("云帆", t));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_column_chooser_adds_and_removes_columns_of_the_current_view(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var cut = f.Render("company");
        Assert.DoesNotContain("notes", HeaderKeys(cut));

        await cut.ClickAsync("[data-testid=columns-button]");
        f.Popovers.WaitForAssertion(() => Assert.NotEmpty(f.Popovers.FindAll(".crm-columns-list .mud-checkbox")));
        IEnumerable<AngleSharp.Dom.IElement> Boxes() => f.Popovers.FindAll(".crm-columns-list .mud-checkbox");
        await f.Popovers.InvokeAsync(() => Boxes().First(b => b.TextContent.Contains("Notes")).QuerySelector("input")!.ChangeAsync(new() { Value = true }));
        cut.WaitForAssertion(() => Assert.Equal("notes", HeaderKeys(cut)[^1]));
        await f.Popovers.InvokeAsync(() => Boxes().First(b => b.TextContent.Contains("City")).QuerySelector("input")!.ChangeAsync(new() { Value = false }));
        cut.WaitForAssertion(() => Assert.DoesNotContain("city", HeaderKeys(cut)));

        // The title column cannot be hidden: it opens the record.
        Assert.NotNull(Boxes().First(b => b.TextContent.Contains("Customer name")).QuerySelector("input")!.GetAttribute("disabled"));
        Assert.NotEmpty(cut.FindAll("[data-testid=view-dirty]"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Columns_switched_on_are_remembered_after_a_reload_until_reset(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var cut = f.Render("company");
        var defaults = HeaderKeys(cut);
        Assert.DoesNotContain("notes", defaults);

        await cut.ClickAsync("[data-testid=columns-button]");
        f.Popovers.WaitForAssertion(() => Assert.NotEmpty(f.Popovers.FindAll(".crm-columns-list .mud-checkbox")));
        await f.Popovers.InvokeAsync(() => f.Popovers.FindAll(".crm-columns-list .mud-checkbox").First(b => b.TextContent.Contains("Notes")).QuerySelector("input")!.ChangeAsync(new() { Value = true }));
        cut.WaitForAssertion(() => Assert.Equal("notes", HeaderKeys(cut)[^1]));
        await cut.ClickAsync("[data-testid=columns-button]");
        f.Popovers.WaitForAssertion(() => Assert.Empty(f.Popovers.FindAll(".crm-columns-list")));

        // The choice is saved after the header shows it; a reload reads what was saved.
        var views = f.Workspace.Get<SavedViewService>();
        for (var i = 0; i < 100 && await views.GetColumnPreferenceAsync(f.Workspace.Owner, "company") is null; i++) await Task.Delay(100);

        // A fresh page (a reload) shows the column still.
        var reloaded = f.Render("company");
        reloaded.WaitForAssertion(() => Assert.Equal([.. defaults, "notes"], HeaderKeys(reloaded)));

        // "Reset to default columns" returns to the view's columns, also after the next reload.
        await reloaded.ClickAsync("[data-testid=columns-button]");
        f.Popovers.WaitForAssertion(() => Assert.Single(f.Popovers.FindAll("[data-testid=columns-reset]")));
        await f.Popovers.ClickAsync("[data-testid=columns-reset]");
        reloaded.WaitForAssertion(() => Assert.Equal(defaults, HeaderKeys(reloaded)));
        var again = f.Render("company");
        again.WaitForAssertion(() => Assert.Equal(defaults, HeaderKeys(again)));
        Assert.Null(await f.Workspace.Get<SavedViewService>().GetColumnPreferenceAsync(f.Workspace.Owner, "company"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_sees_no_selection_no_bulk_actions_and_no_new_button(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var viewer = await f.MemberAsync(MemberRole.Viewer);
        var cut = f.Render("opportunity", actor: viewer);

        Assert.Empty(cut.FindAll("[data-testid=new-record]"));
        Assert.Empty(cut.FindAll(".crm-record-grid input[type=checkbox]"));
        Assert.Empty(cut.FindAll("[data-testid=bulk-bar]"));
        Assert.Equal(25, cut.FindAll("[data-testid=record-link]").Count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_selects_rows_and_gets_the_bulk_actions(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var member = await f.MemberAsync(MemberRole.Member);
        var cut = f.Render("opportunity", actor: member);

        Assert.NotEmpty(cut.FindAll("[data-testid=new-record]"));
        Assert.Equal($"/t/{f.Slug}/r/opportunity/new", cut.Find("[data-testid=new-record]").GetAttribute("href"));
        var rows = cut.FindAll(".crm-record-grid tbody input[type=checkbox]");
        Assert.Equal(25, rows.Count);
        await cut.InvokeAsync(() => cut.FindAll(".crm-record-grid tbody input[type=checkbox]")[0].ChangeAsync(new() { Value = true }));
        await cut.InvokeAsync(() => cut.FindAll(".crm-record-grid tbody input[type=checkbox]")[1].ChangeAsync(new() { Value = true }));
        cut.WaitForAssertion(() => Assert.Contains("2 selected", cut.Find("[data-testid=bulk-bar]").TextContent));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bulk_delete_asks_with_the_count_and_deletes(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var cut = f.Render("contact");
        Assert.Equal("15", cut.Find("#record-list").GetAttribute("data-total"));
        foreach (var i in new[] { 0, 1, 2 })
            await cut.InvokeAsync(() => cut.FindAll(".crm-record-grid tbody input[type=checkbox]")[i].ChangeAsync(new() { Value = true }));

        var delete = cut.InvokeAsync(() => cut.Find("[data-testid=bulk-delete]").Click());
        f.Dialogs.WaitForAssertion(() => Assert.Contains("Delete 3 records?", f.Dialogs.Markup));
        await f.Dialogs.ClickAsync(d => d.FindAll("button").First(b => b.TextContent.Contains("Delete 3 records")));
        await delete;

        cut.WaitForAssertion(() => Assert.Equal("12", cut.Find("#record-list").GetAttribute("data-total")), TimeSpan.FromSeconds(5));
        Assert.Empty(cut.FindAll("[data-testid=bulk-bar]"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_current_state_saves_as_a_new_private_view(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var member = await f.MemberAsync(MemberRole.Member);
        var cut = f.Render("company", actor: member);
        await cut.ClickAsync("[data-testid=sort-name]");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=view-dirty]")));

        await cut.ClickAsync("[data-testid=view-menu]");
        f.Popovers.WaitForAssertion(() => Assert.NotEmpty(f.Popovers.FindAll("[data-testid=view-save-as]")));
        Assert.Empty(f.Popovers.FindAll("[data-testid=view-save]")); // a member cannot overwrite the shared view
        var saveAs = cut.InvokeAsync(() => f.Popovers.Find("[data-testid=view-save-as]").Click());
        f.Dialogs.WaitForAssertion(() => Assert.NotEmpty(f.Dialogs.FindAll("#view-name")));
        await f.Dialogs.InputAsync("#view-name", "By name, Z first");
        await f.Dialogs.ClickAsync("[data-testid=view-save-confirm]");
        await saveAs;

        cut.WaitForAssertion(() => Assert.Contains("By name, Z first", cut.Find("[data-testid=view-menu]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=view-dirty]"));
        var mine = await f.Workspace.Get<SavedViewService>().ListAsync(member, "company");
        var saved = Assert.Single(mine, v => v.OwnerUserId == member.UserId);
        Assert.Equal([new Crm.Core.Views.SortSpec("name", Descending: true)], saved.Definition.Sort);
        Assert.DoesNotContain(await f.Workspace.Get<SavedViewService>().ListAsync(f.Workspace.Owner, "company"), v => v.Id == saved.Id);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_unknown_entity_type_shows_not_found(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var nav = f.Context.Bunit.Services.GetService(typeof(Microsoft.AspNetCore.Components.NavigationManager)) as Microsoft.AspNetCore.Components.NavigationManager;
        nav!.NavigateTo($"/t/{f.Slug}/r/nope");
        var cut = f.Context.Bunit.Render<Crm.Web.Components.Pages.Tenant.Records.RecordList>(p => p
            .Add(x => x.Slug, f.Slug).Add(x => x.Entity, "nope").AddCascadingValue(new Crm.Web.Tenancy.TenantSession(f.Workspace.Tenant, f.Workspace.Owner)));
        cut.WaitForAssertion(() => Assert.Contains("404", cut.Markup));
        Assert.Empty(cut.FindAll("#record-list"));
    }
}
