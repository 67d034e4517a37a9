using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Templates;

/// <summary>The five starter templates install, reinstall as a no-op, upgrade without losing records, and round-trip.</summary>
public class TemplateInstallerTests
{
    public static IEnumerable<object[]> ProvidersAndTemplates()
    {
        foreach (var provider in new[] { Providers.Sqlite, Providers.Postgres })
            foreach (var entry in Workspace.Catalog.Entries)
                yield return [provider, entry.Document.Id];
    }

    [Fact]
    public void Every_starter_template_file_parses_and_passes_the_schema()
    {
        Assert.Empty(Workspace.Catalog.Problems);
        Assert.Equal(5, Workspace.Catalog.Entries.Count);
        foreach (var entry in Workspace.Catalog.Entries)
        {
            var (doc, errors) = TemplateParser.Parse(entry.Json, (k, a) => k);
            Assert.True(errors.IsEmpty, $"{entry.FileName}: {errors}");
            Assert.NotNull(doc);
            Assert.All(doc!.EntityTypes, e => Assert.False(string.IsNullOrWhiteSpace(e.Label.ZhCn) || string.IsNullOrWhiteSpace(e.Label.En), $"{entry.FileName}: {e.Key} needs both labels"));
            Assert.All(doc.EntityTypes.SelectMany(e => e.Fields), f => Assert.False(string.IsNullOrWhiteSpace(f.Label.ZhCn) || string.IsNullOrWhiteSpace(f.Label.En), $"{entry.FileName}: field {f.Key} needs both labels"));
            Assert.NotNull(doc.SampleData);
            Assert.NotEmpty(doc.SampleData!);
        }
    }

    [Theory]
    [MemberData(nameof(ProvidersAndTemplates))]
    public async Task A_starter_template_installs_with_sample_data_and_again_is_a_no_op(string provider, string templateId)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var doc = Workspace.Catalog.Find(templateId)!.Document;

        var first = await ws.InstallAsync(templateId, withSampleData: true);
        Assert.Equal(InstallOutcome.Installed, first.Outcome);
        Assert.Equal(doc.SampleData!.Sum(s => s.Value.Count), first.SampleRecords);

        var meta = await ws.MetadataAsync();
        foreach (var e in doc.EntityTypes)
        {
            var entity = meta.Entity(e.Key);
            Assert.NotNull(entity);
            Assert.Equal(e.Fields.Select(f => f.Key).Order(), entity!.Fields.Select(f => f.Key).Order());
            Assert.Equal(e.Pipelines.SelectMany(p => p.Stages).Count(), entity.Pipelines.SelectMany(p => p.Stages).Count());
        }
        var before = await CountsAsync(ws);

