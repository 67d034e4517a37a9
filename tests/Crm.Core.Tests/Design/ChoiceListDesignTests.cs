using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Design;

/// <summary>Status lists and pipelines: add, rename, recolour, reorder, probability and won/lost; deleting what records use.</summary>
public class ChoiceListDesignTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_status_list_is_edited_and_a_new_one_created(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("customer_lifecycle");
        var draft = StatusListDraft.From((await ws.MetadataAsync()).StatusList("customer_status")!);
        var vip = draft.AddOption(new LocalizedText("重点维护", "Key account"), "retained");
        vip.Color = "#f783ac";
        draft.Options.Remove(vip);
        draft.Options.Insert(0, vip);
        draft.Options.First(o => o.Key == "new").Label = new LocalizedText("新线索", "New lead");
        draft.Options.First(o => o.Key == "churned").Color = "#000000";
        draft.Options.First(o => o.Key == "signing").IsArchived = true;
        draft.AddGroup(new LocalizedText("暂停", "Paused"));

        var result = await ws.Designer().SaveStatusListAsync(ws.Owner, draft);

        Assert.True(result.Succeeded, result.Errors.ToString());
        var list = (await ws.MetadataAsync()).StatusList("customer_status")!;
        Assert.Equal("key_account", list.Options[0].Key);
        Assert.Equal("retained", list.Options[0].GroupKey);
        Assert.Equal("#f783ac", list.Options[0].Color);
        Assert.Equal("新线索", list.Option("new")!.Label.ZhCn);
        Assert.Equal("#000000", list.Option("churned")!.Color);
        Assert.True(list.Option("signing")!.IsArchived);
        Assert.DoesNotContain(list.Options, o => o.Key == "signing");
        Assert.Contains(list.List.Groups, g => g.Key == "paused");

        var fresh = StatusListDraft.Create(new LocalizedText("工单优先级", "Ticket priority"), [list.Key]);
        fresh.AddOption(new LocalizedText("紧急", "Urgent"));
        Assert.True((await ws.Designer().SaveStatusListAsync(ws.Owner, fresh)).Succeeded);
        Assert.Equal(["urgent"], (await ws.MetadataAsync()).StatusList("ticket_priority")!.Options.Select(o => o.Key));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Deleting_a_status_in_use_moves_its_records_with_transitions(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("customer_lifecycle", withSampleData: true);
        var meta = await ws.MetadataAsync();
        var list = meta.StatusList("customer_status")!;
        var churned = (await ws.RecordsAsync("company")).Where(r => r.Text("lifecycle_status") == "churned").ToList();
        Assert.NotEmpty(churned);
        Assert.Equal(churned.Count, await ws.Designer().CountStatusUsageAsync(ws.Owner, "customer_status", "churned"));
        var draft = StatusListDraft.From(list);
        draft.Options.RemoveAll(o => o.Key == "churned");

        var refused = await ws.Designer().SaveStatusListAsync(ws.Owner, draft);
        Assert.NotEmpty(refused.Errors.For("options"));
        Assert.NotNull((await ws.MetadataAsync()).StatusList("customer_status")!.Option("churned"));

        draft.Moves["churned"] = "churn_risk";
        var moved = await ws.Designer().SaveStatusListAsync(ws.Owner, draft);

        Assert.True(moved.Succeeded, moved.Errors.ToString());
        Assert.Equal(churned.Count, moved.RecordsChanged);
        var after = await ws.MetadataAsync();
        var risk = after.StatusList("customer_status")!.Option("churn_risk")!;
        foreach (var before in churned)
        {
            var record = await ws.RecordAsync(before.Id);
            Assert.Equal("churn_risk", record.Text("lifecycle_status"));
            Assert.Equal(risk.Id, record.StatusOptionId);
            Assert.Equal(before.Version + 1, record.Version);
            var last = (await ws.TransitionsAsync(before.Id)).Last();
            Assert.Equal((TransitionKind.Status, before.StatusOptionId, risk.Id), (last.Kind, last.FromId, last.ToId));
        }
        // Transitions still name the old status, so it stays for history, hidden from every list.
        var kept = after.StatusList("customer_status")!.Option("churned");
        Assert.True(kept is null || kept.IsArchived);
        Assert.DoesNotContain(after.StatusList("customer_status")!.Options, o => o.Key == "churned");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_pipeline_gets_stages_added_renamed_reordered_with_probability_and_kind(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var draft = PipelineDraft.From((await ws.MetadataAsync()).Entity("opportunity")!.Pipeline("b2b")!);
        var demo = draft.AddStage(new LocalizedText("产品演示", "Demo"));
        demo.Probability = 35;
        demo.StaleAfterDays = 14;
        draft.Stages.Remove(demo);
        draft.Stages.Insert(3, demo);
        var proposal = draft.Stages.First(s => s.Key == "proposal");
        proposal.Label = new LocalizedText("方案报价", "Proposal & quote");
        proposal.Color = "#9775fa";
        proposal.Probability = 45;
        draft.Stages.First(s => s.Key == "after_sales").Kind = StageKind.Open;

        var result = await ws.Designer().SavePipelineAsync(ws.Owner, "opportunity", draft);

        Assert.True(result.Succeeded, result.Errors.ToString());
        var pipeline = (await ws.MetadataAsync()).Entity("opportunity")!.Pipeline("b2b")!;
        Assert.Equal(["identify", "first_contact", "qualify", "demo", "proposal"], pipeline.Stages.Take(5).Select(s => s.Key));
        Assert.Equal((35, 14), (pipeline.Stage("demo")!.Probability, pipeline.Stage("demo")!.StaleAfterDays));
        Assert.Equal(("方案报价", "#9775fa", 45), (pipeline.Stage("proposal")!.Label.ZhCn, pipeline.Stage("proposal")!.Color, pipeline.Stage("proposal")!.Probability));
        Assert.Equal(StageKind.Open, pipeline.Stage("after_sales")!.Kind);

        var invalid = PipelineDraft.From(pipeline);
        invalid.Stages[0].Probability = 120;
        var refused = await ws.Designer().SavePipelineAsync(ws.Owner, "opportunity", invalid);
        Assert.NotEmpty(refused.Errors.For("stages/identify/probability"));

        var created = PipelineDraft.Create(new LocalizedText("续约", "Renewals"), ["b2b", "demo_quote"]);
        created.IsDefault = true;
        Assert.True((await ws.Designer().SavePipelineAsync(ws.Owner, "opportunity", created)).Succeeded);
        var entity = (await ws.MetadataAsync()).Entity("opportunity")!;
        Assert.Equal("renewals", entity.DefaultPipeline!.Key);
        Assert.Equal([StageKind.Open, StageKind.Won, StageKind.Lost], entity.Pipeline("renewals")!.Stages.Select(s => s.Kind));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Deleting_a_stage_in_use_moves_its_deals_and_appends_transitions(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var pipeline = (await ws.MetadataAsync()).Entity("opportunity")!.Pipeline("b2b")!;
        var qualify = pipeline.Stage("qualify")!;
        var proposal = pipeline.Stage("proposal")!;
        List<Record> inQualify;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            inQualify = await db.Records.AsNoTracking().Where(r => r.StageId == qualify.Id).ToListAsync();
        Assert.NotEmpty(inQualify);
        Assert.Equal(inQualify.Count, await ws.Designer().CountStageUsageAsync(ws.Owner, "opportunity", "b2b", "qualify"));
        var draft = PipelineDraft.From(pipeline);
        draft.Stages.RemoveAll(s => s.Key == "qualify");

        Assert.NotEmpty((await ws.Designer().SavePipelineAsync(ws.Owner, "opportunity", draft)).Errors.For("stages"));

        draft.Moves["qualify"] = "proposal";
        var result = await ws.Designer().SavePipelineAsync(ws.Owner, "opportunity", draft);

        Assert.True(result.Succeeded, result.Errors.ToString());
        foreach (var before in inQualify)
        {
            var after = await ws.RecordAsync(before.Id);
            Assert.Equal(proposal.Id, after.StageId);
            Assert.Equal("proposal", after.Text("stage"));
            Assert.Equal(before.Version + 1, after.Version);
            // The weighted amount follows the new stage's probability.
            Assert.Equal(Math.Round(before.Amount!.Value * proposal.Probability / 100m, 2), after.Values()["weighted_amount"]!.GetValue<decimal>());
            var last = (await ws.TransitionsAsync(before.Id)).Last();
            Assert.Equal((TransitionKind.Stage, qualify.Id, proposal.Id), (last.Kind, last.FromId, last.ToId));
        }
        Assert.DoesNotContain((await ws.MetadataAsync()).Entity("opportunity")!.Pipeline("b2b")!.Stages, s => s.Key == "qualify");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_unused_status_is_deleted_outright(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var draft = StatusListDraft.From((await ws.MetadataAsync()).StatusList("lost_reasons")!);
        draft.Options.RemoveAll(o => o.Key == "other");

        Assert.True((await ws.Designer().SaveStatusListAsync(ws.Owner, draft)).Succeeded);

        Assert.Null((await ws.MetadataAsync()).StatusList("lost_reasons")!.Option("other"));
    }
}
