using System.Globalization;
using Crm.Core.Metadata;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Reports;

/// <summary>Saving reports from the builder: validation with field-named localized messages, who may save what, deleting.</summary>
public class ReportServiceTests
{
    private static ReportDraft AmountByStage(string name = "商机金额 by 阶段") => new("opportunity", LocalizedText.Same(name), new ReportSpec
    {
        Type = "custom", Chart = "bar", Pipeline = "b2b", GroupBy = new GroupBySpec("stage"), Measure = new MeasureSpec("sum", "amount"),
    });

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_saves_a_shared_report_that_then_runs(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var service = ws.Get<ReportService>();

        var saved = await service.SaveAsync(ws.Owner, AmountByStage());
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        Assert.Null(saved.Report!.OwnerUserId);
        Assert.Matches("^report_[0-9a-f]{10}$", saved.Report.Key);

        var loaded = await service.GetAsync(ws.Owner, saved.Report.Key);
        Assert.Equal("商机金额 by 阶段", loaded!.Name.En);
        var result = await ws.Get<ReportEngine>().RunAsync(ws.Owner, loaded);
        Assert.Null(result.Problem);
        Assert.True(result.Rows.Sum(r => r.Cells[0].Number ?? 0) > 0);

        var renamed = await service.SaveAsync(ws.Owner, AmountByStage("Amount by stage") with { Key = loaded.Key, Spec = loaded.Spec with { Chart = "line" } });
        Assert.True(renamed.Succeeded);
        Assert.Equal("line", (await service.GetAsync(ws.Owner, loaded.Key))!.Spec.Chart);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Invalid_drafts_are_refused_field_by_field_in_the_users_language_and_nothing_is_saved(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var service = ws.Get<ReportService>();
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var before = await db.Reports.CountAsync();

        var culture = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
            var bad = await service.SaveAsync(ws.Owner, new ReportDraft("opportunity", LocalizedText.Same(" "), new ReportSpec
            {
                Type = "custom", Chart = "radar", GroupBy = new GroupBySpec("description"), Measure = new MeasureSpec("sum", "name"),
            }));
            Assert.False(bad.Succeeded);
            Assert.Equal(["chart", "groupBy", "measureField", "name"], bad.Errors.ByField.Keys.Order(StringComparer.Ordinal));
            Assert.Contains("请填写报表名称", bad.Errors.ByField["name"][0]);

            CultureInfo.CurrentUICulture = new CultureInfo("en");
            var noBucket = await service.SaveAsync(ws.Owner, AmountByStage() with { Spec = new ReportSpec { Type = "custom", GroupBy = new GroupBySpec("$createdAt"), Measure = new MeasureSpec() } });
            Assert.Equal("Choose day, week or month for a date.", noBucket.Errors.ByField["bucket"][0]);
            var noEntity = await service.SaveAsync(ws.Owner, AmountByStage() with { EntityKey = "nothing" });
            Assert.True(noEntity.Errors.ByField.ContainsKey("entity"));
        }
        finally { CultureInfo.CurrentUICulture = culture; }
        Assert.Equal(before, await db.Reports.CountAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Members_save_private_reports_viewers_save_nothing(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var service = ws.Get<ReportService>();
        var member = await ws.MemberAsync(MemberRole.Member);
        var other = await ws.MemberAsync(MemberRole.Member);
        var viewer = await ws.MemberAsync(MemberRole.Viewer);

        var mine = await service.SaveAsync(member, AmountByStage("Mine"));
        Assert.Equal(member.UserId, mine.Report!.OwnerUserId);
        Assert.NotNull(await service.GetAsync(member, mine.Report.Key));
        Assert.Null(await service.GetAsync(other, mine.Report.Key));
        Assert.DoesNotContain(await service.ListAsync(other), r => r.Key == mine.Report.Key);
        await Assert.ThrowsAsync<ForbiddenException>(() => service.SaveAsync(viewer, AmountByStage()));

        var shared = await service.SaveAsync(ws.Owner, AmountByStage("Shared"));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.SaveAsync(member, AmountByStage("Changed") with { Key = shared.Report!.Key }));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.DeleteAsync(member, shared.Report!.Key));
        Assert.True(await service.DeleteAsync(member, mine.Report.Key));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Deleting_a_report_takes_it_off_the_dashboards(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var dashboards = ws.Get<DashboardService>();
        var before = (await dashboards.GetAsync(ws.Owner))!;
        Assert.Contains(before.Widgets, w => w.ReportKey == "win_rate");

        Assert.True(await ws.Get<ReportService>().DeleteAsync(ws.Owner, "win_rate"));
        var after = (await dashboards.GetAsync(ws.Owner))!;
        Assert.DoesNotContain(after.Widgets, w => w.ReportKey == "win_rate");
        Assert.Equal(before.Widgets.Count - 1, after.Widgets.Count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_report_list_starts_with_the_funnel_then_the_other_analyses_then_custom_charts(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var service = ws.Get<ReportService>();
        Assert.True((await service.SaveAsync(ws.Owner, AmountByStage("Aaa first by name"))).Succeeded);

        var opportunity = (await ws.MetadataAsync()).Entity("opportunity")!.Entity.Id;
        var list = (await service.ListAsync(ws.Owner)).Where(r => r.EntityTypeId == opportunity).ToList();
        Assert.Equal("funnel", list[0].Spec.Type);
        Assert.Equal(["funnel", "pipelineValue", "winRate", "salesCycle", "timeInStage", "forecast", "poolActivity"], list.Select(r => r.Spec.Type).Where(t => t != ReportTypes.Custom && t != "activitiesByOwner"));
        var ranks = list.Select(r => ReportTypes.ListRank(r.Spec.Type)).ToList();
        Assert.Equal(ranks.Order(), ranks);
        var custom = list.Where(r => r.Spec.Type == ReportTypes.Custom).Select(r => r.Name.Get()).ToList();
        Assert.Equal(custom.Order(StringComparer.CurrentCulture), custom);
        Assert.Contains("Aaa first by name", custom);
        Assert.Equal(ReportTypes.Custom, list[^1].Spec.Type);
    }
}
