using System.Text.Json.Nodes;
using Bunit;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Fields;
using Crm.Web.Components.Lists;
using Crm.Web.Tests.Components.Fields;
using Crm.Web.Tests.Components.Lists;
using Crm.Web.Tests.Components.RecordPage;

namespace Crm.Web.Tests.Components.Permissions;

/// <summary>
/// Field access in the UI: the form leaves hidden fields out and disables read-only ones, the list offers no column,
/// filter or search through a hidden field, and the record page neither shows nor edits what the person may not.
/// </summary>
public class FieldAccessComponentTests
{
    public FieldAccessComponentTests() => FormContext.UseCulture("en");

    private static EntityAccess Rights(Guid entityTypeId, Dictionary<string, FieldAccessLevel> fields) => new()
    {
        EntityTypeId = entityTypeId, UserId = Guid.NewGuid(), Unrestricted = false, CanCreate = true,
        Read = ScopeGrant.All, Edit = ScopeGrant.All, Delete = ScopeGrant.All, DepartmentIds = [], Fields = fields,
    };

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_form_leaves_out_hidden_fields_and_disables_read_only_ones_without_blaming_them(string provider)
    {
        await using var f = await FormContext.CreateAsync(provider);
        // "qty" is required and read-only: the person cannot fill it, so the form must not refuse for it.
        var access = f.Entity.For(Rights(f.Entity.Entity.Id, new() { ["notes"] = FieldAccessLevel.Hidden, ["price"] = FieldAccessLevel.ReadOnly, ["qty"] = FieldAccessLevel.ReadOnly }));
        var cut = f.Render(new JsonObject { ["name"] = "A", ["price"] = 12 }, p => p.Add(x => x.Access, access));

        Assert.Empty(cut.FindAll("div.crm-field[data-field='notes']"));
        Assert.Equal("readonly", cut.Find("div.crm-field[data-field='price']").GetAttribute("data-access"));
        Assert.NotNull(cut.Find("#f-price").GetAttribute("readonly"));
        Assert.Null(cut.Find("div.crm-field[data-field='name']").GetAttribute("data-access"));
        Assert.False(cut.Find("div.crm-field[data-field='qty']").ClassList.Contains("crm-required"));
        var ok = false;
        await cut.InvokeAsync(() => ok = cut.Instance.Validate());
        Assert.True(ok, string.Join("; ", cut.Instance.Errors.ByField.Select(kv => kv.Key + ": " + string.Join(",", kv.Value))));

        // Without rights the same form shows every field and asks for the quantity.
        var full = f.Render(new JsonObject { ["name"] = "A" });
        Assert.NotEmpty(full.FindAll("div.crm-field[data-field='notes']"));
        await full.InvokeAsync(() => ok = full.Instance.Validate());
        Assert.False(ok);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_list_has_no_column_choice_or_search_match_through_a_hidden_field(string provider)
    {
        await using var f = await ListContext.CreateAsync(provider);
        var ws = f.Workspace;
        var rep = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(rep, "opportunity", new Dictionary<string, FieldAccessLevel> { ["competitor"] = FieldAccessLevel.Hidden, ["amount"] = FieldAccessLevel.ReadOnly });
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        var any = (await ws.Get<Crm.Core.Lists.RecordListService>().QueryAsync(ws.Owner, "opportunity", new Crm.Core.Lists.RecordQuery { Take = 1 })).Items[0];
        Assert.True((await ws.Records.UpdateAsync(ws.Owner, any.Id, RecordInput.Of(("competitor", "独角兽对手")))).Succeeded);

        // The lost view lists the competitor column: not for the rep; the read-only amount is still a column.
        var cut = f.Render("opportunity", "view=opportunity_lost", rep);
        var headers = cut.FindAll(".crm-column-header").Select(h => h.GetAttribute("data-column")).ToList();
        Assert.DoesNotContain("competitor", headers);
        Assert.Contains("amount", headers);
        var fields = await ws.Get<IAccessResolver>().FieldViewAsync(rep, entity);
        Assert.DoesNotContain(ListColumns.Available(entity, fields), c => c.Key == "competitor");
        Assert.Contains(ListColumns.Available(entity), c => c.Key == "competitor");

        // Quick search through the hidden value finds nothing for the rep, the record for the owner.
        var lists = ws.Get<Crm.Core.Lists.RecordListService>();
        Assert.Equal(0, (await lists.QueryAsync(rep, "opportunity", new Crm.Core.Lists.RecordQuery { Search = "独角兽" })).Total);
        Assert.Equal(1, (await lists.QueryAsync(ws.Owner, "opportunity", new Crm.Core.Lists.RecordQuery { Search = "独角兽" })).Total);
        var search = f.Render("opportunity", "q=独角兽", rep);
        search.WaitForAssertion(() => Assert.Equal("0", search.Find("#record-list").GetAttribute("data-total")));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_record_page_hides_the_hidden_field_and_edits_the_read_only_one_disabled(string provider)
    {
        await using var host = await RecordPageHost.CreateAsync(provider);
        var company = await host.CreateAsync("company", ("name", "华东贸易"), ("city", "上海"), ("address", "浦东新区 1 号"));
        var rep = await host.Workspace.MemberAsync(MemberRole.Member);
        await host.Workspace.RestrictAsync(rep, "company", new Dictionary<string, FieldAccessLevel> { ["city"] = FieldAccessLevel.ReadOnly, ["address"] = FieldAccessLevel.Hidden });

        var cut = host.RenderRecordPage(rep, "company", company.Id);
        Assert.Empty(cut.FindAll(".crm-record-field[data-field='address']"));
        Assert.NotEmpty(cut.FindAll(".crm-record-field[data-field='city']"));
        Assert.DoesNotContain("浦东", cut.Markup);

        await cut.ClickAsync("#record-edit");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("div.crm-field[data-field='city']")));
        Assert.Equal("readonly", cut.Find("div.crm-field[data-field='city']").GetAttribute("data-access"));
        Assert.Empty(cut.FindAll("div.crm-field[data-field='address']"));

        // The owner sees and edits both.
        var ownerPage = host.RenderRecordPage(host.Workspace.Owner, "company", company.Id);
        Assert.Contains("浦东", ownerPage.Markup);
    }
}
