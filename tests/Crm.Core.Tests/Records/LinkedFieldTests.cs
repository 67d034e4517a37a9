using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Records;

/// <summary>
/// Linked fields (数据联动 / 关联数据) on the server: a lookup set by any write fills the fields its settings name
/// unless the write gives them; the pick filter refuses a record outside it, naming the field (records of another
/// workspace and records the actor may not read included); the designer and the installer refuse incompatible
/// pairs naming the fields; the settings travel through export.
/// </summary>
public class LinkedFieldTests
{
    private static async Task<Guid> CompanyAsync(Workspace ws, string name, string phone)
        => (await ws.CreateAsync("company", ("name", name + " " + Guid.NewGuid().ToString("N")[..6]), ("phone", phone))).Id;

    private static RecordInput Ticket(Guid customer, params (string Key, JsonNode? Value)[] more)
        => RecordInput.Of([("subject", "Printer on fire"), ("customer", customer.ToString()), ("problem_type", "product_defect"),
            ("description", "Smoke from the tray"), .. more]);

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Picking_a_customer_fills_the_phone_unless_the_write_gives_one(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("support_tickets"); // ticket.customer fills contact_phone from the company's phone
        var a = await CompanyAsync(ws, "A", "010-1111");
        var b = await CompanyAsync(ws, "B", "021-2222");

        var filled = await ws.Records.CreateAsync(ws.Owner, "ticket", Ticket(a));
        Assert.True(filled.Succeeded, filled.Errors.ToString());
        Assert.Equal("010-1111", (await ws.RecordAsync(filled.Record!.Id)).Text("contact_phone"));

        // The write gives the phone: it wins (the user edited what the form filled).
        var given = await ws.Records.CreateAsync(ws.Owner, "ticket", Ticket(a, ("contact_phone", "139-0000")));
        Assert.True(given.Succeeded, given.Errors.ToString());
        Assert.Equal("139-0000", (await ws.RecordAsync(given.Record!.Id)).Text("contact_phone"));

        // Another write that does not touch the customer leaves the phone alone, even an edited one.
        var edited = await ws.Records.UpdateAsync(ws.Owner, filled.Record.Id, RecordInput.Of(("contact_phone", "400-800")));
        Assert.True(edited.Succeeded, edited.Errors.ToString());
        var other = await ws.Records.UpdateAsync(ws.Owner, filled.Record.Id, RecordInput.Of(("subject", "Printer still on fire")));
        Assert.True(other.Succeeded, other.Errors.ToString());
        Assert.Equal("400-800", (await ws.RecordAsync(filled.Record.Id)).Text("contact_phone"));

        // Changing the customer overwrites it with the new customer's phone.
        var moved = await ws.Records.UpdateAsync(ws.Owner, filled.Record.Id, RecordInput.Of(("customer", b.ToString())));
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        Assert.Equal("021-2222", (await ws.RecordAsync(filled.Record.Id)).Text("contact_phone"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_source_field_the_actor_may_not_read_is_not_copied_and_a_target_they_may_not_write_is_filled(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("support_tickets");
        var a = await CompanyAsync(ws, "A", "010-1111");
        var noPhone = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(noPhone, "company", new Dictionary<string, FieldAccessLevel> { ["phone"] = FieldAccessLevel.Hidden });
        var blind = await ws.Records.CreateAsync(noPhone, "ticket", Ticket(a));
        Assert.True(blind.Succeeded, blind.Errors.ToString());
        Assert.Null((await ws.RecordAsync(blind.Record!.Id)).Text("contact_phone"));

        var readOnlyPhone = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(readOnlyPhone, "ticket", new Dictionary<string, FieldAccessLevel> { ["contact_phone"] = FieldAccessLevel.ReadOnly });
        var system = await ws.Records.CreateAsync(readOnlyPhone, "ticket", Ticket(a));
        Assert.True(system.Succeeded, system.Errors.ToString());
        Assert.Equal("010-1111", (await ws.RecordAsync(system.Record!.Id)).Text("contact_phone"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_pick_filter_refuses_a_contact_of_another_customer_naming_the_field(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel"); // opportunity.contact: only contacts whose company = this deal's company
        var c1 = await CompanyAsync(ws, "One", "010-1000");
        var c2 = await CompanyAsync(ws, "Two", "010-2000");
        var k1 = await ws.CreateAsync("contact", ("name", "Kim One"), ("company", c1.ToString()));
        var k2 = await ws.CreateAsync("contact", ("name", "Kai Two"), ("company", c2.ToString()));
        RecordInput Deal(Guid company, Guid contact) => RecordInput.Of(("name", "Linked deal"), ("company", company.ToString()), ("contact", contact.ToString()),
            ("amount", 1000), ("expected_close", "2030-01-31"));

        var refused = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(c1, k2.Id));
        Assert.False(refused.Succeeded);
        var message = Assert.Single(refused.Errors.For("contact"));
        Assert.Contains("Contact", message);
        Assert.Contains("Kai Two", message);

        var ok = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(c1, k1.Id));
        Assert.True(ok.Succeeded, ok.Errors.ToString());
        // Moving the deal to the other customer while keeping the contact: the filter reads the customer, so it is checked again.
        var moved = await ws.Records.UpdateAsync(ws.Owner, ok.Record!.Id, RecordInput.Of(("company", c2.ToString())));
        Assert.False(moved.Succeeded);
        Assert.Single(moved.Errors.For("contact"));
        Assert.Equal(c1.ToString(), (await ws.RecordAsync(ok.Record.Id)).Text("company")); // nothing half-written

        // A contact of another workspace is not found (and fills nothing).
        await using var other = await Workspace.CreateAsync(provider);
        await other.InstallAsync("b2b_sales_funnel");
        var theirCompany = await CompanyAsync(other, "Elsewhere", "010-3000");
        var stranger = await other.CreateAsync("contact", ("name", "Stranger"), ("company", theirCompany.ToString()));
        var foreign = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(c1, stranger.Id));
        Assert.False(foreign.Succeeded);
        Assert.NotEmpty(foreign.Errors.For("contact"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_filtered_lookup_refuses_a_record_the_actor_may_not_read(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var c1 = await CompanyAsync(ws, "One", "010-1000");
        var theirs = await ws.CreateAsync("contact", ("name", "Owner's contact"), ("company", c1.ToString()), ("owner", ws.Owner.UserId.ToString()));
        var rep = await ws.MemberAsync(MemberRole.Member);
        var contacts = (await ws.MetadataAsync()).Entity("contact")!;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var role = new RoleDefinition { Key = "own_contacts", Label = LocalizedText.Same("Own contacts") };
            db.Add(role);
            db.Add(new MemberRoleAssignment { RoleId = role.Id, UserId = rep.UserId });
            db.Add(new EntityPermission { RoleId = role.Id, EntityTypeId = contacts.Entity.Id, Read = DataScope.Own, Edit = DataScope.Own, Delete = DataScope.None });
            await db.SaveChangesAsync();
        }
        var refused = await ws.Records.CreateAsync(rep, "opportunity", RecordInput.Of(("name", "Rep deal"), ("company", c1.ToString()), ("contact", theirs.Id.ToString()),
            ("amount", 10), ("expected_close", "2030-01-31"), ("owner", rep.UserId.ToString())));
        Assert.False(refused.Succeeded);
        Assert.Single(refused.Errors.For("contact"));
        // The owner (who may read it) may pick it.
        var ok = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "Owner deal"), ("company", c1.ToString()), ("contact", theirs.Id.ToString()),
            ("amount", 10), ("expected_close", "2030-01-31")));
        Assert.True(ok.Succeeded, ok.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_designer_refuses_incompatible_and_unknown_linked_fields_naming_them(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var draft = await ws.DraftAsync("opportunity");
        var company = draft.Field("company")!;
        company.Settings = company.Settings with
        {
            Fill = [new LookupFill("industry", "amount")],
            PickFilter = [new FilterSpec("no_such_field", "eq", "x")],
            ShowFields = ["ghost"],
        };
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.False(saved.Succeeded);
        var fill = string.Join(" ", saved.Errors.For("fields/company/fill"));
        Assert.Contains("Amount", fill);
        Assert.Contains("Industry", fill);
        Assert.Contains("no_such_field", string.Join(" ", saved.Errors.For("fields/company/pickFilter")));
        Assert.Contains("ghost", string.Join(" ", saved.Errors.For("fields/company/showFields")));

        // Compatible pairs are saved and come back.
        draft = await ws.DraftAsync("opportunity");
        draft.Field("company")!.Settings = draft.Field("company")!.Settings with { Fill = [new LookupFill("city", "next_step")], ShowFields = ["industry"] };
        var ok = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(ok.Succeeded, ok.Errors.ToString());
        var stored = (await ws.MetadataAsync()).Entity("opportunity")!.Field("company")!.Settings;
        Assert.Equal([new LookupFill("city", "next_step")], stored.Fill);
        Assert.Equal(["industry"], stored.ShowFields);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_api_schema_names_a_lookups_target_fills_and_pick_filter(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        Assert.True((await ws.InstallAsync("b2b_sales_funnel")).Succeeded);
        Assert.True((await ws.InstallAsync("support_tickets")).Succeeded);
        var deal = JsonNode.Parse((await ws.MetadataAsync()).Entity("opportunity")!.Schema.ToJson())!["properties"]!["contact"]!;
        Assert.True(deal["x-target"] is not null, deal.ToJsonString());
        Assert.Equal("contact", deal["x-target"]!.GetValue<string>());
        var filter = Assert.Single(deal["x-pick-filter"]!.AsArray())!;
        Assert.Equal(("company", "eq", "$form.company"), (filter["field"]!.GetValue<string>(), filter["op"]!.GetValue<string>(), filter["value"]!.GetValue<string>()));
        var ticket = JsonNode.Parse((await ws.MetadataAsync()).Entity("ticket")!.Schema.ToJson())!["properties"]!["customer"]!;
        Assert.True(ticket["x-fills"] is not null, ticket.ToJsonString());
        var fill = Assert.Single(ticket["x-fills"]!.AsArray())!;
        Assert.Equal(("phone", "contact_phone"), (fill["from"]!.GetValue<string>(), fill["to"]!.GetValue<string>()));
    }

    [Fact]
    public void Types_must_match_to_be_filled()
    {
        static FieldDefinition F(string type, string? target = null) => new() { Key = type, Type = type, Settings = new FieldSettings { Target = target } };
        Assert.True(LinkedFields.Compatible(F("money"), F("number")));
        Assert.True(LinkedFields.Compatible(F("number"), F("money")));
        Assert.True(LinkedFields.Compatible(F("phone"), F("text")));
        Assert.True(LinkedFields.Compatible(F("select"), F("select")));
        Assert.False(LinkedFields.Compatible(F("text"), F("money")));
        Assert.False(LinkedFields.Compatible(F("select"), F("text")));
        Assert.False(LinkedFields.Compatible(F("money"), F("formula")));
        Assert.False(LinkedFields.Compatible(F("lookup", "company"), F("lookup", "contact")));
        Assert.True(LinkedFields.Compatible(F("lookup", "company"), F("lookup", "company")));
    }

    [Fact]
    public void The_fill_works_on_any_value_object_and_maps_options_by_key()
    {
        static EntityMeta Meta(string key, params FieldDefinition[] fields) => new(new EntityType { Key = key, Label = LocalizedText.Same(key) }, fields, []);
        var metadata = new TenantMetadata(Guid.NewGuid(), 1, [
            Meta("course", new FieldDefinition { Key = "price", Type = "money" }, new FieldDefinition { Key = "level", Type = "select", Settings = new() { Options = [Option("a", "A"), Option("b", "B")] } }),
            Meta("row", new FieldDefinition { Key = "course", Type = "lookup", Settings = new() { Target = "course", Fill = [new("price", "unit_price"), new("level", "level")] } },
                 new FieldDefinition { Key = "unit_price", Type = "number" }, new FieldDefinition { Key = "level", Type = "select", Settings = new() { Options = [Option("a", "A")] } })], []);
        var row = metadata.Entity("row")!;
        var course = metadata.Entity("course")!;
        var values = new JsonObject { ["unit_price"] = 1 };
        var set = LinkedFields.Fill(row, row.Field("course")!, course, new JsonObject { ["price"] = 99.5m, ["level"] = "a" }, values);
        Assert.Equal(["unit_price", "level"], set);
        Assert.Equal(99.5m, values["unit_price"]!.GetValue<decimal>());
        Assert.Equal("a", values["level"]!.GetValue<string>());
        // An option the target does not have clears it; a target refused by the caller is left alone.
        values = new JsonObject { ["unit_price"] = 1, ["level"] = "a" };
        LinkedFields.Fill(row, row.Field("course")!, course, new JsonObject { ["price"] = 5, ["level"] = "b" }, values, fills: k => k != "unit_price");
        Assert.Equal(1, values["unit_price"]!.GetValue<int>());
        Assert.Null(values["level"]);
    }

    [Fact]
    public void A_filter_value_naming_a_form_field_takes_its_value_and_is_left_out_while_it_is_empty()
    {
        var lookup = new FieldDefinition { Key = "contact", Type = "lookup", Settings = new() { Target = "contact", PickFilter = [new("company", "eq", "$form.company"), new("status", "eq", "active")] } };
        var resolved = LinkedFields.ResolveFilter(lookup, new JsonObject { ["company"] = "c-1" });
        Assert.Equal(2, resolved.Count);
        Assert.Equal("c-1", resolved[0].Value!.GetValue<string>());
        var empty = LinkedFields.ResolveFilter(lookup, new JsonObject());
        Assert.Equal("status", Assert.Single(empty).Field);
    }
}
