using System.Text.Json.Nodes;
using Crm.Core.Templates;
using Crm.Testing;

namespace Crm.Core.Tests.Templates;

/// <summary>An upgrade deletes nothing, so its plan says what it keeps that the template dropped and warns when a
/// renamed key brings a second element with the same label.</summary>
public class TemplateUpgradePlanTests
{
    /// <summary>Version 1.1.0 of the B2B template: stage "proposal" renamed to "proposal_v2" (same label), field
    /// "next_step", the last view and the first report dropped.</summary>
    private static (string Json, string View, string Report) NewerVersion()
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc["version"] = "9.0.0";
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!;
        var fields = opportunity["fields"]!.AsArray();
        fields.Remove(fields.Single(f => (string)f!["key"]! == "next_step"));
        var stage = opportunity["pipelines"]!.AsArray().Single(p => (string)p!["key"]! == "b2b")!["stages"]!.AsArray().Single(s => (string)s!["key"]! == "proposal")!;
        stage["key"] = "proposal_v2";
        foreach (var record in doc["sampleData"]?["opportunity"]?.AsArray() ?? [])
        {
            if ((string?)record!["values"]?["stage"] == "proposal") record["values"]!["stage"] = "proposal_v2";
            foreach (var step in record["history"]?.AsArray() ?? [])
                if ((string?)step!["stage"] == "proposal") step["stage"] = "proposal_v2";
        }
        var views = doc["views"]!.AsArray();
        var view = views[^1]!;
        var viewPath = $"{view["entity"]}.{view["key"]}";
        views.Remove(view);
        var reports = doc["reports"]!.AsArray();
        var report = (string)reports[0]!["key"]!;
        foreach (var d in doc["dashboards"]!.AsArray())
        {
            var widgets = d!["widgets"]!.AsArray();
            foreach (var w in widgets.Where(w => (string)w!["report"]! == report).ToList()) widgets.Remove(w);
        }
        reports.RemoveAt(0);
        return (doc.ToJsonString(), viewPath, report);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_plan_lists_what_is_kept_though_no_longer_in_the_template_and_warns_of_a_duplicate_label(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var (json, view, report) = NewerVersion();
        var installer = ws.Get<TemplateInstaller>();

        var plan = await installer.InstallAsync(ws.Owner, json, new InstallOptions(DryRun: true));

        Assert.True(plan.Outcome == InstallOutcome.DryRun, plan.Errors.ToString());
        var twin = Assert.Single(plan.Changes, c => c.Kind == ChangeKind.DuplicateLabel);
        Assert.Equal(("stage", "opportunity.b2b.proposal_v2", "proposal"), (twin.Element, twin.Path, twin.Detail));
        var kept = plan.Changes.Where(c => c.Kind == ChangeKind.KeptNotInTemplate).Select(c => (c.Element, c.Path)).ToList();
        Assert.Contains(("field", "opportunity.next_step"), kept);
        Assert.Contains(("stage", "opportunity.b2b.proposal"), kept);
        Assert.Contains(("view", view), kept);
        Assert.Contains(("report", report), kept);
        Assert.Equal(4, kept.Count);

        var upgraded = await installer.InstallAsync(ws.Owner, json, new InstallOptions());
        Assert.Equal(InstallOutcome.Upgraded, upgraded.Outcome);
        var opportunity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.NotNull(opportunity.Field("next_step")); // kept, as the plan said
        var b2b = opportunity.Pipeline("b2b")!;
        Assert.NotNull(b2b.Stage("proposal"));
        Assert.Equal(b2b.Stage("proposal")!.Label, b2b.Stage("proposal_v2")!.Label);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_first_install_of_a_starter_template_has_no_warnings(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        foreach (var id in new[] { "b2b_sales_funnel", "leads_opportunities", "customer_lifecycle", "support_tickets", "marketing_campaigns" })
        {
            var result = await ws.InstallAsync(id);
            Assert.DoesNotContain(result.Changes, c => c.Kind is ChangeKind.DuplicateLabel or ChangeKind.KeptNotInTemplate);
        }
    }
}
