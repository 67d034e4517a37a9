using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Automation;
using Crm.Core.Metadata;
using Crm.Core.Pools;
using Crm.Core.Reports;
using Crm.Core.Templates;
using Crm.Core.Timeline;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Templates;

/// <summary>
/// An upgrade's renames reach everything that names the key (rename13b): automation rules (trigger, conditions,
/// field assignments, placeholders), pool return rules, filter values naming a renamed option/stage/status (views,
/// reports, rule and form-rule conditions), other entity types' lookups (fill, shown fields, pick filter, formulas
/// reading lookup.field), subform lookup columns; the timeline tells old change rows with the field's label. The dry
/// run changes none of it. Both databases.
/// </summary>
public class TemplateRenameReferencesTests
{
    public TemplateRenameReferencesTests() => English();

    private static JsonObject Entity(JsonObject doc, string key) => doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == key)!.AsObject();

    private static JsonObject Version1()
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc.Remove("sampleData");
        return doc;
    }

    /// <summary>9.0.0: company.city → city_name, option value_tier.high → key_account, stage b2b.proposal →
    /// proposal_v2, status lost_reasons.price_too_high → price.</summary>
    private static JsonObject Version2()
    {
        var doc = Version1();
        doc["version"] = "9.0.0";
        var fields = Entity(doc, "company")["fields"]!.AsArray();
        var city = fields.Single(f => (string)f!["key"]! == "city")!.AsObject();
        city["key"] = "city_name";
        city["renamedFrom"] = "city";
        var high = fields.Single(f => (string)f!["key"]! == "value_tier")!["options"]!.AsArray().Single(o => (string)o!["key"]! == "high")!.AsObject();
        high["key"] = "key_account";
        high["renamedFrom"] = "high";
        var stage = Entity(doc, "opportunity")["pipelines"]!.AsArray().Single(p => (string)p!["key"]! == "b2b")!["stages"]!.AsArray().Single(s => (string)s!["key"]! == "proposal")!.AsObject();
        stage["key"] = "proposal_v2";
        stage["renamedFrom"] = "proposal";
        var price = doc["statusLists"]!.AsArray().Single(l => (string)l!["key"]! == "lost_reasons")!["options"]!.AsArray().Single(o => (string)o!["key"]! == "price_too_high")!.AsObject();
        price["key"] = "price";
        price["renamedFrom"] = "price_too_high";
        // The template's own views, reports and rules name the new keys (what its author would write).
        foreach (var part in new[] { "views", "reports", "rules", "pools" })
            if (doc[part] is { } node)
                doc[part] = JsonNode.Parse(node.ToJsonString().Replace("\"city\"", "\"city_name\"").Replace("\"high\"", "\"key_account\"")
                    .Replace("\"proposal\"", "\"proposal_v2\"").Replace("\"price_too_high\"", "\"price\""));
        return doc;
    }

    private static JsonArray Keys(params string[] keys) => new(keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Rules_lookups_filters_subforms_and_history_follow_a_rename_and_the_dry_run_changes_none(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var installer = ws.Get<TemplateInstaller>();
        Assert.True((await installer.InstallAsync(ws.Owner, Version1().ToJsonString(), new InstallOptions(WithSampleData: false))).Succeeded);
        // History written under the old key.
        var x = await ws.CreateAsync("company", ("name", "X"), ("city", "深圳"));
        var moved = await ws.Records.UpdateAsync(ws.Owner, x.Id, Crm.Core.Records.RecordInput.Of(("city", "广州")) with { ExpectedVersion = x.Version });
        Assert.True(moved.Succeeded, moved.Errors.ToString());

        // The workspace's own references, made beside the template.
        Guid companyId, opportunityId, contactId;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var entities = await db.EntityTypes.Include(e => e.Fields).ToListAsync();
            var company = entities.Single(e => e.Key == "company");
            var contact = entities.Single(e => e.Key == "contact");
            var opportunity = entities.Single(e => e.Key == "opportunity");
            (companyId, opportunityId, contactId) = (company.Id, opportunity.Id, contact.Id);
            var pick = contact.Fields.Single(f => f.Key == "company");
            pick.Settings = pick.Settings with
            {
                Fill = [new LookupFill("city", "wechat")],
                ShowFields = ["city", "value_tier"],
                PickFilter = [new FilterSpec("value_tier", "in", Keys("high", "medium")), new FilterSpec("city", "eq", JsonValue.Create("$form.wechat"))],
            };
            opportunity.Fields.Add(new FieldDefinition
            {
                EntityTypeId = opportunity.Id, Key = "company_city", Type = "formula", Label = LocalizedText.Same("Company city"), SortOrder = 90,
                Settings = new FieldSettings { Expression = "company.city", ResultType = "text" },
            });
            opportunity.Fields.Add(new FieldDefinition
            {
                EntityTypeId = opportunity.Id, Key = "lines", Type = "subform", Label = LocalizedText.Same("Lines"), SortOrder = 91,
                Settings = new FieldSettings
                {
                    Columns =
                    [
                        new SubformColumn { Key = "co", Type = "lookup", Label = LocalizedText.Same("Co"), Settings = new FieldSettings { Target = "company", Fill = [new LookupFill("city", "where")] } },
                        new SubformColumn { Key = "where", Type = "text", Label = LocalizedText.Same("Where") },
                    ],
                },
            });
            company.FormRules = [new FormRule { Key = "tier_city", When = new FormRuleCondition { Filters = [new FilterSpec("value_tier", "eq", JsonValue.Create("high"))] }, Fields = ["city"], Effects = [FormRuleEffects.Require] }];
            db.AutomationRules.Add(new AutomationRule
            {
                EntityTypeId = company.Id, Key = "mine_company", Name = LocalizedText.Same("Mine"),
                Trigger = new RuleTrigger { Kind = TriggerKinds.Updated, Fields = ["city", "name"] },
                Conditions = new RuleConditions { Filters = [new FilterSpec("value_tier", "in", Keys("high"))], Changes = [new ChangeCondition("value_tier", null, "high")] },
                Actions =
                [
                    new RuleAction { Kind = ActionKinds.SetFields, Values = new() { ["city"] = "{city} (checked)", ["value_tier"] = "high" } },
                    new RuleAction { Kind = ActionKinds.CreateTask, Text = "Visit {name} in {city}", Assignee = "owner" },
                ],
            });
            db.AutomationRules.Add(new AutomationRule
            {
                EntityTypeId = opportunity.Id, Key = "mine_deal", Name = LocalizedText.Same("Mine too"),
                Trigger = new RuleTrigger { Kind = TriggerKinds.StageEntered, To = "proposal" },
                Conditions = new RuleConditions { Filters = [new FilterSpec("lost_reason", "nin", Keys("price_too_high"))] },
                Actions = [new RuleAction { Kind = ActionKinds.UpdateRelated, Field = "company", Values = new() { ["city"] = "{name}", ["value_tier"] = "high" } }],
            });
            db.Reports.Add(new ReportDefinition
            {
                Key = "mine_report", Name = LocalizedText.Same("Mine"), EntityTypeId = opportunity.Id,
                Spec = new ReportSpec { Type = "custom", Chart = "kpi", Measure = new MeasureSpec("count", null), Filters = [new FilterSpec("stage", "in", Keys("proposal", "won"))] },
            });
            await db.SaveChangesAsync();
        }
        var view = await ws.Get<Crm.Core.Lists.SavedViewService>().CreateAsync(ws.Owner, "company", "Key accounts",
            new ViewDefinition { Columns = ["name"], Filters = [new FilterSpec("value_tier", "in", Keys("high", "low"))] }, shared: true);
        Assert.True(view.Succeeded, view.Errors?.ToString());

        async Task<(FieldSettings Pick, FieldDefinition[] Opp, FormRule Rule, AutomationRule[] Rules, ReportSpec Report, ViewDefinition View)> ReadAsync()
        {
            await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
            var fields = await db.Fields.AsNoTracking().ToListAsync();
            var company = await db.EntityTypes.AsNoTracking().SingleAsync(e => e.Id == companyId);
            return (fields.Single(f => f.EntityTypeId == contactId && f.Key == "company").Settings,
                fields.Where(f => f.EntityTypeId == opportunityId && (f.Key == "company_city" || f.Key == "lines")).OrderBy(f => f.Key).ToArray(),
                company.FormRules.Single(),
                await db.AutomationRules.AsNoTracking().Where(r => r.Key.StartsWith("mine_")).OrderBy(r => r.Key).ToArrayAsync(),
                (await db.Reports.AsNoTracking().SingleAsync(r => r.Key == "mine_report")).Spec,
                (await db.Views.AsNoTracking().SingleAsync(v => v.Id == view.View!.Id)).Definition);
        }
        var before = await ReadAsync();
        var json = Version2().ToJsonString();

        var plan = await installer.InstallAsync(ws.Owner, json, new InstallOptions(DryRun: true));

        Assert.True(plan.Outcome == InstallOutcome.DryRun, plan.Errors.ToString());
        var unchanged = await ReadAsync();
        Assert.Equal(Crm.Core.Json.Serialize(before), Crm.Core.Json.Serialize(unchanged));

        var upgraded = await installer.InstallAsync(ws.Owner, json, new InstallOptions());

        Assert.True(upgraded.Outcome == InstallOutcome.Upgraded, upgraded.Errors.ToString());
        var after = await ReadAsync();
        // Another entity type's lookup: fill from, shown fields, pick filter field and option values.
        Assert.Equal([new LookupFill("city_name", "wechat")], after.Pick.Fill!);
        Assert.Equal(["city_name", "value_tier"], after.Pick.ShowFields!);
        Assert.Equal(("value_tier", """["key_account","medium"]"""), (after.Pick.PickFilter![0].Field, after.Pick.PickFilter[0].Value!.ToJsonString()));
        Assert.Equal(("city_name", "$form.wechat"), (after.Pick.PickFilter[1].Field, (string?)after.Pick.PickFilter[1].Value));
        // A formula reading lookup.field, a subform lookup column's fill pair and shown field.
        Assert.Equal("company.city_name", after.Opp[0].Settings.Expression);
        var co = after.Opp[1].Settings.Columns!.Single(c => c.Key == "co").Settings;
        Assert.Equal([new LookupFill("city_name", "where")], co.Fill!);
        // Form rule: field and condition value.
        Assert.Equal(["city_name"], after.Rule.Fields);
        Assert.Equal("key_account", (string?)after.Rule.When.Filters.Single().Value);
        // Automation: trigger fields, conditions (field, values, changes), assignments (keys, option values, placeholders).
        var mine = after.Rules[0];
        Assert.Equal(["city_name", "name"], mine.Trigger.Fields);
        Assert.Equal("""["key_account"]""", mine.Conditions.Filters.Single().Value!.ToJsonString());
        Assert.Equal(new ChangeCondition("value_tier", null, "key_account"), mine.Conditions.Changes.Single());
        Assert.Equal(new Dictionary<string, string> { ["city_name"] = "{city_name} (checked)", ["value_tier"] = "key_account" }, mine.Actions[0].Values);
        Assert.Equal("Visit {name} in {city_name}", mine.Actions[1].Text);
        var deal = after.Rules[1];
        Assert.Equal("proposal_v2", deal.Trigger.To);
        Assert.Equal("""["price"]""", deal.Conditions.Filters.Single().Value!.ToJsonString());
        Assert.Equal(new Dictionary<string, string> { ["city_name"] = "{name}", ["value_tier"] = "key_account" }, deal.Actions[0].Values);
        // Filter values of a report (stage keys) and a view (option keys).
        Assert.Equal("""["proposal_v2","won"]""", after.Report.Filters.Single().Value!.ToJsonString());
        Assert.Equal("""["key_account","low"]""", after.View.Filters.Single().Value!.ToJsonString());

        // The record's history under the old key reads with the field's label.
        var page = await ws.Get<RecordTimeline>().GetAsync(ws.Owner, x.Id, culture: new CultureInfo("en"));
        var change = page.Entries.SelectMany(e => e.Changes).First(c => c.Old == "深圳");
        Assert.Equal(("city_name", "City", "广州"), (change.FieldKey, change.Label, change.New));
        Assert.DoesNotContain(page.Entries.SelectMany(e => e.Changes), c => c.FieldKey == "city");

        // An export says the field was renamed (for a workspace holding an earlier export), and installs again.
        var exported = await ws.Get<TemplateExporter>().ExportAsync(ws.Owner);
        Assert.Equal("city", exported.EntityTypes.Single(e => e.Key == "company").Fields.Single(f => f.Key == "city_name").RenamedFrom);
        Assert.All(exported.EntityTypes.SelectMany(e => e.Fields).Where(f => f.Key != "city_name"), f => Assert.Null(f.RenamedFrom));
        await using var target = await Workspace.CreateAsync(provider);
        var again = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, Crm.Core.Json.Serialize(exported), new InstallOptions(WithSampleData: false));
        Assert.True(again.Succeeded, again.Errors.ToString());
        Assert.NotNull((await target.MetadataAsync()).Entity("company")!.Field("city_name"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pool_return_rules_and_status_triggers_follow_a_renamed_status(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var installer = ws.Get<TemplateInstaller>();
        var v1 = JsonNode.Parse(Workspace.Catalog.Find("leads_opportunities")!.Json)!.AsObject();
        v1.Remove("sampleData");
        Assert.True((await installer.InstallAsync(ws.Owner, v1.ToJsonString(), new InstallOptions(WithSampleData: false))).Succeeded);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var pool = await db.Pools.SingleAsync(p => p.Key == "public_leads");
            pool.ReturnRules = [.. pool.ReturnRules.Select(r => r with { KeepStatuses = [.. r.KeepStatuses ?? [], "invalid"] })];
            var lead = await db.EntityTypes.SingleAsync(e => e.Key == "lead");
            db.AutomationRules.Add(new AutomationRule
            {
                EntityTypeId = lead.Id, Key = "mine_invalid", Name = LocalizedText.Same("Mine"),
                Trigger = new RuleTrigger { Kind = TriggerKinds.StatusChanged, To = "invalid" },
                Actions = [new RuleAction { Kind = ActionKinds.Notify, Assignee = "owner", Text = "Invalid" }],
            });
            await db.SaveChangesAsync();
        }
        // 9.0.0 renames the status invalid → invalid_lead (and names the new key wherever v1 named it).
        var v2 = JsonNode.Parse(v1.ToJsonString().Replace("\"invalid\"", "\"invalid_lead\""))!.AsObject();
        v2["version"] = "9.0.0";
        var invalid = v2["statusLists"]!.AsArray().Single(l => (string)l!["key"]! == "lead_status")!["options"]!.AsArray().Single(o => (string)o!["key"]! == "invalid_lead")!.AsObject();
        invalid["renamedFrom"] = "invalid";
        var json = v2.ToJsonString();

        async Task<(List<string> Keep, string? To)> ReadAsync()
        {
            await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
            var pool = await db.Pools.AsNoTracking().SingleAsync(p => p.Key == "public_leads");
            var rule = await db.AutomationRules.AsNoTracking().SingleAsync(r => r.Key == "mine_invalid");
            return (pool.ReturnRules.SelectMany(r => r.KeepStatuses ?? []).ToList(), rule.Trigger.To);
        }
        var dry = await installer.InstallAsync(ws.Owner, json, new InstallOptions(DryRun: true));
        Assert.True(dry.Outcome == InstallOutcome.DryRun, dry.Errors.ToString());
        var unchanged = await ReadAsync();
        Assert.Contains("invalid", unchanged.Keep);
        Assert.Equal("invalid", unchanged.To);

        var upgraded = await installer.InstallAsync(ws.Owner, json, new InstallOptions());

        Assert.True(upgraded.Outcome == InstallOutcome.Upgraded, upgraded.Errors.ToString());
        var after = await ReadAsync();
        Assert.Contains("invalid_lead", after.Keep);
        Assert.DoesNotContain("invalid", after.Keep);
        Assert.Equal("invalid_lead", after.To);
        // The pool still validates against the workspace's statuses (the key it names exists).
        var metadata = await ws.MetadataAsync();
        var saved = (await ws.Get<PoolDefinitions>().ListAsync(ws.Owner)).Single(p => p.Key == "public_leads");
        Assert.Contains(metadata.Entity("lead")!.Owner.StatusList("lead_status")!.AllOptions.Single(o => o.Key == "invalid_lead").Id, saved.ReturnRules.Single().KeptStatusIds(metadata.Entity("lead")));
        Assert.Contains(metadata.Entity("lead")!.Owner.StatusList("lead_status")!.AllOptions, o => o.Key == "invalid_lead");
    }
}
