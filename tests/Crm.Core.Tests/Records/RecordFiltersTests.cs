using System.Text.Json.Nodes;
using Crm.Core.Records;
using Crm.Core.Views;
using Crm.Testing;
using Record = Crm.Core.Records.Record;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Records;

/// <summary>Filters and sorts run in SQL on both databases and agree with the same rule applied in memory.</summary>
public class RecordFiltersTests
{
    private static async Task<(Workspace Ws, List<Record> All, Crm.Core.Metadata.EntityMeta Entity)> ArrangeAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var meta = await ws.MetadataAsync();
        var entity = meta.Entity("opportunity")!;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var all = await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id).ToListAsync();
        return (ws, all, entity);
    }

    private static async Task<List<Record>> QueryAsync(Workspace ws, Crm.Core.Metadata.EntityMeta entity, params FilterSpec[] filters)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var q = db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id);
        return await RecordFilters.Apply(q, entity, filters, ws.Owner.UserId, DateTime.UtcNow).ToListAsync();
    }

    private static JsonObject V(Record r) => RecordWriter.ParseValues(r.Values);

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Filters_on_json_fields_and_bound_columns_match_the_values(string provider)
    {
        var (ws, all, entity) = await ArrangeAsync(provider);
        await using var _ = ws;
        Assert.True(all.Count >= 20);

        var big = await QueryAsync(ws, entity, new FilterSpec("amount", "gte", JsonValue.Create(500000)));
        Assert.Equal(all.Count(r => r.Amount >= 500000), big.Count);
        Assert.NotEmpty(big);

        var proposal = await QueryAsync(ws, entity, new FilterSpec("stage", "eq", JsonValue.Create("proposal")));
        Assert.Equal(all.Count(r => V(r)["stage"]?.GetValue<string>() == "proposal"), proposal.Count);

        var lost = await QueryAsync(ws, entity, new FilterSpec("lost_reason", "notEmpty"));
        Assert.Equal(all.Count(r => V(r)["lost_reason"] is not null), lost.Count);
        Assert.NotEmpty(lost);

        var mine = await QueryAsync(ws, entity, new FilterSpec("$owner", "eq", JsonValue.Create("$me")));
        Assert.Equal(all.Count(r => r.OwnerId == ws.Owner.UserId), mine.Count);

        var weighted = await QueryAsync(ws, entity, new FilterSpec("weighted_amount", "gt", JsonValue.Create(100000)));
        Assert.Equal(all.Count(r => V(r)["weighted_amount"]?.GetValue<decimal>() > 100000), weighted.Count);

        var text = all.First().Title[..2];
        var contains = await QueryAsync(ws, entity, new FilterSpec("name", "contains", JsonValue.Create(text)));
        Assert.Equal(all.Count(r => (V(r)["name"]?.GetValue<string>() ?? "").Contains(text, StringComparison.OrdinalIgnoreCase)), contains.Count);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sorting_by_a_json_number_orders_in_sql(string provider)
    {
        var (ws, all, entity) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var q = db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity.Entity.Id && r.Amount != null);
        var sorted = await RecordFilters.Sort(q, entity, [new SortSpec("weighted_amount", Descending: true)]).ToListAsync();
        var values = sorted.Select(r => V(r)["weighted_amount"]?.GetValue<decimal>() ?? decimal.MinValue).ToList();
        Assert.Equal(values.OrderByDescending(v => v).ToList(), values);
    }
}
