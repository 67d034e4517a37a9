using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Crm.Core.Accounts;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Records;
using Crm.Testing;
using Crm.Web.Components.Fields;
using MudBlazor;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// <see cref="DynamicForm"/> for every field type: it renders the fitting input, validates with the server's own
/// rules (messages named after the field, shown beside it), and writes values into the record JSON in the shape
/// the server stores.
/// </summary>
public class DynamicFormTests
{
    public DynamicFormTests() => FormContext.UseCulture("en");

    private static IElement FieldOf(IRenderedComponent<DynamicForm> cut, string key) => cut.Find($"div.crm-field[data-field='{key}']");
    private static string TextOf(IRenderedComponent<DynamicForm> cut, string key) => FieldOf(cut, key).TextContent;
    private static string? InputValue(IRenderedComponent<DynamicForm> cut, string key) => cut.Find($"#f-{key}").GetAttribute("value");

    /// <summary>Changes an input the way a person does (the change event) and waits until the form has handled it.</summary>
    private static async Task Type(IRenderedComponent<DynamicForm> cut, string selector, object value)
        => await cut.Find(selector).ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = value });

    private static bool Validate(IRenderedComponent<DynamicForm> cut)
    {
        var ok = false;
        cut.InvokeAsync(() => ok = cut.Instance.Validate()).GetAwaiter().GetResult();
        return ok;
    }

    /// <summary>Opens the field's MudSelect and clicks the option with this text in its own list.</summary>
    private static async Task ChooseAsync(FormContext f, IRenderedComponent<DynamicForm> cut, string key, string option)
    {
        if (cut.Find($"#f-{key}").GetAttribute("aria-expanded") != "true")
            await cut.InvokeAsync(() => cut.Find($"div.crm-field[data-field='{key}'] .mud-input-control").MouseDownAsync(new()));
        var list = cut.Find($"#f-{key}").GetAttribute("aria-controls");
        f.Popovers.WaitForAssertion(() => Assert.Contains(f.Popovers.FindAll($"#{list} .mud-list-item"), i => i.TextContent.Trim() == option));
        await f.Popovers.ClickAsync(p => p.FindAll($"#{list} .mud-list-item").First(i => i.TextContent.Trim() == option));
    }

    [Fact]
    public void Every_field_type_has_an_editor()
    {
        var uis = Crm.Web.Components.Fields.Types.FieldTypeUiRegistry.Default;
        Assert.Empty(FieldTypeRegistry.Names.Except(uis.Names));
        Assert.Equal(typeof(NumberFieldEditor), uis.Get("money").Editor);
        Assert.Equal(typeof(ReferenceFieldEditor), uis.Get("lookup").Editor);
        Assert.Equal(typeof(DepartmentFieldEditor), uis.Get("department").Editor);
    }

    [Fact]
    public async Task Every_field_type_renders_the_fitting_input()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render(AllFieldTypes.ValidValues());

        // Text kinds: plain, multi-line, e-mail, phone and web address inputs; limits from the schema.
        Assert.Equal("text", cut.Find("#f-name").GetAttribute("type"));
        Assert.Equal("20", cut.Find("#f-name").GetAttribute("maxlength"));
        Assert.Contains("crm-required", FieldOf(cut, "name").ClassList);
        Assert.DoesNotContain("crm-required", FieldOf(cut, "code").ClassList);
        Assert.Equal("200", cut.Find("#f-code").GetAttribute("maxlength"));
        Assert.Equal("TEXTAREA", cut.Find("#f-notes").TagName);
        Assert.Equal("email", cut.Find("#f-email").GetAttribute("type"));
        Assert.Equal("tel", cut.Find("#f-phone").GetAttribute("type"));
        Assert.Equal("url", cut.Find("#f-site").GetAttribute("type"));

        // Numbers: decimal keyboards; money shows its currency before, percent its sign after.
        foreach (var key in new[] { "qty", "price", "discount" }) Assert.Equal("decimal", cut.Find($"#f-{key}").GetAttribute("inputmode"));
        Assert.Equal("$", FieldOf(cut, "price").QuerySelector(".mud-input-adornment-start")!.TextContent.Trim());
        Assert.Equal("%", FieldOf(cut, "discount").QuerySelector(".mud-input-adornment-end")!.TextContent.Trim());
        Assert.Null(FieldOf(cut, "qty").QuerySelector(".mud-input-adornment"));

        // Dates: a date picker; date and time: a date picker and a time picker.
        var dates = cut.FindComponents<MudDatePicker>();
        Assert.Contains(dates, d => d.Instance.InputId == "f-due");
        Assert.Contains(dates, d => d.Instance.InputId == "f-meeting");
        Assert.Single(cut.FindComponents<MudTimePicker>());

        // Yes/no: a switch.
        Assert.Equal("switch", cut.Find("#f-active").GetAttribute("role"));
        Assert.Equal("checkbox", cut.Find("#f-active").GetAttribute("type"));

        // Choices: single selects for select, status and stage; a multi-select for several options.
        var selects = cut.FindComponents<MudSelect<string>>().ToDictionary(s => s.Instance.InputId!);
        foreach (var key in new[] { "tier", "state", "stage" }) Assert.False(selects["f-" + key].Instance.MultiSelection);
        Assert.True(selects["f-tags"].Instance.MultiSelection);

        // People and records: search-as-you-type.
        var autocompletes = cut.FindComponents<MudAutocomplete<NamedItem>>().Select(a => a.Instance.InputId).ToList();
        Assert.Equal(["f-assignee", "f-company"], autocompletes.Order());

        // Computed: read-only, filled in by the server.
        Assert.NotNull(cut.Find("#f-ref").GetAttribute("readonly"));
        Assert.Equal("Filled in automatically", cut.Find("#f-ref").GetAttribute("placeholder"));
        Assert.NotNull(cut.Find("#f-total").GetAttribute("readonly"));
        Assert.Contains("qty * price", TextOf(cut, "total"));

        // Labels in the user's language, sections from the design.
        Assert.Contains("Quantity", TextOf(cut, "qty"));
        Assert.Equal(["main", "more"], cut.FindAll(".crm-form-section").Select(s => s.GetAttribute("data-section")));
        Assert.Equal(AllFieldTypes.KeyOfType.Count + 1, cut.FindAll("div.crm-field").Count);
    }

    [Fact]
    public async Task Existing_values_are_shown_in_their_inputs()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var values = new JsonObject
        {
            ["name"] = "Acme", ["notes"] = "Line one", ["qty"] = 3, ["price"] = 1234.5m, ["discount"] = 12.5m, ["due"] = "2026-03-15",
            ["active"] = true, ["tier"] = "b", ["tags"] = new JsonArray("a", "c"), ["email"] = "bob@example.com", ["state"] = "customer",
            ["stage"] = "talk", ["ref"] = "S-0042", ["total"] = 3703.5m,
        };
        var cut = f.Render(values);

        Assert.Equal("Acme", InputValue(cut, "name"));
        Assert.Equal("3", InputValue(cut, "qty"));
        Assert.Equal("1234.50", InputValue(cut, "price"));
        Assert.Equal("12.5", InputValue(cut, "discount"));
        Assert.Equal("2026-03-15", InputValue(cut, "due"));
        Assert.Equal("true", cut.Find("#f-active").GetAttribute("aria-checked"));
        Assert.Equal("Option B", InputValue(cut, "tier"));
        Assert.Equal("Option A, Option C", InputValue(cut, "tags"));
        Assert.Equal("Customer", InputValue(cut, "state"));
        Assert.Equal("Talking", InputValue(cut, "stage"));
        Assert.Equal("S-0042", InputValue(cut, "ref"));
        Assert.Equal("$3,703.50", InputValue(cut, "total"));
    }

    [Fact]
    public async Task Typing_writes_values_in_the_shape_the_server_stores()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render();

        await Type(cut, "#f-name", "Acme");
        await Type(cut, "#f-notes", "Two\nlines");
        await Type(cut, "#f-qty", "42");
        await Type(cut, "#f-price", "1,234.5");
        await Type(cut, "#f-discount", "12.5");
        await Type(cut, "#f-email", "bob@example.com");
        await Type(cut, "#f-phone", "+86 571-8600 1001");
        await Type(cut, "#f-site", "https://acme.example");
        await Type(cut, "#f-due", "2026-03-15");
        await Type(cut, "#f-active", true);

        var v = f.Values;
        Assert.Equal("Acme", v["name"]!.GetValue<string>());
        Assert.Equal("Two\nlines", v["notes"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Number, v["qty"]!.GetValueKind());
        Assert.Equal(42m, v["qty"]!.GetValue<decimal>());
        Assert.Equal(1234.5m, v["price"]!.GetValue<decimal>());
        Assert.Equal(JsonValueKind.Number, v["price"]!.GetValueKind());
        Assert.Equal(12.5m, v["discount"]!.GetValue<decimal>());
        Assert.Equal("bob@example.com", v["email"]!.GetValue<string>());
        Assert.Equal("+86 571-8600 1001", v["phone"]!.GetValue<string>());
        Assert.Equal("https://acme.example", v["site"]!.GetValue<string>());
        Assert.Equal("2026-03-15", v["due"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.True, v["active"]!.GetValueKind());

        // The formula is computed as the numbers change, and shown read-only.
        Assert.Equal(42m * 1234.5m, v["total"]!.GetValue<decimal>());
        Assert.Equal("$51,849.00", InputValue(cut, "total"));

        // What was typed stays in the box ("1,234.5"), while the value is the number.
        Assert.Equal("1,234.5", InputValue(cut, "price"));
        Assert.NotEmpty(f.Changes);
        Assert.True(JsonNode.DeepEquals(f.Changes[^1], v));

        // Clearing an input removes the key (null is never stored).
        await Type(cut, "#f-discount", "");
        Assert.False(f.Values.ContainsKey("discount"));
        await Type(cut, "#f-active", false);
        Assert.Equal(JsonValueKind.False, f.Values["active"]!.GetValueKind());
    }

    [Fact]
    public async Task A_date_and_time_is_entered_in_the_workspace_zone_and_stored_in_utc()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        f.Workspace.Tenant.TimeZone = "Asia/Shanghai";   // UTC+8, whatever the server's zone is
        var cut = f.Render();

        await Type(cut, "#f-meeting", "2026-03-15");
        Assert.Equal("2026-03-15T01:00:00Z", f.Values["meeting"]!.GetValue<string>()); // a new date starts at 09:00 in Shanghai

        await Type(cut, "#f-meeting-time", "14:30");
        Assert.Equal("2026-03-15T06:30:00Z", f.Values["meeting"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stored_date_and_time_is_shown_in_the_workspace_zone()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        f.Workspace.Tenant.TimeZone = "Asia/Shanghai";
        var cut = f.Render(new JsonObject { ["meeting"] = "2026-01-15T20:00:00Z" });   // already the 16th in Shanghai

        Assert.Equal("2026-01-16", InputValue(cut, "meeting"));
        Assert.Equal("04:00", cut.Find("#f-meeting-time").GetAttribute("value"));
    }

    [Fact]
    public async Task A_date_and_time_that_is_not_a_date_is_refused_by_name()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render(AllFieldTypes.ValidValues());
        await Type(cut, "#f-meeting", "soon");
        Assert.Contains("Meeting must be a date and time.", TextOf(cut, "meeting"));
        Assert.Equal("soon", InputValue(cut, "meeting"));
        Assert.False(Validate(cut));
    }

    [Fact]
    public async Task Choices_store_option_keys_and_multi_selects_store_arrays()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render();

        await ChooseAsync(f, cut, "tier", "Option B");
        Assert.Equal("b", f.Values["tier"]!.GetValue<string>());
        await ChooseAsync(f, cut, "state", "Customer");
        Assert.Equal("customer", f.Values["state"]!.GetValue<string>());
        await ChooseAsync(f, cut, "stage", "Talking");
        Assert.Equal("talk", f.Values["stage"]!.GetValue<string>());

        // Several options, kept in the options' order whatever the click order.
        await ChooseAsync(f, cut, "tags", "Option C");
        await ChooseAsync(f, cut, "tags", "Option A");
        var tags = Assert.IsType<JsonArray>(f.Values["tags"]);
        Assert.Equal(["a", "c"], tags.Select(n => n!.GetValue<string>()));
        Assert.Equal("Option A, Option C", InputValue(cut, "tags"));
    }

    [Fact]
    public async Task An_archived_option_is_not_offered_unless_it_is_the_current_value()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var fresh = f.Render();
        await fresh.InvokeAsync(() => fresh.Find("div.crm-field[data-field='tier'] .mud-input-control").MouseDownAsync(new()));
        f.Popovers.WaitForAssertion(() => Assert.Contains(f.Popovers.FindAll(".mud-list-item"), i => i.TextContent.Trim() == "Option A"));
        Assert.DoesNotContain(f.Popovers.FindAll(".mud-list-item"), i => i.TextContent.Trim() == "Option D");

        await using var g = await FormContext.CreateAsync(Providers.Sqlite);
        var old = g.Render(new JsonObject { ["tier"] = "d" }, p => p.Add(x => x.Original, new JsonObject { ["tier"] = "d" }));
        Assert.Equal("Option D", InputValue(old, "tier"));
        Assert.True(Validate(old) || !old.Instance.Errors.For("tier").Any());
        Assert.Empty(old.Instance.Errors.For("tier"));
    }

    [Fact]
    public async Task Required_fields_are_reported_by_name_when_the_form_is_validated()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render();
        Assert.DoesNotContain("is required", cut.Markup); // nothing shown before the user did anything

        Assert.False(Validate(cut));
        Assert.Contains("Name is required.", TextOf(cut, "name"));
        Assert.Contains("Quantity is required.", TextOf(cut, "qty"));
        Assert.DoesNotContain("required", TextOf(cut, "code"));

        await Type(cut, "#f-name", "Acme");
        await Type(cut, "#f-qty", "5");
        Assert.DoesNotContain("is required", cut.Markup);
        Assert.True(Validate(cut));
    }

    [Fact]
    public async Task A_message_appears_beside_a_field_as_soon_as_it_is_changed()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render(AllFieldTypes.ValidValues());
        await Type(cut, "#f-name", "   ");
        Assert.Contains("Name is required.", TextOf(cut, "name"));
        Assert.DoesNotContain("Quantity", cut.Find("div.crm-field[data-field='name']").TextContent);
        await Type(cut, "#f-name", new string('x', 21));
        Assert.Contains("Name may have at most 20 characters.", TextOf(cut, "name"));
    }

    [Fact]
    public async Task Numbers_out_of_range_are_refused_and_keep_what_was_typed()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render(AllFieldTypes.ValidValues());

        await Type(cut, "#f-qty", "500");
        Assert.Contains("Quantity must be at most 100.", TextOf(cut, "qty"));
        Assert.Equal("500", InputValue(cut, "qty"));
        await Type(cut, "#f-qty", "0");
        Assert.Contains("Quantity must be at least 1.", TextOf(cut, "qty"));
        await Type(cut, "#f-price", "-5");
        Assert.Contains("Price must be at least 0.", TextOf(cut, "price"));
        await Type(cut, "#f-discount", "150");
        Assert.Contains("Discount must be at most 100.", TextOf(cut, "discount"));
        Assert.False(Validate(cut));

        // Not a number at all: the server's message, and the text stays as typed.
        await Type(cut, "#f-qty", "lots");
        Assert.Contains("Quantity must be a number.", TextOf(cut, "qty"));
        Assert.Equal("lots", InputValue(cut, "qty"));
        Assert.Equal("lots", f.Values["qty"]!.GetValue<string>());

        // A unit the server cannot read ("万") is refused too, not read as 12.
        await Type(cut, "#f-price", "12万");
        Assert.Contains("Price must be a number.", TextOf(cut, "price"));
        Assert.Equal("12万", InputValue(cut, "price"));

        await Type(cut, "#f-qty", "7");
        await Type(cut, "#f-price", "10");
        await Type(cut, "#f-discount", "15");
        Assert.True(Validate(cut));
    }

    [Fact]
    public async Task Patterns_and_formats_are_checked_like_on_the_server()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render(AllFieldTypes.ValidValues());

        await Type(cut, "#f-code", "abc");
        Assert.Contains("Code: use the form ABC-1", TextOf(cut, "code"));
        await Type(cut, "#f-email", "not-an-address");
        Assert.Contains("Email must be an e-mail address.", TextOf(cut, "email"));
        await Type(cut, "#f-phone", "call me maybe");
        Assert.Contains("Phone is not a valid phone number.", TextOf(cut, "phone"));
        await Type(cut, "#f-site", "ftp://files.example");
        Assert.Contains("Website must start with http:// or https://.", TextOf(cut, "site"));
        Assert.False(Validate(cut));
        Assert.Equal("not-an-address", InputValue(cut, "email"));

        // What the server accepts after tidying (trimmed, lower-cased, https:// added) is accepted here too.
        await Type(cut, "#f-code", "ABC-12");
        await Type(cut, "#f-email", "  Bob@Example.COM ");
        await Type(cut, "#f-phone", "0571-86001001");
        await Type(cut, "#f-site", "www.example.com");
        Assert.True(Validate(cut));
        Assert.DoesNotContain("must", cut.Markup);
    }

    [Fact]
    public async Task A_date_that_is_not_a_date_is_refused_by_name()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render(AllFieldTypes.ValidValues());
        await Type(cut, "#f-due", "next Tuesday");
        Assert.Contains("Due date must be a date (YYYY-MM-DD).", TextOf(cut, "due"));
        Assert.False(Validate(cut));
        await Type(cut, "#f-due", "2026-04-01");
        Assert.Equal("2026-04-01", f.Values["due"]!.GetValue<string>());
        Assert.True(Validate(cut));
    }

    [Fact]
    public async Task Server_errors_appear_beside_their_fields_and_above_the_form()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var errors = new ValidationErrors();
        errors.Add("company", "Company: the linked Company does not exist.");
        errors.Add("name", "Name \"Acme\" already exists.");
        errors.Add(RecordWriter.RecordErrorKey, "Someone else changed this record in the meantime.");
        var cut = f.Render(AllFieldTypes.ValidValues(), p => p.Add(x => x.ServerErrors, errors));

        Assert.Contains("Company: the linked Company does not exist.", TextOf(cut, "company"));
        Assert.Contains("Name \"Acme\" already exists.", TextOf(cut, "name"));
        Assert.Contains("Someone else changed", cut.Find("[data-testid='form-error']").TextContent);

        // Changing the field clears its server message; the others stay until the next save.
        await Type(cut, "#f-name", "Acme 2");
        Assert.DoesNotContain("already exists", TextOf(cut, "name"));
        Assert.Contains("does not exist", TextOf(cut, "company"));
    }

    [Fact]
    public async Task A_read_only_form_has_no_editable_input()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        var cut = f.Render(AllFieldTypes.ValidValues(), p => p.Add(x => x.ReadOnly, true));
        foreach (var input in cut.FindAll("div.crm-field input, div.crm-field textarea"))
        {
            if (input.GetAttribute("type") == "checkbox") Assert.Equal("true", input.GetAttribute("aria-readonly"));
            else Assert.True(input.HasAttribute("readonly") || input.HasAttribute("disabled"), input.OuterHtml[..Math.Min(200, input.OuterHtml.Length)]);
        }
        Assert.All(cut.FindComponents<MudAutocomplete<NamedItem>>(), a => Assert.True(a.Instance.ReadOnly));
        Assert.All(cut.FindComponents<MudSelect<string>>(), s => Assert.True(s.Instance.ReadOnly));
        Assert.All(cut.FindComponents<MudDatePicker>(), d => Assert.True(d.Instance.ReadOnly));
    }

    [Fact]
    public async Task Labels_and_messages_follow_the_language()
    {
        FormContext.UseCulture("zh-CN");
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, "zh-CN");
        var cut = f.Render();
        Assert.False(Validate(cut));
        Assert.Contains("数量", TextOf(cut, "qty"));
        Assert.Contains("请填写名称。", TextOf(cut, "name"));
        await Type(cut, "#f-qty", "500");
        Assert.Contains("数量不能大于 100。", TextOf(cut, "qty"));
        Assert.Equal("自动生成", cut.Find("#f-ref").GetAttribute("placeholder"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_is_found_as_you_type_and_stored_by_id(string provider)
    {
        await using var f = await FormContext.CreateAsync(provider, sampleData: true);
        var colleague = await f.Workspace.Database.CreateUserAsync("Zhou Colleague " + Guid.NewGuid().ToString("N")[..4]);
        await f.Workspace.Database.AddMemberAsync(f.Workspace.Tenant, colleague, Crm.Core.Tenancy.MemberRole.Member);
        var cut = f.Render(AllFieldTypes.ValidValues());

        await cut.InputAsync("#f-assignee", "zhou col");
        f.Popovers.WaitForAssertion(() => Assert.Contains(f.Popovers.FindAll(".mud-list-item"), i => i.TextContent.Contains(colleague.DisplayName)), TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(f.Popovers.FindAll(".mud-list-item"), i => i.TextContent.Contains(f.Workspace.Owner.DisplayName));
        await f.Popovers.ClickAsync(p => p.FindAll(".mud-list-item").First(i => i.TextContent.Contains(colleague.DisplayName)));

        cut.WaitForAssertion(() => Assert.Equal(colleague.Id.ToString(), f.Values["assignee"]?.GetValue<string>()));
        Assert.Equal(colleague.DisplayName, InputValue(cut, "assignee"));
        Assert.True(Validate(cut));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_linked_record_is_found_as_you_type_and_stored_by_id(string provider)
    {
        await using var f = await FormContext.CreateAsync(provider, sampleData: true);
        var companies = await f.Workspace.Get<RecordDirectory>().SearchRecordsAsync(f.Workspace.Owner, "company", "云帆");
        var yunfan = Assert.Single(companies);
        var cut = f.Render(AllFieldTypes.ValidValues());

        await cut.InputAsync("#f-company", "云帆");
        f.Popovers.WaitForAssertion(() => Assert.Single(f.Popovers.FindAll(".mud-list-item")), TimeSpan.FromSeconds(5));
        await f.Popovers.ClickAsync(".mud-list-item");

        cut.WaitForAssertion(() => Assert.Equal(yunfan.Id.ToString(), f.Values["company"]?.GetValue<string>()));
        Assert.Equal("杭州云帆信息技术有限公司", InputValue(cut, "company"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Stored_links_show_names_not_ids(string provider)
    {
        await using var f = await FormContext.CreateAsync(provider, sampleData: true);
        var yunfan = Assert.Single(await f.Workspace.Get<RecordDirectory>().SearchRecordsAsync(f.Workspace.Owner, "company", "云帆"));
        var values = AllFieldTypes.ValidValues();
        values["company"] = yunfan.Id.ToString();
        values["assignee"] = f.Workspace.Owner.UserId.ToString();

        // Without names handed in, the editor looks them up; with names, it uses them.
        var looked = f.Render(values);
        looked.WaitForAssertion(() => Assert.Equal("杭州云帆信息技术有限公司", InputValue(looked, "company")));
        looked.WaitForAssertion(() => Assert.Equal(f.Workspace.Owner.DisplayName, InputValue(looked, "assignee")));
        var given = f.Render((JsonObject)values.DeepClone(), p => p.Add(x => x.Names, new Dictionary<Guid, string> { [yunfan.Id] = "Yunfan (given)" }));
        Assert.Equal("Yunfan (given)", InputValue(given, "company"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_linked_id_that_is_not_an_id_is_refused(string provider)
    {
        await using var f = await FormContext.CreateAsync(provider);
        var values = AllFieldTypes.ValidValues();
        values["company"] = "not-a-guid";
        var cut = f.Render(values);
        Assert.False(Validate(cut));
        Assert.Contains("Company must point to an existing record or person.", TextOf(cut, "company"));
    }
}
