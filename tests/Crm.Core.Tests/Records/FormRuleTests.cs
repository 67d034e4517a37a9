using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Core.Views;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Records;

/// <summary>
/// Form rules (显隐规则) on the server: the record writer enforces "required" and "read-only", a hidden field keeps
/// its value and is not required; the designer refuses rules that name unknown fields, target what they read or
/// go in a circle, and the archiving of a field a rule uses.
/// </summary>
public class FormRuleTests
{
    private static FormRule Rule(string key, string whenField, string op, JsonNode? value, string target, params string[] effects) => new()
    {
        Key = key,
        When = new FormRuleCondition { Filters = [new FilterSpec(whenField, op, value)] },
        Fields = [target],
        Effects = [.. effects],
    };

    private static async Task<Guid> CompanyAsync(Workspace ws) => (await ws.CreateAsync("company", ("name", "Rule Ltd " + Guid.NewGuid().ToString("N")[..6]))).Id;

    private static RecordInput Deal(Guid company, params (string Key, JsonNode? Value)[] more)
        => RecordInput.Of([("name", "Rule deal"), ("company", company.ToString()), ("amount", 1000), ("expected_close", "2030-01-31"), .. more]);

    private static async Task SaveRulesAsync(Workspace ws, params FormRule[] rules)
    {
        var draft = await ws.DraftAsync("opportunity");
        draft.FormRules = [.. draft.FormRules, .. rules];
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_lost_reason_is_required_when_the_stage_is_lost_naming_the_field(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var rule = Assert.Single((await ws.MetadataAsync()).Entity("opportunity")!.Entity.FormRules);
        Assert.Equal("lost_reason_required", rule.Key); // shipped by the starter template
        var company = await CompanyAsync(ws);

        var refused = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(company, ("stage", "lost")));
        Assert.False(refused.Succeeded);
        Assert.Equal("Lost reason is required.", Assert.Single(refused.Errors.For("lost_reason")));

        // Not lost: not required. Then moving it to lost without a reason is refused, with one it is saved.
        var open = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(company));
        Assert.True(open.Succeeded, open.Errors.ToString());
        var move = await ws.Records.UpdateAsync(ws.Owner, open.Record!.Id, RecordInput.Of(("stage", "lost")));
        Assert.Equal("Lost reason is required.", Assert.Single(move.Errors.For("lost_reason")));
        Assert.NotEqual("lost", (await ws.RecordAsync(open.Record.Id)).Text("stage")); // nothing half-written
        var moved = await ws.Records.UpdateAsync(ws.Owner, open.Record.Id, RecordInput.Of(("stage", "lost"), ("lost_reason", "price_too_high")));
        Assert.True(moved.Succeeded, moved.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_hidden_field_keeps_its_value_and_is_not_required(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        // 竞争对手 is required, but shown only when the deal is lost.
        var draft = await ws.DraftAsync("opportunity");
        var competitor = draft.Field("competitor")!;
        competitor.Settings = competitor.Settings with { Required = true };
        draft.FormRules.Add(Rule("competitor_when_lost", "stage", "eq", "lost", "competitor", FormRuleEffects.Show));
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        var company = await CompanyAsync(ws);

        var open = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(company, ("competitor", "Acme")));
        Assert.True(open.Succeeded, open.Errors.ToString()); // hidden, so not required — and the value sent is kept
        Assert.Equal("Acme", (await ws.RecordAsync(open.Record!.Id)).Text("competitor"));
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.True(FormRuleState.Evaluate(entity, (await ws.RecordAsync(open.Record.Id)).Values()).IsHidden("competitor"));

        var bare = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(company));
        Assert.True(bare.Succeeded, bare.Errors.ToString());
        // Lost: shown, so its own "required" applies again.
        var lost = await ws.Records.UpdateAsync(ws.Owner, bare.Record!.Id, RecordInput.Of(("stage", "lost"), ("lost_reason", "no_budget")));
        Assert.Equal("Competitor is required.", Assert.Single(lost.Errors.For("competitor")));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_read_only_field_cannot_be_changed_while_the_rule_holds(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        await SaveRulesAsync(ws, Rule("amount_locked_when_won", "stage", "eq", "won", "amount", FormRuleEffects.ReadOnly));
        var company = await CompanyAsync(ws);
        var deal = await ws.Records.CreateAsync(ws.Owner, "opportunity", Deal(company));
        Assert.True(deal.Succeeded, deal.Errors.ToString());
        var id = deal.Record!.Id;

        // Winning it and setting the final amount in one save is fine (the rule did not hold before).
        var won = await ws.Records.UpdateAsync(ws.Owner, id, RecordInput.Of(("stage", "won"), ("amount", 1200)));
        Assert.True(won.Succeeded, won.Errors.ToString());
        // Now it holds before and after: the amount is locked, sending the same value is harmless.
        var changed = await ws.Records.UpdateAsync(ws.Owner, id, RecordInput.Of(("amount", 5000)));
        Assert.Equal("You cannot change “Amount”: a form rule makes it read-only.", Assert.Single(changed.Errors.For("amount")));
        Assert.True((await ws.Records.UpdateAsync(ws.Owner, id, RecordInput.Of(("amount", 1200), ("next_step", "Invoice")))).Succeeded);
        Assert.Equal(1200m, (decimal)(await ws.RecordAsync(id)).Values()["amount"]!);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_designer_names_what_is_wrong_with_a_rule_and_refuses_archiving_a_field_a_rule_uses(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var before = await ws.MetadataVersionAsync();

        var draft = await ws.DraftAsync("opportunity");
        draft.FormRules.Add(Rule("unknown", "no_such_field", "eq", "x", "competitor", FormRuleEffects.Show));
        draft.FormRules.Add(Rule("self", "competitor", "notEmpty", null, "competitor", FormRuleEffects.Require));
        draft.FormRules.Add(Rule("a_shows_b", "competitor", "notEmpty", null, "next_step", FormRuleEffects.Show));
        draft.FormRules.Add(Rule("b_shows_a", "next_step", "notEmpty", null, "competitor", FormRuleEffects.Show));
        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.False(result.Succeeded);
        Assert.Contains("Form rule “unknown”: the condition reads “no_such_field”, which is not a field of this entity type.", result.Errors.For("formRules/1/when"));
        Assert.Contains("Form rule “self”: it applies to “Competitor”, which its own condition reads.", result.Errors.For("formRules/2/fields"));
        Assert.Contains(result.Errors.For("formRules"), m => m.StartsWith("Rules depend on each other in a cycle: ", StringComparison.OrdinalIgnoreCase) && m.Contains("Competitor") && m.Contains("Next step"));
        Assert.Equal(before, await ws.MetadataVersionAsync());

        // A good rule saves; the field it targets cannot be archived while the rule uses it.
        draft = await ws.DraftAsync("opportunity");
        draft.FormRules.Add(Rule("next_step_when_won", "stage", "eq", "won", "next_step", FormRuleEffects.Show, FormRuleEffects.Require));
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        draft = await ws.DraftAsync("opportunity");
        Assert.Equal(2, draft.FormRules.Count);
        draft.Field("next_step")!.IsArchived = true;
        var archive = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.False(archive.Succeeded);
        Assert.Contains("Form rule “next_step_when_won”: it uses the field “Next step”, which is archived: edit or delete the rule first.", archive.Errors.For("formRules/1/fields"));

        // Deleting the rule lets the field go.
        draft.FormRules.RemoveAll(r => r.Key == "next_step_when_won");
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_upgrade_adds_new_rules_and_keeps_the_tenants_edits(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        // Version 1: the B2B template without form rules.
        var v1 = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        v1["version"] = "1.0.0";
        var opportunity = v1["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!.AsObject();
        var shipped = opportunity["formRules"]!.DeepClone();
        opportunity.Remove("formRules");
        var installer = ws.Get<TemplateInstaller>();
        Assert.Equal(InstallOutcome.Installed, (await installer.InstallAsync(ws.Owner, v1.ToJsonString(), new InstallOptions(false))).Outcome);
        Assert.Empty((await ws.MetadataAsync()).Entity("opportunity")!.Entity.FormRules);

        // The tenant adds a rule of their own.
        await SaveRulesAsync(ws, Rule("mine", "stage", "eq", "won", "next_step", FormRuleEffects.Require));

        // Version 2 ships the lost-reason rule: the dry run shows it, the upgrade adds it after the tenant's.
        var v2 = (JsonObject)v1.DeepClone();
        v2["version"] = "2.0.0";
        v2["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!["formRules"] = shipped.DeepClone();
        var plan = await installer.InstallAsync(ws.Owner, v2.ToJsonString(), new InstallOptions(false, DryRun: true));
        Assert.Contains(plan.Changes, c => c is { Kind: ChangeKind.Add, Element: "formRule", Path: "opportunity.lost_reason_required" });
        Assert.Equal(InstallOutcome.Upgraded, (await installer.InstallAsync(ws.Owner, v2.ToJsonString(), new InstallOptions(false))).Outcome);
        var rules = (await ws.MetadataAsync()).Entity("opportunity")!.Entity.FormRules;
        Assert.Equal(["mine", "lost_reason_required"], rules.Select(r => r.Key));
        Assert.Equal("b2b_sales_funnel", rules[1].Origin);

        // The tenant changes the shipped rule; version 3 changes it too: the tenant's edit is kept.
        var draft = await ws.DraftAsync("opportunity");
        draft.FormRules[1] = draft.FormRules[1] with { Effects = [FormRuleEffects.Show, FormRuleEffects.Require] };
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        var v3 = (JsonObject)v2.DeepClone();
        v3["version"] = "3.0.0";
        var v3Rule = v3["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!["formRules"]![0]!;
        v3Rule["effects"] = new JsonArray("require", "readOnly");
        var upgrade3 = await installer.InstallAsync(ws.Owner, v3.ToJsonString(), new InstallOptions(false));
        Assert.Contains(upgrade3.Changes, c => c is { Kind: ChangeKind.KeepYours, Element: "formRule", Path: "opportunity.lost_reason_required" });
        Assert.Equal(["show", "require"], (await ws.MetadataAsync()).Entity("opportunity")!.Entity.FormRules[1].Effects);

        // Deleted by the tenant: a later version does not bring it back.
        draft = await ws.DraftAsync("opportunity");
        draft.FormRules.RemoveAll(r => r.Key == "lost_reason_required");
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        var v4 = (JsonObject)v3.DeepClone();
        v4["version"] = "4.0.0";
        var upgrade4 = await installer.InstallAsync(ws.Owner, v4.ToJsonString(), new InstallOptions(false));
        Assert.Contains(upgrade4.Changes, c => c is { Kind: ChangeKind.LeftOut, Element: "formRule", Path: "opportunity.lost_reason_required" });
        Assert.Equal(["mine"], (await ws.MetadataAsync()).Entity("opportunity")!.Entity.FormRules.Select(r => r.Key));
    }

    /// <summary>Conditions on choice fields store option keys (formula13b): a label, or a key the field does not have,
    /// is refused by the template checker at the value's JSON path and by the designer at the condition's value.</summary>
    [Fact]
    public void The_template_checker_refuses_an_unknown_option_key_in_a_condition_naming_the_json_path()
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!;
        var index = doc["entityTypes"]!.AsArray().IndexOf(opportunity);
        opportunity["formRules"] = JsonNode.Parse("""
            [
              {"key": "by_key", "when": {"filters": [{"field": "stage", "op": "eq", "value": "lost"}, {"field": "source", "op": "in", "value": ["website", "event"]}]}, "fields": ["lost_reason"], "effects": ["require"]},
              {"key": "by_label", "when": {"filters": [{"field": "source", "op": "eq", "value": "website"}, {"field": "stage", "op": "eq", "value": "输单"}]}, "fields": ["next_step"], "effects": ["show"]},
              {"key": "many", "when": {"match": "any", "filters": [{"field": "products", "op": "in", "value": ["standard", "Enterprise"]}, {"field": "lost_reason", "op": "eq", "value": "no_such_reason"}]}, "fields": ["competitor"], "effects": ["show"]}
            ]
            """);
        Func<string, object[], string> t = (k, a) => k + "|" + string.Join("|", a);
        var (parsed, parseErrors) = TemplateParser.Parse(doc.ToJsonString(), t);
        Assert.True(parseErrors.IsEmpty, parseErrors.ToString());
        var errors = new TemplateChecker(parsed!, TenantMetadata.Empty(Guid.NewGuid()), new HashSet<string>(), t).Check();
        var p = $"$.entityTypes[{index}].formRules";
        Assert.DoesNotContain(errors.ByField.Keys, k => k.StartsWith($"{p}[0]", StringComparison.Ordinal));
        Assert.Empty(errors.For($"{p}[1].when.filters[0].value"));
        Assert.Contains(errors.For($"{p}[1].when.filters[1].value"), m => m.Contains("FormRule.Problem.UnknownOption|输单|"));
        Assert.Contains(errors.For($"{p}[2].when.filters[0].value"), m => m.Contains("FormRule.Problem.UnknownOption|Enterprise|"));
        Assert.Contains(errors.For($"{p}[2].when.filters[1].value"), m => m.Contains("FormRule.Problem.UnknownOption|no_such_reason|"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_designer_refuses_an_option_label_in_a_condition(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var draft = await ws.DraftAsync("opportunity");
        draft.FormRules.Add(Rule("by_label", "stage", "eq", "Lost", "competitor", FormRuleEffects.Show));
        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.False(result.Succeeded);
        var index = draft.FormRules.Count - 1;
        Assert.Contains(result.Errors.For($"formRules/{index}/when/filters/0/value"), m => m.Contains("“Lost”") && m.Contains("option keys"));

        draft.FormRules[index] = Rule("by_key", "stage", "eq", "lost", "competitor", FormRuleEffects.Show);
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        Assert.Contains((await ws.MetadataAsync()).Entity("opportunity")!.Entity.FormRules, r => r.Key == "by_key" && (string?)r.When.Filters[0].Value == "lost");
    }

    [Fact]
    public void The_template_checker_names_unknown_fields_self_references_and_cycles()
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!;
        var index = doc["entityTypes"]!.AsArray().IndexOf(opportunity);
        opportunity["formRules"] = JsonNode.Parse("""
            [
              {"key": "ok", "when": {"filters": [{"field": "stage", "op": "eq", "value": "lost"}]}, "fields": ["lost_reason"], "effects": ["require"]},
              {"key": "ghost", "when": {"filters": [{"field": "no_such", "op": "eq", "value": "x"}]}, "fields": ["nor_this"], "effects": ["show"]},
              {"key": "self", "when": {"filters": [{"field": "competitor", "op": "notEmpty"}]}, "fields": ["competitor"], "effects": ["require"]},
              {"key": "a", "when": {"filters": [{"field": "competitor", "op": "notEmpty"}]}, "fields": ["next_step"], "effects": ["show"]},
              {"key": "b", "when": {"filters": [{"field": "next_step", "op": "notEmpty"}]}, "fields": ["competitor"], "effects": ["show"]},
              {"key": "ok", "when": {"filters": [{"field": "stage", "op": "eq", "value": "won"}]}, "fields": ["next_step"], "effects": ["readOnly"]}
            ]
            """);
        Func<string, object[], string> t = (k, a) => k + "|" + string.Join("|", a);
        var (parsed, parseErrors) = TemplateParser.Parse(doc.ToJsonString(), t);
        Assert.True(parseErrors.IsEmpty, parseErrors.ToString());
        var errors = new TemplateChecker(parsed!, TenantMetadata.Empty(Guid.NewGuid()), new HashSet<string>(), t).Check();
        var p = $"$.entityTypes[{index}].formRules";
        Assert.Contains(errors.For($"{p}[1].when"), m => m.Contains("FormRule.Problem.UnknownConditionField|no_such"));
        Assert.Contains(errors.For($"{p}[1].fields"), m => m.Contains("FormRule.Problem.UnknownTargetField|nor_this"));
        Assert.Contains(errors.For($"{p}[2].fields"), m => m.Contains("FormRule.Problem.SelfReference"));
        Assert.Contains(errors.For(p), m => m.StartsWith("FormRule.Problem.Cycle|"));
        Assert.Contains(errors.For($"{p}[5].key"), m => m.Contains("FormRule.Problem.KeyTaken|ok"));
        Assert.Empty(errors.For($"{p}[0].fields"));

        // The JSON Schema refuses an unknown effect before the checker runs.
        opportunity["formRules"] = JsonNode.Parse("""[{"key": "x", "when": {"filters": [{"field": "stage", "op": "eq", "value": "lost"}]}, "fields": ["lost_reason"], "effects": ["explode"]}]""");
        var (again, schemaErrors) = TemplateParser.Parse(doc.ToJsonString(), (k, a) => k);
        Assert.Null(again);
        Assert.Contains(schemaErrors.ByField.Keys, k => k.StartsWith($"{p}[0].effects"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Today_in_a_rule_is_the_workspaces_today_and_me_is_the_person(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var draft = await ws.DraftAsync("opportunity");
        draft.FormRules.Add(Rule("due_today", "expected_close", "eq", "$today", "next_step", FormRuleEffects.Require));
        draft.FormRules.Add(Rule("mine", "owner", "eq", "$me", "competitor", FormRuleEffects.Require));
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        // 2026-03-01 20:00 UTC is already 2026-03-02 in Shanghai (UTC+8): "today" there, not in UTC.
        var utc = new DateTime(2026, 3, 1, 20, 0, 0, DateTimeKind.Utc);
        var shanghai = Crm.Core.Tenancy.WorkspaceTimeZone.Resolve("Asia/Shanghai");
        var values = new JsonObject { ["expected_close"] = "2026-03-02", ["owner"] = ws.Owner.UserId.ToString() };
        Assert.True(FormRuleState.Evaluate(entity, values, ws.Owner.UserId, utc, null, shanghai).IsRequired("next_step"));
        Assert.False(FormRuleState.Evaluate(entity, values, ws.Owner.UserId, utc).IsRequired("next_step")); // UTC: still 03-01
        Assert.True(FormRuleState.Evaluate(entity, values, ws.Owner.UserId, utc, null, shanghai).IsRequired("competitor"));
        Assert.False(FormRuleState.Evaluate(entity, values, Guid.NewGuid(), utc, null, shanghai).IsRequired("competitor"));
    }
}