        var again = await ws.InstallAsync(templateId, withSampleData: true);
        Assert.Equal(InstallOutcome.AlreadyInstalled, again.Outcome);
        Assert.Empty(again.Changes);
        Assert.Equal(before, await CountsAsync(ws));
        Assert.Equal(meta.Version, (await ws.MetadataAsync()).Version);
    }

    [Theory]
    [MemberData(nameof(ProvidersAndTemplates))]
    public async Task Sample_data_starts_with_no_overdue_task_and_at_most_one_due_on_the_first_day(string provider, string templateId)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var installedAt = DateTime.UtcNow;
        await ws.InstallAsync(templateId, withSampleData: true);

        Assert.Equal(0, await ws.Get<Crm.Core.Activities.ActivityService>().OverdueCountAsync(ws.Owner));
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var open = await db.Activities.Where(a => a.Kind == Crm.Core.Activities.ActivityKind.Task && a.CompletedAt == null).Select(a => a.DueAt).ToListAsync();
        Assert.NotEmpty(open);
        Assert.All(open, due => Assert.True(due > installedAt, $"a sample task is due {due:u}, before the install at {installedAt:u}"));
        Assert.True(open.Count(due => due < installedAt.AddDays(1)) <= 1, "more than one sample task is due on the first day");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sample_data_has_stage_history_transitions_and_activities(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var meta = await ws.MetadataAsync();
        var opportunity = meta.Entity("opportunity")!;
        var records = await db.Records.Where(r => r.EntityTypeId == opportunity.Entity.Id).ToListAsync();
        var transitions = await db.Transitions.Where(t => t.EntityTypeId == opportunity.Entity.Id).ToListAsync();

        // Every record's current stage is the target of its latest stage transition, and history is backdated.
        foreach (var r in records)
        {
            var latest = transitions.Where(t => t.RecordId == r.Id && t.Kind == TransitionKind.Stage).MaxBy(t => t.At);
            Assert.NotNull(latest);
            Assert.Equal(r.StageId, latest!.ToId);
        }
        Assert.Contains(transitions, t => t.At < DateTime.UtcNow.AddDays(-7));
        Assert.Contains(transitions, t => t.SecondsInFrom > 86400);
        Assert.True(await db.Activities.CountAsync() > 0);
        Assert.Contains(records, r => r.LastActivityAt is not null);
        // Weighted amount formula = amount × stage probability / 100.
        foreach (var r in records.Where(r => r.Amount is not null))
        {
            var values = RecordWriter.ParseValues(r.Values);
            var stage = meta.Stage(r.StageId!.Value)!.Value.Stage;
            Assert.Equal(Math.Round(r.Amount!.Value * stage.Probability / 100m, 2), values["weighted_amount"]!.GetValue<decimal>());
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Installing_without_sample_data_creates_metadata_only(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var result = await ws.InstallAsync("support_tickets", withSampleData: false);
        Assert.Equal(0, result.SampleRecords);
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(0, await db.Records.CountAsync());
        Assert.True(await db.Fields.CountAsync() > 10);
        Assert.True(await db.Reports.CountAsync() > 0);
        Assert.Equal(1, await db.Dashboards.CountAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Two_templates_sharing_entity_types_merge_into_one(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var companyBefore = (await ws.MetadataAsync()).Entity("company")!.Fields.Count;
        await ws.InstallAsync("customer_lifecycle", withSampleData: true);
        var meta = await ws.MetadataAsync();
        Assert.Single(meta.EntityTypes, e => e.Key == "company");
        var company = meta.Entity("company")!;
        Assert.True(company.Fields.Count > companyBefore);
        Assert.NotNull(company.Field("lifecycle_status"));
        Assert.Equal("lifecycle_status", company.Entity.StatusFieldKey);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_upgrade_adds_what_is_new_keeps_the_tenants_changes_and_every_record(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var current = Workspace.Catalog.Find("b2b_sales_funnel")!;
        var older = OlderVersion(current.Json);
        var installer = ws.Get<TemplateInstaller>();
        var installed = await installer.InstallAsync(ws.Owner, older, new InstallOptions(WithSampleData: true));
        Assert.True(installed.Outcome == InstallOutcome.Installed, installed.Errors.ToString());

        // The tenant renames a field and a stage, and adds a record of its own.
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var field = await db.Fields.SingleAsync(f => f.Key == "amount");
            field.Label = new LocalizedText("合同金额", "Contract value");
            var stage = await db.Stages.SingleAsync(s => s.Key == "proposal");
            stage.Label = new LocalizedText("方案报价", "Offer");
            await db.SaveChangesAsync();
            await MetadataStore.BumpVersionAsync(db);
        }
        var mine = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "我们自己的客户")));
        Assert.True(mine.Succeeded, mine.Errors.ToString());
        var recordsBefore = await AllRecordsAsync(ws);

        var plan = await installer.InstallAsync(ws.Owner, current.Document, new InstallOptions(WithSampleData: true, DryRun: true));
        Assert.Equal(InstallOutcome.DryRun, plan.Outcome);
        Assert.Contains(plan.Changes, c => c.Kind == ChangeKind.Add && c.Path == "opportunity.next_step");
        Assert.Contains(plan.Changes, c => c.Kind == ChangeKind.Add && c.Element == "stage" && c.Path.EndsWith(".negotiation"));
        Assert.Contains(plan.Changes, c => c.Kind == ChangeKind.KeepYours && c.Path == "opportunity.amount" && c.Property == "label");
        Assert.Null((await ws.MetadataAsync()).Entity("opportunity")!.Field("next_step")); // dry run changed nothing

        var upgraded = await installer.InstallAsync(ws.Owner, current.Document, new InstallOptions(WithSampleData: true));
        Assert.Equal(InstallOutcome.Upgraded, upgraded.Outcome);
        Assert.Equal(0, upgraded.SampleRecords); // samples come with the first install only

        var meta = await ws.MetadataAsync();
        var opportunity = meta.Entity("opportunity")!;
        Assert.NotNull(opportunity.Field("next_step"));
        Assert.Equal("合同金额", opportunity.Field("amount")!.Label.ZhCn);
        Assert.Equal("Offer", opportunity.DefaultPipeline!.Stage("proposal")!.Label.En);
        var stages = opportunity.Pipeline("b2b")!.Stages.Select(s => s.Key).ToList();
        Assert.Equal(["identify", "first_contact", "qualify", "proposal", "negotiation"], stages.Take(5));
        Assert.Contains(opportunity.Field("lost_reason")!.Settings.StatusList is { } list ? meta.StatusList(list)!.Options.Select(o => o.Key) : [], k => k == "no_budget");
        Assert.True(meta.EntityTypes.Count >= 3);

        var recordsAfter = await AllRecordsAsync(ws);
        Assert.Equal(recordsBefore.Count, recordsAfter.Count);
        foreach (var r in recordsBefore)
            Assert.Equal(r.Values, recordsAfter.Single(x => x.Id == r.Id).Values);

        var refusedDowngrade = await installer.InstallAsync(ws.Owner, older, new InstallOptions());
        Assert.Equal(InstallOutcome.Refused, refusedDowngrade.Outcome);
        Assert.Contains("$.version", refusedDowngrade.Errors.ByField.Keys);
    }

    /// <summary>Version 0.9.0 of a template: without one field, one stage, one lost reason and one view.</summary>
    internal static string OlderVersion(string json)
    {
        var doc = JsonNode.Parse(json)!.AsObject();
        doc["version"] = "0.9.0";
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!;
        var fields = opportunity["fields"]!.AsArray();
        fields.Remove(fields.Single(f => (string)f!["key"]! == "next_step"));
        var b2b = opportunity["pipelines"]!.AsArray().Single(p => (string)p!["key"]! == "b2b")!;
        var stages = b2b["stages"]!.AsArray();
        stages.Remove(stages.Single(s => (string)s!["key"]! == "negotiation"));
        var reasons = doc["statusLists"]!.AsArray().Single(l => (string)l!["key"]! == "lost_reasons")!["options"]!.AsArray();
        reasons.Remove(reasons.Single(o => (string)o!["key"]! == "no_budget"));
        var views = doc["views"]!.AsArray();
        views.RemoveAt(views.Count - 1);
        // Sample records that use what 0.9.0 did not have go without it.
        foreach (var sample in doc["sampleData"]!["opportunity"]!.AsArray())
        {
            var values = sample!["values"]!.AsObject();
            values.Remove("next_step");
            if (sample["pipeline"] is { } p && (string)p! != "b2b") continue;
            if ((string?)values["stage"] == "negotiation") values["stage"] = "proposal";
            if ((string?)values["lost_reason"] == "no_budget") values["lost_reason"] = "other";
            if (sample["history"] is JsonArray history)
                foreach (var step in history.Where(s => (string)s!["stage"]! == "negotiation").ToList()) history.Remove(step);
        }
        return doc.ToJsonString();
    }

    private static async Task<List<Record>> AllRecordsAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().OrderBy(r => r.Id).ToListAsync();
    }

    private static async Task<string> CountsAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return string.Join(",", await db.EntityTypes.CountAsync(), await db.Fields.CountAsync(), await db.StatusOptions.CountAsync(),
            await db.Stages.CountAsync(), await db.Views.CountAsync(), await db.Reports.CountAsync(), await db.Dashboards.CountAsync(),
            await db.Records.CountAsync(), await db.Transitions.CountAsync(), await db.Activities.CountAsync());
    }
}
