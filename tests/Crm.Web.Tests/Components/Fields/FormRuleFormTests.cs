using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Crm.Core.Metadata;
using Crm.Core.Views;
using Crm.Testing;
using Crm.Web.Components.Fields;

namespace Crm.Web.Tests.Components.Fields;

/// <summary>
/// Form rules (显隐规则) in <see cref="DynamicForm"/>: as the person types, fields appear and disappear, become
/// required (asterisk and the server's message) or read-only.
/// </summary>
public class FormRuleFormTests
{
    public FormRuleFormTests() => FormContext.UseCulture("en");

    private static FormRule Rule(string key, string whenField, string op, string value, string target, string effect) => new()
    {
        Key = key,
        When = new FormRuleCondition { Filters = [new FilterSpec(whenField, op, JsonValue.Create(value))] },
        Fields = [target],
        Effects = [effect],
    };

    private static IElement? FieldOf(IRenderedComponent<DynamicForm> cut, string key) => cut.FindAll($"div.crm-field[data-field='{key}']").FirstOrDefault();

    private static async Task Type(IRenderedComponent<DynamicForm> cut, string selector, object value)
        => await cut.Find(selector).ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = value });

    [Fact]
    public async Task Fields_appear_become_required_and_read_only_as_the_person_types()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        f.Entity.Entity.FormRules =
        [
            Rule("notes_for_big_orders", "qty", "gt", "10", "notes", FormRuleEffects.Require),
            Rule("site_for_invoices", "code", "eq", "INV-1", "site", FormRuleEffects.Show),
            Rule("phone_locked", "code", "eq", "LOK-1", "phone", FormRuleEffects.ReadOnly),
        ];
        var cut = f.Render(new JsonObject { ["name"] = "Acme", ["qty"] = 2 });

        // Before: 网站 hidden (its show rule does not hold), 备注 optional, 电话 editable.
        Assert.Null(FieldOf(cut, "site"));
        Assert.DoesNotContain("crm-required", FieldOf(cut, "notes")!.ClassList);
        Assert.Null(FieldOf(cut, "phone")!.GetAttribute("data-rule"));

        // A big order: notes required, with the server's message on save.
        await Type(cut, "#f-qty", "42");
        cut.WaitForAssertion(() => Assert.Contains("crm-required", FieldOf(cut, "notes")!.ClassList));
        Assert.Equal("required", FieldOf(cut, "notes")!.GetAttribute("data-rule"));
        var ok = true;
        await cut.InvokeAsync(() => ok = cut.Instance.Validate());
        Assert.False(ok);
        cut.WaitForAssertion(() => Assert.Contains("Notes is required.", FieldOf(cut, "notes")!.TextContent));

        // An invoice code shows the website field; another code hides it again.
        await Type(cut, "#f-code", "INV-1");
        cut.WaitForAssertion(() => Assert.NotNull(FieldOf(cut, "site")));
        await Type(cut, "#f-code", "ABC-1");
        cut.WaitForAssertion(() => Assert.Null(FieldOf(cut, "site")));

        // Back to a small order: notes optional again, the form validates.
        await Type(cut, "#f-qty", "3");
        cut.WaitForAssertion(() => Assert.DoesNotContain("crm-required", FieldOf(cut, "notes")!.ClassList));
    }

    [Fact]
    public async Task A_field_read_only_by_a_rule_is_disabled_while_the_rule_holds_on_the_stored_and_the_edited_values()
    {
        await using var f = await FormContext.CreateAsync(Providers.Sqlite);
        f.Entity.Entity.FormRules = [Rule("phone_locked", "code", "eq", "LOK-1", "phone", FormRuleEffects.ReadOnly)];
        var stored = new JsonObject { ["name"] = "Acme", ["qty"] = 2, ["code"] = "LOK-1", ["phone"] = "123" };
        var cut = f.Render((JsonObject)stored.DeepClone(), p => p.Add(x => x.Original, stored));

        Assert.Equal("readonly", FieldOf(cut, "phone")!.GetAttribute("data-rule"));
        Assert.True(cut.Find("#f-phone").HasAttribute("readonly"));

        // Unlocking the record (another code) frees the phone in the same edit, as the server allows.
        await Type(cut, "#f-code", "ABC-1");
        cut.WaitForAssertion(() => Assert.False(cut.Find("#f-phone").HasAttribute("readonly")));
    }

    [Fact]
    public async Task The_starter_templates_rule_marks_the_lost_reason_required_on_a_lost_deal()
    {
        FormContext.UseCulture("zh-CN");
        await using var f = await FormContext.CreateAsync(Providers.Sqlite, "zh-CN");
        var opportunity = (await f.Workspace.MetadataAsync()).Entity("opportunity")!;
        var values = new JsonObject { ["name"] = "海润", ["stage"] = "lost" };
        var cut = f.Context.Bunit.Render<DynamicForm>(p => p.Add(x => x.Entity, opportunity).Add(x => x.Values, values).AddCascadingValue(f.Session));

        var reason = cut.Find("div.crm-field[data-field='lost_reason']");
        Assert.Contains("crm-required", reason.ClassList);
        var ok = true;
        await cut.InvokeAsync(() => ok = cut.Instance.Validate());
        Assert.False(ok);
        cut.WaitForAssertion(() => Assert.Contains("请填写输单原因。", cut.Find("div.crm-field[data-field='lost_reason']").TextContent));
    }
}
