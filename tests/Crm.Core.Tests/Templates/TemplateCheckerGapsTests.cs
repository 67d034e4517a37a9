using System.Text.Json.Nodes;
using Crm.Core.Pools;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Templates;

/// <summary>
/// Gaps of the checker and the upgrade-merge (subtot): a formula that does not give a number is no report measure
/// (refused with its JSON path); a pool the workspace never touched is no change on an identical upgrade (return rules
/// with lists compared by value); a field rename reaches the field and condition arguments of ROLLUP_SUM/ROLLUP_COUNT
/// and option, stage and status keys compared in a formula follow their renames. Both databases.
/// </summary>
public class TemplateCheckerGapsTests
{
    public TemplateCheckerGapsTests() => English();

    private static JsonObject B2b()
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc.Remove("sampleData");
        return doc;
    }

    private static JsonObject Entity(JsonObject doc, string key) => doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == key)!.AsObject();

    private static JsonObject FieldOf(JsonObject doc, string entity, string key) => Entity(doc, entity)["fields"]!.AsArray().Single(f => (string)f!["key"]! == key)!.AsObject();

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_formula_that_gives_text_is_refused_as_a_report_measure_naming_its_path(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var doc = B2b();
        Entity(doc, "opportunity")["fields"]!.AsArray().Add(JsonNode.Parse("""
            { "key": "label_text", "type": "formula", "label": { "zh-CN": "标签", "en": "Label" }, "resultType": "text", "expression": "CONCAT(name, \"!\")" }
            """));
        var reports = doc["reports"]!.AsArray();
        var report = reports.Single(r => (string)r!["key"]! == "weighted_amount_by_owner")!.AsObject();
        var index = reports.IndexOf(report);
        report["measure"] = new JsonObject { ["aggregate"] = "sum", ["field"] = "label_text" };

        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));

        Assert.False(result.Succeeded);
        var message = Assert.Single(result.Errors.For($"$.reports[{index}].measure.field"));
        Assert.Contains("\"label_text\" is a formula that gives text, not a number", message);
        Assert.Null((await ws.MetadataAsync()).Entity("opportunity"));

        // The number formula the template ships as a measure (weighted_amount) passes, and so does a number resultType said out loud.
        report["measure"] = new JsonObject { ["aggregate"] = "sum", ["field"] = "weighted_amount" };
        FieldOf(doc, "opportunity", "weighted_amount")["resultType"] = "number";
        var fine = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(fine.Succeeded, fine.Errors.ToString());
        // The report editor offers number fields only: the text formula is not among them.
        var numeric = Crm.Core.Reports.ReportService.NumericFields((await ws.MetadataAsync()).Entity("opportunity")!).Select(f => f.Key).ToList();
        Assert.Contains("weighted_amount", numeric);
        Assert.DoesNotContain("label_text", numeric);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_identical_pool_is_no_change_on_upgrade_by_the_installer_or_another_admin(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities", withRules: true);
        var installer = ws.Get<TemplateInstaller>();
        var doc = Json.Deserialize<TemplateDocument>(Json.Serialize(Workspace.Catalog.Find("leads_opportunities")!.Document))!;
        // The shipped pool has return rules holding a list (keepStatuses): compared by value, not by reference.
        Assert.Contains(doc.Pools!.Single().ReturnRules!, r => r.KeepStatuses is { Count: > 1 });

        doc.Version = "9.0.0";
        var plan = await installer.InstallAsync(ws.Owner, doc, new InstallOptions(WithSampleData: false, DryRun: true));
        Assert.Equal(InstallOutcome.DryRun, plan.Outcome);
        Assert.DoesNotContain(plan.Changes, c => c.Element == "pool");
        var upgraded = await installer.InstallAsync(ws.Owner, doc, new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Upgraded, upgraded.Outcome);
        Assert.DoesNotContain(upgraded.Changes, c => c.Element == "pool");

        // Another admin upgrades: "$installer" in the stored pool is read as the previous installer, still no change.
        var admin = await ws.MemberAsync(MemberRole.Admin);
        doc.Version = "9.0.1";
        var again = await installer.InstallAsync(admin, doc, new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Upgraded, again.Outcome);
        Assert.DoesNotContain(again.Changes, c => c.Element == "pool");
        var pool = (await ws.Get<PoolDefinitions>().ListAsync(ws.Owner)).Single(p => p.Key == "public_leads");
        Assert.Equal(["converted", "disqualified"], pool.ReturnRules.Single().KeepStatuses!);
    }

    private static JsonObject Formula(string key, string expression, string? resultType = null)
    {
        var f = new JsonObject { ["key"] = key, ["type"] = "formula", ["label"] = new JsonObject { ["zh-CN"] = key, ["en"] = key }, ["expression"] = expression };
        if (resultType is not null) f["resultType"] = resultType;
        return f;
    }

    private static JsonObject Renamed(JsonObject field, string to)
    {
        field["renamedFrom"] = (string)field["key"]!;
        field["key"] = to;
        return field;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_rename_reaches_rollup_arguments_and_option_keys_compared_in_formulas(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        // 1.0: company has its own cost_price (the same key as the deal's), a roll-up over the deals' cost_price in
        // proposal, and a text formula comparing the value tier with "high".
        var v1 = B2b();
        var companyFields = Entity(v1, "company")["fields"]!.AsArray();
        companyFields.Add(JsonNode.Parse("""{ "key": "cost_price", "type": "money", "label": { "zh-CN": "公司成本", "en": "Company cost" }, "currency": "CNY" }"""));
        var formulas = new[]
        {
            Formula("proposal_cost", "ROLLUP_SUM(opportunity.company, cost_price, stage = \"proposal\") + cost_price"),
            Formula("proposal_count", "ROLLUP_COUNT(opportunity.company, stage = \"proposal\")"),
            Formula("tier_text", "IF(value_tier = \"high\", \"A\", IF(\"medium\" = value_tier, \"B\", \"C\"))", "text"),
        };
        foreach (var f in formulas) companyFields.Add(f);
        var installer = ws.Get<TemplateInstaller>();
        var installed = await installer.InstallAsync(ws.Owner, v1.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());

        // 9.0: the deal's cost_price → cost, the company's cost_price → own_cost, stage proposal → proposal_v2,
        // value_tier high → key_account. The formulas are no longer in the template (kept as the workspace's).
        var v2 = B2b();
        v2["version"] = "9.0.0";
        var v2Company = Entity(v2, "company")["fields"]!.AsArray();
        v2Company.Add(Renamed(JsonNode.Parse("""{ "key": "cost_price", "type": "money", "label": { "zh-CN": "公司成本", "en": "Company cost" }, "currency": "CNY" }""")!.AsObject(), "own_cost"));
        Renamed(FieldOf(v2, "opportunity", "cost_price"), "cost");
        var high = FieldOf(v2, "company", "value_tier")["options"]!.AsArray().Single(o => (string)o!["key"]! == "high")!.AsObject();
        high["renamedFrom"] = "high";
        high["key"] = "key_account";
        var proposal = Entity(v2, "opportunity")["pipelines"]!.AsArray().Single(p => (string)p!["key"]! == "b2b")!["stages"]!.AsArray().Single(s => (string)s!["key"]! == "proposal")!.AsObject();
        proposal["renamedFrom"] = "proposal";
        proposal["key"] = "proposal_v2";
        foreach (var part in new[] { "views", "reports", "rules", "pools" })
            if (v2[part] is { } node)
                v2[part] = JsonNode.Parse(node.ToJsonString().Replace("\"cost_price\"", "\"cost\"").Replace("\"high\"", "\"key_account\"").Replace("\"proposal\"", "\"proposal_v2\""));

        var upgraded = await installer.InstallAsync(ws.Owner, v2.ToJsonString(), new InstallOptions(WithSampleData: false));

        Assert.True(upgraded.Succeeded, upgraded.Errors.ToString());
        var company = (await ws.MetadataAsync()).Entity("company")!;
        Assert.Equal("ROLLUP_SUM(opportunity.company, cost, stage = \"proposal_v2\") + own_cost", company.Field("proposal_cost")!.Settings.Expression);
        Assert.Equal("ROLLUP_COUNT(opportunity.company, stage = \"proposal_v2\")", company.Field("proposal_count")!.Settings.Expression);
        Assert.Equal("IF(value_tier = \"key_account\", \"A\", IF(\"medium\" = value_tier, \"B\", \"C\"))", company.Field("tier_text")!.Settings.Expression);

        // The roll-up computes over the renamed field and stage: a deal in proposal_v2 with cost 300 on a company of cost 50.
        var acme = await ws.CreateAsync("company", ("name", "Acme"), ("own_cost", 50), ("value_tier", "key_account"));
        await ws.CreateAsync("opportunity", ("name", "Deal"), ("company", acme.Id.ToString()), ("amount", 1000), ("cost", 300), ("stage", "proposal_v2"), ("expected_close", "2030-01-31"));
        var stored = (await ws.RecordAsync(acme.Id)).Values();
        Assert.Equal(350m, Crm.Core.Fields.JsonNumbers.AsDecimal(stored["proposal_cost"]));
        Assert.Equal(1m, Crm.Core.Fields.JsonNumbers.AsDecimal(stored["proposal_count"]));
        Assert.Equal("A", stored["tier_text"]!.GetValue<string>());
    }

    [Fact]
    public void Spans_tell_own_names_rollup_names_links_and_compared_literals()
    {
        var text = "ROLLUP_SUM(opportunity.company, amount, stage = \"won\") + IF(tier = \"high\", amount, 0) + SUM(items.subtotal)";
        var spans = FormulaExpression.Parse(text).Spans;
        Assert.Contains(spans, s => s is { Kind: FormulaExpression.SpanKind.RollupLink, Text: "opportunity.company", Entity: null });
        Assert.Contains(spans, s => s is { Kind: FormulaExpression.SpanKind.Name, Text: "amount", Entity: "opportunity" });
        Assert.Contains(spans, s => s is { Kind: FormulaExpression.SpanKind.Name, Text: "amount", Entity: null });
        Assert.Contains(spans, s => s is { Kind: FormulaExpression.SpanKind.Literal, Text: "won", Entity: "opportunity", Field: "stage" });
        Assert.Contains(spans, s => s is { Kind: FormulaExpression.SpanKind.Literal, Text: "high", Entity: null, Field: "tier" });
        Assert.Contains(spans, s => s is { Kind: FormulaExpression.SpanKind.Name, Text: "items.subtotal", Entity: null });
        Assert.All(spans, s => Assert.Equal(s.Text, text.Substring(s.Start, s.Length)));
        // Only the own record's amount is renamed; the text around is kept as written.
        var rewritten = FormulaExpression.Rewrite(text, s => s is { Kind: FormulaExpression.SpanKind.Name, Entity: null, Text: "amount" } ? "total" : null);
        Assert.Equal("ROLLUP_SUM(opportunity.company, amount, stage = \"won\") + IF(tier = \"high\", total, 0) + SUM(items.subtotal)", rewritten);
    }
}
