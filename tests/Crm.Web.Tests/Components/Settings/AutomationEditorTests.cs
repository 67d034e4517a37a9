using System.Text.Json;
using System.Text.Json.Nodes;
using Bunit;
using Crm.Core;
using Crm.Core.Automation;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;
using Crm.Web.Components.Automation;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>
/// The rule editor lets a non-developer admin configure everything the engine runs: "changed, only when these fields
/// change", stage from → to, list-model conditions joined with AND/OR plus "changed from/to", and field values from a
/// fixed value, the person, today + N, another field or the owner, also for related records. On both databases.
/// </summary>
public class AutomationEditorTests
{
    private static async Task<(Workspace Ws, ComponentTestContext Context, IRenderedComponent<MudPopoverProvider> Popovers)> ArrangeAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities");
        var (context, popovers) = NewContext(ws, "en");
        return (ws, context, popovers);
    }

    // Synchronous, so that the UI culture it sets stays set for the caller (an async method's changes do not flow back).
    private static (ComponentTestContext, IRenderedComponent<MudPopoverProvider>) NewContext(Workspace ws, string culture)
    {
        var context = new ComponentTestContext(culture, services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        return (context, context.Bunit.Render<MudPopoverProvider>());
    }

    private static string? TestId(IDictionary<string, object?>? attributes)
        => attributes is not null && attributes.TryGetValue("data-testid", out var v) ? v?.ToString() : null;

    private static IRenderedComponent<MudSelect<T>> Select<T, TC>(IRenderedComponent<TC> cut, string testId) where TC : class, IComponent
        => cut.FindComponents<MudSelect<T>>().Single(s => TestId(s.Instance.UserAttributes) == testId || s.Instance.InputId == testId);

    private static Task Choose<TC>(IRenderedComponent<TC> cut, string testId, string value) where TC : class, IComponent
    {
        var select = Select<string, TC>(cut, testId);
        return cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
    }

    private static async Task AddActionAsync<TC>(IRenderedComponent<TC> cut, IRenderedComponent<MudPopoverProvider> popovers, string kind) where TC : class, IComponent
    {
        // Under load the editor may still be rendering its first pass: wait for the menu, and open it again if a
        // re-render closed it before the item was clicked.
        // A new rule's editor appears after the page's reads (members, fields) finish: on PostgreSQL under the whole
        // suite's load that took over 10 s once (bUnit's default wait), with no render in between.
        cut.WaitForAssertion(() => Assert.Single(cut.FindComponents<MudMenu>(), m => m.Instance.UserAttributes.TryGetValue("id", out var id) && (string?)id == "rule-add-action"),
            TimeSpan.FromSeconds(60));
        for (var attempt = 1; ; attempt++)
        {
            var menu = cut.FindComponents<MudMenu>().Single(m => m.Instance.UserAttributes.TryGetValue("id", out var id) && (string?)id == "rule-add-action");
            await cut.InvokeAsync(() => menu.Instance.OpenMenuAsync(EventArgs.Empty));
            popovers.WaitForAssertion(() => Assert.NotEmpty(popovers.FindAll($"[data-testid=add-action-{kind}]")));
            try
            {
                await popovers.ClickAsync($"[data-testid=add-action-{kind}]");
                return;
            }
            catch (Bunit.ElementNotFoundException) when (attempt < 3) { }
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_builds_a_change_rule_with_conditions_and_field_values_without_typing_keys(string provider)
    {
        var (ws, context, popovers) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        var session = new TenantSession(ws.Tenant, ws.Owner);
        var page = context.Bunit.Render<AutomationPage>(p => p.Add(x => x.Slug, ws.Tenant.Identifier).AddCascadingValue(session));
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("#automation-page").GetAttribute("data-ready")));
        await Choose(page, "automation-entity", "lead");
        await page.ClickAsync("#automation-new");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("#rule-editor")));

        await page.InputAsync("#rule-name", "Qualified website leads");
        await Choose(page, "rule-trigger", TriggerKinds.Updated);
        var fields = Select<string, AutomationPage>(page, "trigger-fields");
        Assert.True(fields.Instance.MultiSelection);
        await page.InvokeAsync(() => fields.Instance.SelectedValuesChanged.InvokeAsync(["lead_status"]));

        // Conditions: the list filter model (field, comparison, option), joined with OR.
        await page.ClickAsync("#rule-add-condition");
        Assert.Equal("source", Select<string, AutomationPage>(page, "condition-field-0").Instance.Value);
        await Choose(page, "condition-value-0", "website"); // a select of the options, not a key to type
        await page.ClickAsync("#rule-add-condition");
        await Choose(page, "condition-field-1", "value_tier");
        await Choose(page, "condition-op-1", "empty");
        var match = page.FindComponent<MudRadioGroup<string>>();
        await page.InvokeAsync(() => match.Instance.ValueChanged.InvokeAsync("any"));

        // "Changed from/to": the status changed to qualified (from anything).
        await page.ClickAsync("#rule-add-change");
        Assert.Equal("lead_status", Select<string, AutomationPage>(page, "change-field-0").Instance.Value);
        await Choose(page, "change-to-0", "qualified");

        // Set fields: today + 3, the person who changed it, another field.
        await AddActionAsync(page, popovers, ActionKinds.SetFields);
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-kind=setFields]")));
        await Choose(page, "action-values-0-field-0", "next_follow_up");
        await Choose(page, "action-values-0-source-0", ValueMappingRow.Today);
        var days = page.FindComponents<MudNumericField<int>>().Single(n => TestId(n.Instance.UserAttributes) == "action-values-0-days-0");
        await page.InvokeAsync(() => days.Instance.ValueChanged.InvokeAsync(3));
        await page.ClickAsync("[data-testid=action-values-0-add]");
        await Choose(page, "action-values-0-field-1", "owner");
        await Choose(page, "action-values-0-source-1", ValueMappingRow.Me);
        await page.ClickAsync("[data-testid=action-values-0-add]");
        await Choose(page, "action-values-0-field-2", "requirement");
        await Choose(page, "action-values-0-source-2", ValueMappingRow.OtherField);
        await Choose(page, "action-values-0-from-2", "company_name");

        // Create a related opportunity linked back through its "Source lead" lookup, named after the company.
        await AddActionAsync(page, popovers, ActionKinds.CreateRelated);
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-kind=createRelated]")));
        Assert.Equal("opportunity", Select<string, AutomationPage>(page, "action-entity-1").Instance.Value);
        Assert.Equal("lead", Select<string, AutomationPage>(page, "action-link-1").Instance.Value);
        await page.ClickAsync("[data-testid=action-values-1-add]");
        Assert.Equal("name", Select<string, AutomationPage>(page, "action-values-1-field-0").Instance.Value);
        await Choose(page, "action-values-1-source-0", ValueMappingRow.OtherField);
        await Choose(page, "action-values-1-from-0", "company_name");

        await page.ClickAsync("#rule-save");
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("#rule-editor")));
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=automation-rule]")));

        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var rule = await db.AutomationRules.AsNoTracking().SingleAsync(r => r.Origin == null);
        Assert.Equal("Qualified website leads", rule.Name.Get());
        Assert.Equal(TriggerKinds.Updated, rule.Trigger.Kind);
        Assert.Equal(["lead_status"], rule.Trigger.Fields);
        Assert.Equal("any", rule.Conditions.Match);
        Assert.Equal([("source", "eq", "\"website\""), ("value_tier", "empty", "null")],
            rule.Conditions.Filters.Select(f => (f.Field, f.Op, f.Value?.ToJsonString() ?? "null")));
        Assert.Equal([new ChangeCondition("lead_status", null, "qualified")], rule.Conditions.Changes);
        Assert.Equal(2, rule.Actions.Count);
        Assert.Equal(new Dictionary<string, string> { ["next_follow_up"] = "$today+3", ["owner"] = "$me", ["requirement"] = "{company_name}" }, rule.Actions[0].Values);
        Assert.Equal((ActionKinds.CreateRelated, "opportunity", "lead"), (rule.Actions[1].Kind, rule.Actions[1].Entity, rule.Actions[1].Field));
        Assert.Equal(new Dictionary<string, string> { ["name"] = "{company_name}" }, rule.Actions[1].Values);

        // Opened again, the editor shows what was saved.
        await page.ClickAsync("[data-testid=automation-rule] [data-testid=automation-edit]");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("#rule-editor")));
        Assert.Equal(["lead_status"], Select<string, AutomationPage>(page, "trigger-fields").Instance.SelectedValues);
        // (PostgreSQL's jsonb keeps the keys in its own order: find each row by its field.)
        int Row(string field) => Enumerable.Range(0, 3).Single(i => Select<string, AutomationPage>(page, $"action-values-0-field-{i}").Instance.Value == field);
        Assert.Equal(ValueMappingRow.Today, Select<string, AutomationPage>(page, $"action-values-0-source-{Row("next_follow_up")}").Instance.Value);
        Assert.Equal(3, page.FindComponents<MudNumericField<int>>().Single(n => TestId(n.Instance.UserAttributes) == $"action-values-0-days-{Row("next_follow_up")}").Instance.Value);
        Assert.Equal(ValueMappingRow.Me, Select<string, AutomationPage>(page, $"action-values-0-source-{Row("owner")}").Instance.Value);
        Assert.Equal("company_name", Select<string, AutomationPage>(page, $"action-values-0-from-{Row("requirement")}").Instance.Value);
        Assert.Equal("qualified", Select<string, AutomationPage>(page, "change-to-0").Instance.Value);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Every_trigger_and_action_round_trips_through_the_editor_in_chinese(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities");
        var (context, _) = NewContext(ws, "zh-CN");
        await using var ___ = context;
        var a = await ws.MemberAsync(MemberRole.Member);
        var b = await ws.MemberAsync(MemberRole.Member);
        var metadata = await ws.MetadataAsync();
        var opportunity = metadata.Entity("opportunity")!;
        var stored = new AutomationRule
        {
            EntityTypeId = opportunity.Entity.Id,
            Name = LocalizedText.Same("商机推进"),
            Trigger = new RuleTrigger { Kind = TriggerKinds.StageEntered, From = "qualify", To = "proposal" },
            Conditions = new RuleConditions
            {
                Match = "all",
                Filters = [new FilterSpec("source", "eq", JsonValue.Create("website")), new FilterSpec("amount", "gte", JsonValue.Create("10000"))],
                Changes = [new ChangeCondition("source", "event", null)],
            },
            Actions =
            [
                new RuleAction { Kind = ActionKinds.AssignOwner, Mode = AssignModes.Weighted, Users = [a.UserId, b.UserId], Weights = [2, 1] },
                new RuleAction { Kind = ActionKinds.CreateTask, Text = "跟进 {name}", DueDays = 1, DueHours = 4, Assignee = "$me" },
                new RuleAction { Kind = ActionKinds.UpdateRelated, Field = "company", Values = new() { ["value_tier"] = "{source}", ["owner"] = "$owner", ["city"] = "上海" } },
                new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["expected_close"] = "$today-2", ["next_step"] = "报价 {name}" } },
                new RuleAction { Kind = ActionKinds.Notify, Text = "{name} 进入方案阶段", Users = [a.UserId] },
            ],
        };
        var (saved, errors) = await ws.Get<AutomationRuleService>().SaveAsync(ws.Owner, stored);
        Assert.True(errors.IsEmpty, errors.ToString());
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var before = await db.AutomationRules.AsNoTracking().SingleAsync(r => r.Origin == null); // as the database keeps it (jsonb orders keys)
        var members = await ws.Get<RecordDirectory>().MembersAsync(ws.Owner);

        var saves = 0;
        var editor = context.Bunit.Render<RuleEditor>(p => p.Add(x => x.Rule, saved!).Add(x => x.Entity, opportunity).Add(x => x.Metadata, metadata)
            .Add(x => x.Members, members).Add(x => x.OnSaved, () => saves++).AddCascadingValue(new TenantSession(ws.Tenant, ws.Owner)));
        Assert.Contains("从（留空表示任意）", editor.Markup);
        Assert.Contains("设置字段值", editor.Markup);
        Assert.Equal("qualify", Select<string, RuleEditor>(editor, "trigger-from").Instance.Value);
        Assert.Equal("proposal", Select<string, RuleEditor>(editor, "trigger-to").Instance.Value);
        Assert.Equal("$me", Select<string, RuleEditor>(editor, "action-assignee-1").Instance.Value);
        Assert.Equal(ValueMappingRow.Owner, Select<string, RuleEditor>(editor, "action-values-2-source-1").Instance.Value);
        Assert.False(editor.FindComponents<MudCheckBox<bool>>().Single().Instance.Value); // notify: not the owner

        await editor.ClickAsync("#rule-save");
        editor.WaitForAssertion(() => Assert.Equal(1, saves));
        var again = await db.AutomationRules.AsNoTracking().SingleAsync(r => r.Origin == null);
        string Json(object o) => JsonSerializer.Serialize(o);
        Assert.Equal(Json(before.Trigger), Json(again.Trigger));
        Assert.Equal(Json(before.Conditions), Json(again.Conditions));
        Assert.Equal(Json(before.Actions), Json(again.Actions));
        Assert.Equal(5, again.Actions.Count);
        Assert.Equal("$today-2", again.Actions[3].Values["expected_close"]);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_rule_with_mistakes_is_not_saved_and_the_fields_are_marked(string provider)
    {
        var (ws, context, popovers) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        var page = context.Bunit.Render<AutomationPage>(p => p.Add(x => x.Slug, ws.Tenant.Identifier).AddCascadingValue(new TenantSession(ws.Tenant, ws.Owner)));
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("#automation-page").GetAttribute("data-ready")));
        await Choose(page, "automation-entity", "lead");
        await page.ClickAsync("#automation-new");
        await AddActionAsync(page, popovers, ActionKinds.AssignOwner);
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-kind=assignOwner]")));
        await page.ClickAsync("#rule-save");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=rule-errors]")));
        Assert.True(Select<Guid, AutomationPage>(page, "action-members-0").Instance.Error);
        Assert.True(page.FindComponents<MudTextField<string>>().Single(f => f.Instance.InputId == "rule-name").Instance.Error);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(0, await db.AutomationRules.CountAsync(r => r.Origin == null));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Run_rule_lists_the_manual_rules_and_says_how_many_records_matched_and_were_acted_on(string provider)
    {
        var (ws, context, popovers) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        var metadata = await ws.MetadataAsync();
        var lead = metadata.Entity("lead")!;
        var service = ws.Get<AutomationRuleService>();
        foreach (var old in await service.ListAsync(ws.Owner)) await service.SetStateAsync(ws.Owner, old.Id, enabled: false, archived: true);
        var (manual, errors) = await service.SaveAsync(ws.Owner, new AutomationRule
        {
            EntityTypeId = lead.Entity.Id, Name = LocalizedText.Same("Call back"), Trigger = new RuleTrigger { Kind = TriggerKinds.Manual },
            Conditions = new RuleConditions { Filters = [new FilterSpec("source", "eq", JsonValue.Create("website"))] },
            Actions = [new RuleAction { Kind = ActionKinds.CreateTask, Text = "Call {name}", DueDays = 1 }],
        });
        Assert.True(errors.IsEmpty, errors.ToString());
        await service.SaveAsync(ws.Owner, new AutomationRule
        {
            EntityTypeId = lead.Entity.Id, Name = LocalizedText.Same("Not manual"), Trigger = new RuleTrigger { Kind = TriggerKinds.Created },
            Actions = [new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["requirement"] = "x" } }],
        });
        var ids = new List<Guid>();
        foreach (var (name, source) in new[] { ("Web", "website"), ("Fair", "exhibition") })
            ids.Add((await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("name", name), ("source", source)))).Record!.Id);
        var member = await ws.MemberAsync(MemberRole.Member);
        ManualRunResult? ran = null;

        var menu = context.Bunit.Render<RunRuleMenu>(p => p.Add(x => x.EntityTypeId, lead.Entity.Id).Add(x => x.Records, () => ids)
            .Add(x => x.OnRan, r => ran = r).AddCascadingValue(new TenantSession(ws.Tenant, member)));
        menu.WaitForAssertion(() => Assert.Single(menu.FindAll("[data-testid=run-rule-menu]")));
        await menu.InvokeAsync(() => menu.FindComponent<MudMenu>().Instance.OpenMenuAsync(EventArgs.Empty));
        popovers.WaitForAssertion(() => Assert.Equal(["Call back"], popovers.FindAll("[data-testid=run-rule]").Select(e => e.TextContent.Trim())));
        await popovers.ClickAsync("[data-testid=run-rule]");
        menu.WaitForAssertion(() => Assert.Equal("1", menu.Find("[data-testid=run-rule-result]").GetAttribute("data-matched")));
        Assert.Equal(new ManualRunResult(2, 0, 1, 1, 0), ran);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(["Call Web"], await db.Activities.Where(a => a.CreatedBy == manual!.Id).Select(a => a.Subject).ToListAsync());

        // A viewer cannot run rules: no menu.
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        var none = context.Bunit.Render<RunRuleMenu>(p => p.Add(x => x.EntityTypeId, lead.Entity.Id).Add(x => x.Records, () => ids).AddCascadingValue(new TenantSession(ws.Tenant, viewer)));
        Assert.Empty(none.FindAll("[data-testid=run-rule-menu]"));
    }
}
