using Crm.Core.Records;
using Crm.Core.Tests.Design;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Records;

/// <summary>
/// Unique fields hold under concurrency on both databases: the unique value index decides, not a read before the
/// insert. The B2B template's customer name is unique.
/// </summary>
public class UniqueValueTests
{
    private static async Task<Workspace> B2bAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        return ws;
    }

    private static async Task<int> CompaniesNamedAsync(Workspace ws, string name)
    {
        var entity = (await ws.MetadataAsync()).Entity("company")!.Entity.Id;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var names = await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entity).Select(r => r.Title).ToListAsync();
        return names.Count(n => n == name);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Twenty_parallel_creates_with_one_value_make_exactly_one_record_and_nineteen_field_errors(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        var name = "Racing " + Guid.NewGuid().ToString("N")[..8];

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
            ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", name))))));

        Assert.Single(results, r => r.Succeeded);
        var refused = results.Where(r => !r.Succeeded).ToList();
        Assert.Equal(19, refused.Count);
        foreach (var r in refused)
        {
            var message = Assert.Single(r.Errors.For("name"));
            Assert.Contains("already exists", message);
            Assert.Contains(name, message);
        }
        Assert.Equal(1, await CompaniesNamedAsync(ws, name));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Parallel_updates_to_one_value_let_exactly_one_record_take_it(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        var ids = new List<Guid>();
        for (var i = 0; i < 6; i++) ids.Add((await ws.CreateAsync("company", ("name", $"Start {i}"))).Id);

        var results = await Task.WhenAll(ids.Select(id => Task.Run(() =>
            ws.Records.UpdateAsync(ws.Owner, id, RecordInput.Of(("name", "Same name"))))));

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Contains("already exists", Assert.Single(r.Errors.For("name"))));
        Assert.Equal(1, await CompaniesNamedAsync(ws, "Same name"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_update_to_a_taken_value_is_refused_a_changed_value_is_freed_and_a_delete_frees_the_value(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        var first = await ws.CreateAsync("company", ("name", "Alpha"));
        var second = await ws.CreateAsync("company", ("name", "Beta"));

        var taken = await ws.Records.UpdateAsync(ws.Owner, second.Id, RecordInput.Of(("name", "Alpha")));
        Assert.False(taken.Succeeded);
        Assert.Contains("Alpha", Assert.Single(taken.Errors.For("name")));

        // Renaming frees the old value at once.
        Assert.True((await ws.Records.UpdateAsync(ws.Owner, first.Id, RecordInput.Of(("name", "Alpha 2")))).Succeeded);
        Assert.True((await ws.Records.UpdateAsync(ws.Owner, second.Id, RecordInput.Of(("name", "Alpha")))).Succeeded);

        // Deleting frees it too (the unique value rows go with the record).
        Assert.False((await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Alpha")))).Succeeded);
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [second.Id]));
        var again = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Alpha")));
        Assert.True(again.Succeeded, again.Errors.ToString());

        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(2, await db.UniqueValues.CountAsync()); // "Alpha 2" and the new "Alpha"
        Assert.False(await db.UniqueValues.AnyAsync(u => u.RecordId == second.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Turning_unique_on_with_duplicates_is_reported_and_once_distinct_it_is_enforced(string provider)
    {
        DesignTestKit.English();
        await using var ws = await B2bAsync(provider);
        await ws.CreateAsync("company", ("name", "A"), ("city", "上海"));
        var b = await ws.CreateAsync("company", ("name", "B"), ("city", "上海"));
        await ws.CreateAsync("company", ("name", "C"), ("city", "北京"));

        var draft = await ws.DraftAsync("company");
        draft.Field("city")!.Settings = draft.Field("city")!.Settings with { Unique = true };
        var refused = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.False(refused.Succeeded);
        var message = Assert.Single(refused.Errors.For("fields/city/unique"));
        Assert.Contains("上海", message);
        Assert.Contains("2 records", message);
        Assert.False((await ws.MetadataAsync()).Entity("company")!.Field("city")!.Settings.Unique);

        Assert.True((await ws.Records.UpdateAsync(ws.Owner, b.Id, RecordInput.Of(("city", "广州")))).Succeeded);
        draft = await ws.DraftAsync("company");
        draft.Field("city")!.Settings = draft.Field("city")!.Settings with { Unique = true };
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        var duplicate = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "D"), ("city", "北京")));
        Assert.False(duplicate.Succeeded);
        Assert.Contains("北京", Assert.Single(duplicate.Errors.For("city")));
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            Assert.Equal(3, await db.UniqueValues.CountAsync(u => u.FieldKey == "city"));

        // Off again: the rows go, the value may repeat.
        draft = await ws.DraftAsync("company");
        draft.Field("city")!.Settings = draft.Field("city")!.Settings with { Unique = false };
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        Assert.True((await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "D"), ("city", "北京")))).Succeeded);
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            Assert.Equal(0, await db.UniqueValues.CountAsync(u => u.FieldKey == "city"));
    }

    [Fact]
    public void Numbers_are_unique_by_value_and_text_by_its_exact_characters()
    {
        Assert.Equal(RecordUniqueValue.KeyOf(System.Text.Json.Nodes.JsonValue.Create(5m)), RecordUniqueValue.KeyOf(System.Text.Json.Nodes.JsonValue.Create(5.00m)));
        Assert.NotEqual(RecordUniqueValue.KeyOf(System.Text.Json.Nodes.JsonValue.Create(5m)), RecordUniqueValue.KeyOf(System.Text.Json.Nodes.JsonValue.Create("5")));
        Assert.NotEqual(RecordUniqueValue.KeyOf(System.Text.Json.Nodes.JsonValue.Create("Acme")), RecordUniqueValue.KeyOf(System.Text.Json.Nodes.JsonValue.Create("acme")));
        Assert.Null(RecordUniqueValue.KeyOf(null));
        Assert.Equal(64, RecordUniqueValue.KeyOf(System.Text.Json.Nodes.JsonValue.Create(new string('长', 5000)))!.Length);
    }
}
