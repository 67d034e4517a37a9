using System.Text.Json.Nodes;
using Bunit;
using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Fields;
using Crm.Web.Tenancy;
using MudBlazor;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// Linked fields in <see cref="DynamicForm"/>: picking a customer fills the fields its settings name (editable
/// afterwards), the contact picker offers only the picked customer's contacts, and fields of the picked customer
/// are shown read-only under the lookup as the viewer may read them.
/// </summary>
public class LinkedFieldFormTests
{
    public LinkedFieldFormTests() => FormContext.UseCulture("en");

    private static async Task<Guid> CreateAsync(FormContext f, string entity, params (string Key, JsonNode? Value)[] values)
    {
        var result = await f.Workspace.Records.CreateAsync(f.Workspace.Owner, entity, RecordInput.Of(values));
        Assert.True(result.Succeeded, result.Errors.ToString());
        return result.Record!.Id;
    }

    /// <summary>The deal's customer fills 下一步 from the customer's city and shows its industry and phone.</summary>
    private static async Task<EntityMeta> LinkAsync(FormContext f)
    {
        var draft = EntityDraft.From((await f.Workspace.MetadataAsync()).Entity("opportunity")!);
        var company = draft.Field("company")!;
        company.Settings = company.Settings with { Fill = [new LookupFill("city", "next_step")], ShowFields = ["industry", "phone"] };
        var saved = await f.Workspace.Get<MetadataDesigner>().SaveEntityAsync(f.Workspace.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        return (await f.Workspace.MetadataAsync()).Entity("opportunity")!;
    }

    private static IRenderedComponent<DynamicForm> Render(FormContext f, EntityMeta entity, JsonObject values, TenantSession session)
        => f.Context.Bunit.Render<DynamicForm>(p => p.Add(x => x.Entity, entity).Add(x => x.Values, values).AddCascadingValue(session));

    private static Task PickAsync(IRenderedComponent<DynamicForm> cut, string field, Guid id)
    {
        var editor = cut.FindComponents<ReferenceFieldEditor>().Single(e => e.Instance.Field.Key == field);
        return cut.InvokeAsync(() => editor.Instance.ValueChanged.InvokeAsync(JsonValue.Create(id.ToString())));
    }

    [Fact]
    public async Task Picking_a_customer_fills_and_shows_its_fields_and_the_filled_value_stays_editable()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var entity = await LinkAsync(f);
        var shanghai = await CreateAsync(f, "company", ("name", "Hairun"), ("city", "Shanghai"), ("industry", "manufacturing"), ("phone", "021-5555"));
        var beijing = await CreateAsync(f, "company", ("name", "Jingcheng"), ("city", "Beijing"), ("phone", "010-6666"));
        var values = new JsonObject { ["name"] = "Linked" };
        var cut = Render(f, entity, values, f.Session);

        await PickAsync(cut, "company", shanghai);
        cut.WaitForAssertion(() => Assert.Equal("Shanghai", values["next_step"]?.GetValue<string>()));
        cut.WaitForAssertion(() => Assert.Equal("Shanghai", cut.Find("#f-next_step").GetAttribute("value")));
        Assert.False(cut.Find("#f-next_step").HasAttribute("readonly")); // the user may still edit it
        cut.WaitForAssertion(() =>
        {
            var shown = cut.Find("div.crm-linked-fields[data-linked='company']");
            Assert.Contains("Industry", shown.TextContent);
            Assert.Contains("021-5555", shown.TextContent);
        });

        // Edited by hand, then another customer picked: the new customer's city overwrites it, its fields are shown.
        await cut.Find("#f-next_step").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "Call back" });
        Assert.Equal("Call back", values["next_step"]?.GetValue<string>());
        await PickAsync(cut, "company", beijing);
        cut.WaitForAssertion(() => Assert.Equal("Beijing", values["next_step"]?.GetValue<string>()));
        cut.WaitForAssertion(() => Assert.Contains("010-6666", cut.Find("div.crm-linked-fields[data-linked='company']").TextContent));
    }

    [Fact]
    public async Task A_field_the_viewer_may_not_read_is_neither_filled_from_nor_shown()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var entity = await LinkAsync(f);
        var member = await f.Workspace.MemberAsync(MemberRole.Member);
        await f.Workspace.RestrictAsync(member, "company", new Dictionary<string, FieldAccessLevel> { ["phone"] = FieldAccessLevel.Hidden, ["city"] = FieldAccessLevel.Hidden });
        var company = await CreateAsync(f, "company", ("name", "Secretive"), ("city", "Hangzhou"), ("industry", "manufacturing"), ("phone", "0571-1234"));
        var values = new JsonObject { ["name"] = "Linked" };
        var cut = Render(f, entity, values, new TenantSession(f.Workspace.Tenant, member));

        await PickAsync(cut, "company", company);
        cut.WaitForAssertion(() => Assert.Contains("Industry", cut.Find("div.crm-linked-fields[data-linked='company']").TextContent));
        Assert.DoesNotContain("0571-1234", cut.Find("div.crm-linked-fields[data-linked='company']").TextContent);
        Assert.DoesNotContain("Phone", cut.Find("div.crm-linked-fields[data-linked='company']").TextContent);
        Assert.Null(values["next_step"]);
    }

    [Fact]
    public async Task The_record_page_shows_the_linked_fields_read_only_under_the_lookup()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var entity = await LinkAsync(f);
        var company = await CreateAsync(f, "company", ("name", "Shown"), ("industry", "manufacturing"), ("phone", "021-7777"));
        var cut = f.Context.Bunit.Render<Crm.Web.Components.RecordPage.RecordFieldsView>(p => p
            .Add(x => x.Entity, entity).Add(x => x.Values, new JsonObject { ["name"] = "Deal", ["company"] = company.ToString() }).AddCascadingValue(f.Session));
        cut.WaitForAssertion(() =>
        {
            var shown = cut.Find("div.crm-record-field[data-field='company'] div.crm-linked-fields");
            Assert.Contains("Manufacturing", shown.TextContent);
            Assert.Contains("021-7777", shown.TextContent);
            Assert.Empty(shown.QuerySelectorAll("input")); // read-only
        });
    }

    [Fact]
    public async Task The_contact_picker_offers_only_the_contacts_of_the_deals_customer()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var entity = (await f.Workspace.MetadataAsync()).Entity("opportunity")!; // the template filters contacts by the deal's customer
        var one = await CreateAsync(f, "company", ("name", "One"));
        var two = await CreateAsync(f, "company", ("name", "Two"));
        await CreateAsync(f, "contact", ("name", "Kim One"), ("company", one.ToString()));
        await CreateAsync(f, "contact", ("name", "Kai Two"), ("company", two.ToString()));
        var values = new JsonObject { ["name"] = "Filtered" };
        var cut = Render(f, entity, values, f.Session);

        async Task<List<string>> OfferedAsync()
        {
            var picker = cut.FindComponents<ReferenceFieldEditor>().Single(e => e.Instance.Field.Key == "contact").FindComponent<MudAutocomplete<NamedItem>>();
            IEnumerable<NamedItem> items = [];
            var search = picker.Instance.SearchFunc ?? throw new InvalidOperationException("the contact picker has no search");
            await cut.InvokeAsync(async () =>
            {
                var task = search("", CancellationToken.None);
                items = task is null ? [] : (await task) ?? [];
            });
            return items.Select(i => i.Name).ToList();
        }

        // No customer yet: every contact.
        Assert.Equal(["Kai Two", "Kim One"], (await OfferedAsync()).Order().ToList());
        await PickAsync(cut, "company", one);
        Assert.Equal(["Kim One"], await OfferedAsync());
        await PickAsync(cut, "company", two);
        Assert.Equal(["Kai Two"], await OfferedAsync());
    }
}
