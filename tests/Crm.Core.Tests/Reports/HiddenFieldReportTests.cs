using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;

namespace Crm.Core.Tests.Reports;

/// <summary>
/// The report engine refuses a report that reads a field hidden from the viewer — as group-by, measure, filter (the
/// report's or the viewer's), date or a built-in's bound field — with a typed <see cref="ReportResult.HiddenField"/>
/// naming it, and computes nothing. What it does compute for a restricted viewer counts only the records they see.
/// </summary>
public class HiddenFieldReportTests
{
    private sealed record World(Workspace Ws, Actor Rep, Actor NoAmount, IReadOnlyList<Guid> RepDeals);

    /// <summary>
    /// B2B sales with sample data (owned by the workspace owner); a rep who reads only their own deals, with 成本价 and
    /// 商机来源 hidden, owning two deals; and a member from whom only the amount is hidden.
    /// </summary>
    private static async Task<World> SetUpAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var rep = await ws.MemberAsync(MemberRole.Member);
        var noAmount = await ws.MemberAsync(MemberRole.Member);
        var deals = (await ws.MetadataAsync()).Entity("opportunity")!;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            var role = new RoleDefinition { Key = "rep", Label = LocalizedText.Same("销售") };
            db.Add(role);
            db.Add(new MemberRoleAssignment { RoleId = role.Id, UserId = rep.UserId });
            db.Add(new EntityPermission
            {
                RoleId = role.Id, EntityTypeId = deals.Entity.Id, Read = DataScope.Own, Edit = DataScope.Own, Delete = DataScope.None,
                Fields = new Dictionary<string, FieldAccessLevel> { ["cost_price"] = FieldAccessLevel.Hidden, ["source"] = FieldAccessLevel.Hidden },
            });
            await db.SaveChangesAsync();
        }
        await ws.RestrictAsync(noAmount, "opportunity", new Dictionary<string, FieldAccessLevel> { ["amount"] = FieldAccessLevel.Hidden });
        var ids = new List<Guid>();
        var companyId = await CompanyAsync(ws);
        foreach (var (name, amount) in new[] { ("rep deal one", 100m), ("rep deal two", 250m) })
        {
            var created = await ws.Records.CreateAsync(ws.Owner, "opportunity", new RecordInput(new JsonObject
            {
                ["name"] = name, ["amount"] = amount, ["cost_price"] = 40, ["source"] = "referral", ["owner"] = rep.UserId.ToString(),
                ["company"] = companyId, ["expected_close"] = "2027-01-15",
            }));
            Assert.True(created.Succeeded, created.Errors.ToString());
            ids.Add(created.Record!.Id);
        }
        return new World(ws, rep, noAmount, ids);
    }

    private static async Task<string> CompanyAsync(Workspace ws)
    {
        var company = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "测试客户 " + Guid.NewGuid().ToString("N")[..6] }));
        Assert.True(company.Succeeded, company.Errors.ToString());
        return company.Record!.Id.ToString();
    }

    private static ReportSpec Custom(string? groupBy = null, string aggregate = "count", string? measure = null, params FilterSpec[] filters) => new()
    {
        Type = ReportTypes.Custom, Chart = "table", GroupBy = groupBy is null ? null : new GroupBySpec(groupBy),
        Measure = new MeasureSpec(aggregate, measure), Filters = filters.ToList(),
    };

    private static void Refused(ReportResult result, string fieldKey, string label)
    {
        Assert.NotNull(result.HiddenField);
        Assert.Equal(fieldKey, result.HiddenField!.FieldKey);
        Assert.Equal("opportunity", result.HiddenField.EntityKey);
        Assert.Equal(label, result.HiddenField.Label);
        Assert.Contains(label, result.Problem);
        Assert.Empty(result.Rows);
        Assert.Empty(result.Columns);
        Assert.Null(result.Kpi);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_custom_report_on_a_hidden_field_is_refused_naming_it_and_the_owner_still_gets_it(string provider)
    {
        var w = await SetUpAsync(provider);
        await using var _ = w.Ws;
        var engine = w.Ws.Get<ReportEngine>();
        using var culture = new CultureScope("zh-CN");

        var measure = Custom(aggregate: "sum", measure: "cost_price");
        Refused(await engine.RunAsync(w.Rep, "opportunity", measure), "cost_price", "成本价");
        Assert.Equal("无权访问字段 成本价", (await engine.RunAsync(w.Rep, "opportunity", measure)).Problem);
        var owners = await engine.RunAsync(w.Ws.Owner, "opportunity", measure);
        Assert.Null(owners.HiddenField);
        Assert.Null(owners.Problem);
        Assert.True(owners.Rows[0].Cells[0].Number >= 80);

        Refused(await engine.RunAsync(w.Rep, "opportunity", Custom(groupBy: "source")), "source", "商机来源");
        Refused(await engine.RunAsync(w.Rep, "opportunity", Custom(filters: new FilterSpec("cost_price", "gt", JsonValue.Create(10)))), "cost_price", "成本价");
        // The viewer's own filter bar on a hidden field is refused too (the API and a stale page could send one).
        var viewerFilter = new ReportFilters { Fields = [new FilterSpec("source", "in", new JsonArray(JsonValue.Create("referral")))] };
        Refused(await engine.RunAsync(w.Rep, "opportunity", Custom(), viewerFilter), "source", "商机来源");
        Assert.Null((await engine.RunAsync(w.Ws.Owner, "opportunity", Custom(), viewerFilter)).HiddenField);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Saved_and_built_in_reports_refuse_a_hidden_amount_or_formula_and_the_rest_count_only_visible_records(string provider)
    {
        var w = await SetUpAsync(provider);
        await using var _ = w.Ws;
        var engine = w.Ws.Get<ReportEngine>();
        var reports = w.Ws.Get<ReportService>();
        using var culture = new CultureScope("en");

        // The template's shipped reports: pipeline value and the forecast sum the amount; the funnel only counts.
        var pipelineValue = (await reports.GetAsync(w.NoAmount, "pipeline_value"))!;
        Refused(await engine.RunAsync(w.NoAmount, pipelineValue), "amount", "Amount");
        Refused(await engine.RunAsync(w.NoAmount, (await reports.GetAsync(w.NoAmount, "sales_forecast"))!), "amount", "Amount");
        var funnel = await engine.RunAsync(w.NoAmount, (await reports.GetAsync(w.NoAmount, "opportunity_funnel"))!);
        Assert.Null(funnel.HiddenField);
        Assert.NotEmpty(funnel.Rows);
        // 加权金额 = amount × probability: hidden with the amount, so a report summing it is refused as well.
        Refused(await engine.RunAsync(w.NoAmount, (await reports.GetAsync(w.NoAmount, "weighted_amount_by_owner"))!), "weighted_amount", "Weighted amount");

        // A shared report saved by the owner on 成本价 (a dashboard widget runs exactly this) is refused for the rep.
        var saved = await reports.SaveAsync(w.Ws.Owner, new ReportDraft("opportunity", LocalizedText.Same("Margin"), Custom(groupBy: "stage", aggregate: "sum", measure: "cost_price")));
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        Refused(await engine.RunAsync(w.Rep, saved.Report!), "cost_price", "Cost price");
        Assert.Null((await engine.RunAsync(w.Ws.Owner, saved.Report!)).HiddenField);

        // What the rep may run counts and sums only their two deals; the owner sees every deal.
        var count = await engine.RunAsync(w.Rep, "opportunity", Custom());
        Assert.Equal(2m, count.Rows[0].Cells[0].Number);
        var sum = await engine.RunAsync(w.Rep, "opportunity", Custom(aggregate: "sum", measure: "amount"));
        Assert.Equal(350m, sum.Rows[0].Cells[0].Number);
        var byStage = await engine.RunAsync(w.Rep, "opportunity", Custom(groupBy: "stage"));
        Assert.Equal(2m, byStage.Rows.Sum(r => r.Cells[0].Number ?? 0));
        var total = (await w.Ws.Get<Crm.Core.Lists.RecordListService>().QueryAsync(w.Ws.Owner, "opportunity", new Crm.Core.Lists.RecordQuery())).Total;
        Assert.True(total > 2);
        Assert.Equal((decimal)total, (await engine.RunAsync(w.Ws.Owner, "opportunity", Custom())).Rows[0].Cells[0].Number);
        var repFunnel = await engine.RunAsync(w.Rep, (await reports.GetAsync(w.Rep, "opportunity_funnel"))!);
        Assert.Equal(2m, repFunnel.Rows[0].Cells[0].Number); // both deals are at the first step or beyond
    }

    [Fact]
    public async Task Every_field_a_report_reads_is_named_for_built_ins_and_custom_reports()
    {
        await using var ws = await Workspace.CreateAsync(Providers.Sqlite);
        await ws.InstallAsync("b2b_sales_funnel");
        var metadata = await ws.MetadataAsync();
        var entity = metadata.Entity("opportunity")!;
        var used = ReportFieldUse.Of(metadata, entity, new ReportSpec { Type = "forecast" }, ReportFilters.None).Select(x => x.Field).ToList();
        Assert.Equal(["$stage", "$amount", "$closeDate"], used);
        var custom = ReportFieldUse.Of(metadata, entity, Custom("source", "sum", "amount", new FilterSpec("competitor", "eq", JsonValue.Create("x"))),
            new ReportFilters { OwnerId = Guid.NewGuid() }).Select(x => x.Field).ToList();
        Assert.Equal(["competitor", "$owner", "source", "amount"], custom);
    }

    /// <summary>Sets the UI culture for a test (labels and messages) and puts the previous one back.</summary>
    private sealed class CultureScope : IDisposable
    {
        private readonly CultureInfo _previous = CultureInfo.CurrentUICulture;
        public CultureScope(string name) => CultureInfo.CurrentUICulture = new CultureInfo(name);
        public void Dispose() => CultureInfo.CurrentUICulture = _previous;
    }
}
