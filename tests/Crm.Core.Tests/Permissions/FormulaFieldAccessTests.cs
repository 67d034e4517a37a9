using System.Text.Json.Nodes;
using Crm.Core.Boards;
using Crm.Core.Lists;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Crm.Core.Timeline;
using Crm.Testing;

namespace Crm.Core.Tests.Permissions;

/// <summary>
/// A formula computed from a hidden field is hidden too, in the field-access resolution itself, so every surface
/// that asks the field view follows: 加权金额 (amount × stage probability) is hidden from whoever may not see the
/// amount or the stage, and stays visible to someone from whom only 成本价 is hidden.
/// </summary>
public class FormulaFieldAccessTests
{
    private static EntityAccess Access(params (string Key, FieldAccessLevel Level)[] fields) => new()
    {
        EntityTypeId = Guid.NewGuid(), UserId = Guid.NewGuid(), Unrestricted = false, CanCreate = true,
        Read = ScopeGrant.All, Edit = ScopeGrant.All, Delete = ScopeGrant.All, DepartmentIds = [],
        Fields = fields.ToDictionary(f => f.Key, f => f.Level),
    };

    private static async Task<string> CompanyAsync(Workspace ws)
    {
        var company = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "测试客户 " + Guid.NewGuid().ToString("N")[..6] }));
        Assert.True(company.Succeeded, company.Errors.ToString());
        return company.Record!.Id.ToString();
    }

    [Fact]
    public void Hiding_follows_formulas_transitively_and_through_the_stage_probability()
    {
        FormulaDependency[] formulas =
        [
            FormulaAccess.Of("margin", "amount - cost"),
            FormulaAccess.Of("margin_rate", "margin / amount * 100"),
            FormulaAccess.Of("weighted", "amount * stage.probability / 100"),
            FormulaAccess.Of("doubled", "quantity * 2"),
            FormulaAccess.Of("broken", "amount * ("),
        ];
        var byCost = FormulaAccess.HideDependents(Access(("cost", FieldAccessLevel.Hidden)), formulas, "stage");
        Assert.Equal(["cost", "margin", "margin_rate"], byCost.HiddenFields.Order());
        var byStage = FormulaAccess.HideDependents(Access(("stage", FieldAccessLevel.Hidden)), formulas, "stage");
        Assert.Equal(["stage", "weighted"], byStage.HiddenFields.Order());
        // Read-only inputs leave formulas as they are; nothing hidden: the very same access comes back.
        var readOnly = Access(("cost", FieldAccessLevel.ReadOnly));
        Assert.Same(readOnly, FormulaAccess.HideDependents(readOnly, formulas, "stage"));
        var byAmount = FormulaAccess.HideDependents(Access(("amount", FieldAccessLevel.Hidden), ("cost", FieldAccessLevel.ReadOnly)), formulas, "stage");
        Assert.Equal(["amount", "margin", "margin_rate", "weighted"], byAmount.HiddenFields.Order());
        Assert.Equal(FieldAccessLevel.ReadOnly, byAmount.Field("cost"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Weighted_amount_is_hidden_on_every_surface_from_whoever_may_not_see_the_amount_or_the_stage(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var noAmount = await ws.MemberAsync(MemberRole.Member);
        var noStage = await ws.MemberAsync(MemberRole.Member);
        var noCost = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(noAmount, "opportunity", new Dictionary<string, FieldAccessLevel> { ["amount"] = FieldAccessLevel.Hidden });
        await ws.RestrictAsync(noStage, "opportunity", new Dictionary<string, FieldAccessLevel> { ["stage"] = FieldAccessLevel.Hidden });
        await ws.RestrictAsync(noCost, "opportunity", new Dictionary<string, FieldAccessLevel> { ["cost_price"] = FieldAccessLevel.Hidden });
        var deals = (await ws.MetadataAsync()).Entity("opportunity")!;
        var resolver = ws.Get<IAccessResolver>();

        Assert.False((await resolver.FieldViewAsync(noAmount, deals)).CanSee("weighted_amount"));
        Assert.False((await resolver.FieldViewAsync(noStage, deals)).CanSee("weighted_amount"));
        Assert.True((await resolver.FieldViewAsync(noCost, deals)).CanSee("weighted_amount"));
        Assert.True((await resolver.FieldViewAsync(ws.Owner, deals)).CanSee("weighted_amount"));

        var created = await ws.Records.CreateAsync(ws.Owner, "opportunity", new RecordInput(new JsonObject
        {
            ["name"] = "formula deal", ["amount"] = 1000, ["company"] = await CompanyAsync(ws), ["expected_close"] = "2027-01-15",
        }));
        Assert.True(created.Succeeded, created.Errors.ToString());
        var id = created.Record!.Id;

        // Lists, the API's JSON (the same list values), boards and the JSON schema.
        var lists = ws.Get<RecordListService>();
        var query = new RecordQuery { Take = 500 };
        Assert.All((await lists.QueryAsync(noAmount, "opportunity", query)).Items, i => Assert.False(i.Values.ContainsKey("weighted_amount")));
        Assert.All((await lists.QueryAsync(noStage, "opportunity", query)).Items, i => Assert.False(i.Values.ContainsKey("weighted_amount")));
        Assert.Contains((await lists.QueryAsync(noCost, "opportunity", query)).Items, i => i.Values["weighted_amount"] is not null);
        var board = (await ws.Get<BoardService>().LoadAsync(noAmount, new BoardRequest("opportunity") { CardFields = ["weighted_amount"] }))!;
        Assert.All(board.Columns.SelectMany(c => c.Cards), c => Assert.False(c.Values.ContainsKey("weighted_amount")));
        var schema = RecordSchemaCompiler.Compile(deals, fields: await resolver.FieldViewAsync(noAmount, deals)).ToJson();
        Assert.DoesNotContain("weighted_amount", schema);
        Assert.Contains("weighted_amount", RecordSchemaCompiler.Compile(deals, fields: await resolver.FieldViewAsync(noCost, deals)).ToJson());

        // The timeline: the owner raises the amount (the weighted amount follows); whoever may not see the amount
        // does not learn the new weighted amount from the change entries.
        var moved = await ws.Records.UpdateAsync(ws.Owner, id, RecordInput.Of(("amount", 2000)));
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        var timeline = ws.Get<RecordTimeline>();
        var changed = (await timeline.GetAsync(ws.Owner, id)).Entries.SelectMany(e => e.Changes ?? []).Select(c => c.FieldKey).ToList();
        Assert.Contains("weighted_amount", changed);
        Assert.DoesNotContain("weighted_amount", (await timeline.GetAsync(noAmount, id)).Entries.SelectMany(e => e.Changes ?? []).Select(c => c.FieldKey));

        // Hidden is not frozen: a write by someone who cannot see it still recomputes it.
        var stored = await ws.Records.GetAsync(ws.Owner, id);
        var before = RecordWriter.ParseValues(stored!.Values)["weighted_amount"]!.GetValue<decimal>();
        var rewrite = await ws.Records.UpdateAsync(noAmount, id, RecordInput.Of(("stage", "negotiation")));
        Assert.True(rewrite.Succeeded, rewrite.Errors.ToString());
        var after = RecordWriter.ParseValues((await ws.Records.GetAsync(ws.Owner, id))!.Values)["weighted_amount"]!.GetValue<decimal>();
        Assert.True(after > before, $"weighted amount {before} → {after}");
    }
}
