using Crm.Core.Data;
using Crm.Core.Reports;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Reports;

/// <summary>Reports that group by a JSON field leave PostgreSQL statistics on it behind, so large GROUP BYs get parallel plans.</summary>
public class JsonStatisticsTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Grouping_by_a_json_select_creates_statistics_on_postgres_and_changes_no_numbers(string provider)
    {
        await using var data = await ReportData.CreateAsync(provider, "b2b_sales_funnel");
        await data.SalesAsync();
        await using (var setup = data.Ws.Database.Factory.CreateForTenant(data.Ws.Tenant.Id))
        {
            // A select without an index slot (all text slots taken, or before a rebuild) is grouped on its JSON value.
            await setup.Fields.Where(f => f.Key == "source").ExecuteUpdateAsync(u => u.SetProperty(f => f.IndexSlot, (string?)null));
            await Crm.Core.Metadata.MetadataStore.BumpVersionAsync(setup);
        }
        var spec = new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("source"), Measure = new MeasureSpec("avg", "amount") };

        var first = await data.RunAsync("opportunity", spec);
        var second = await data.RunAsync("opportunity", spec);

        Assert.Equal(60000m, first.Value("website", "avg"));
        Assert.Equal(first.Rows.Select(r => (r.Key, r.Cells[0].Number)), second.Rows.Select(r => (r.Key, r.Cells[0].Number)));
        await using var db = data.Ws.Database.Factory.CreateForTenant(data.Ws.Tenant.Id);
        if (provider == Providers.Postgres)
        {
            var expressions = await db.Database
                .SqlQueryRaw<string>("SELECT pg_get_statisticsobjdef_expressions(oid)::text AS \"Value\" FROM pg_statistic_ext WHERE stxname = 'crm_json_source' AND stxrelid = 'records'::regclass")
                .ToListAsync();
            var definition = Assert.Single(expressions);
            Assert.Contains("field_values ->> 'source'", definition);
        }
        else Assert.False(db.Database.IsNpgsql());
    }

    [Fact]
    public void Statistics_names_fit_postgres_identifiers_and_stay_apart()
    {
        Assert.Equal("crm_json_source", JsonStatistics.NameOf("source"));
        var a = JsonStatistics.NameOf("a" + new string('x', 62));
        var b = JsonStatistics.NameOf("b" + new string('x', 62));
        var c = JsonStatistics.NameOf(new string('x', 55) + "_one");
        var d = JsonStatistics.NameOf(new string('x', 55) + "_two");
        Assert.All(new[] { a, b, c, d }, n => Assert.True(n.Length <= 63, n));
        Assert.Equal(4, new[] { a, b, c, d }.Distinct().Count());
    }
}
