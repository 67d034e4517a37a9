using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Records;

/// <summary>Record writes: validation against the compiled schema with field-named, localized errors; unique values per
/// tenant; transitions; auto-numbers; formulas; optimistic concurrency; permissions.</summary>
public class RecordServiceTests
{
    private static async Task<Workspace> B2bAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        return ws;
    }

    private static async Task<Record> CompanyAsync(Workspace ws, string name)
    {
        var r = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", name)));
        Assert.True(r.Succeeded, r.Errors.ToString());
        return r.Record!;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Values_of_the_wrong_type_out_of_range_or_missing_are_refused_by_field_in_the_users_language(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo("en");
            var en = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("amount", "lots"), ("expected_close", "next week"), ("stage", "nowhere")));
            Assert.False(en.Succeeded);
            Assert.True(en.Errors.For("amount").Count == 1, en.Errors.ToString());
            Assert.True(en.Errors.For("name").Count == 1, en.Errors.ToString());
            Assert.Contains("Opportunity name", en.Errors.For("name").Single());  // required, named by its label
            Assert.Contains("number", en.Errors.For("amount").Single());
            Assert.Contains("date", en.Errors.For("expected_close").Single());
            Assert.NotEmpty(en.Errors.For("stage"));

            CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
            var zh = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "X"), ("amount", -5), ("unknown_field", 1)));
            Assert.False(zh.Succeeded);
            Assert.Contains("不能小于", zh.Errors.For("amount").Single());
            Assert.NotEmpty(zh.Errors.For("unknown_field"));
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(0, await db.Records.CountAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Every_field_type_accepts_its_own_values_and_normalizes_them(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("marketing_campaigns");
        var result = await ws.Records.CreateAsync(ws.Owner, "campaign", RecordInput.Of(
            ("name", "  秋季发布会  "), ("channel", "exhibition"), ("campaign_status", "planned"), ("cost", "12,000.50"), ("revenue", 48000), ("start_date", "2026/9/1"), ("end_date", "2026-09-30")));
        Assert.True(result.Succeeded, result.Errors.ToString());
        var v = RecordWriter.ParseValues(result.Record!.Values);
        Assert.Equal("秋季发布会", v["name"]!.GetValue<string>());
        Assert.Equal(12000.50m, v["cost"]!.GetValue<decimal>());
        Assert.Equal("2026-09-01", v["start_date"]!.GetValue<string>());
        // ROI formula = (revenue - cost) / cost * 100
        Assert.Equal(Math.Round((48000m - 12000.50m) / 12000.50m * 100m, 1), v["roi"]!.GetValue<decimal>()); // the field has 1 decimal
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Unique_fields_are_unique_within_a_workspace_only(string provider)
    {
        await using var ws = await B2bAsync(provider);
        await CompanyAsync(ws, "华为");
        var twice = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "华为")));
        Assert.False(twice.Succeeded);
        Assert.NotEmpty(twice.Errors.For("name"));

        await using var other = await B2bAsync(provider);
        await CompanyAsync(other, "华为"); // another workspace may have the same name
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Stage_changes_append_transitions_and_autonumbers_count_up(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var company = await CompanyAsync(ws, "Acme");
        var created = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "Deal"), ("company", company.Id.ToString()), ("amount", 1000), ("expected_close", "2026-12-31")));
        Assert.True(created.Succeeded, created.Errors.ToString());
        var second = await ws.Records.CreateAsync(ws.Owner, "opportunity", RecordInput.Of(("name", "Deal 2"), ("company", company.Id.ToString()), ("amount", 5), ("expected_close", "2026-12-31")));
        var meta = await ws.MetadataAsync();
        var entity = meta.Entity("opportunity")!;
        var code = entity.Fields.Single(f => f.Type == "autonumber").Key;
        var first = RecordWriter.ParseValues(created.Record!.Values)[code]!.GetValue<string>();
        var next = RecordWriter.ParseValues(second.Record!.Values)[code]!.GetValue<string>();
        Assert.NotEqual(first, next);
        Assert.EndsWith("1", first);
        Assert.EndsWith("2", next);
        Assert.Equal(entity.DefaultPipeline!.FirstOpenStage!.Id, created.Record.StageId);

        var moved = await ws.Records.UpdateAsync(ws.Owner, created.Record.Id, RecordInput.Of(("stage", "qualify")) with { ExpectedVersion = created.Record.Version });
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var transitions = await db.Transitions.Where(t => t.RecordId == created.Record.Id).OrderBy(t => t.At).ToListAsync();
        Assert.Equal(2, transitions.Count);
        Assert.Null(transitions[0].FromId);
        Assert.Equal(transitions[0].ToId, transitions[1].FromId);
        Assert.Equal(entity.DefaultPipeline.Stage("qualify")!.Id, transitions[1].ToId);
        Assert.Equal(1000m, transitions[1].Amount);
        var changes = await db.RecordChanges.Where(c => c.RecordId == created.Record.Id).OrderBy(c => c.At).ToListAsync();
        Assert.Equal(2, changes.Count);
        Assert.Contains("\"qualify\"", changes[1].Changes);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_second_save_based_on_an_old_version_is_a_conflict_not_an_overwrite(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var record = await CompanyAsync(ws, "Old name");
        var first = await ws.Records.UpdateAsync(ws.Owner, record.Id, RecordInput.Of(("name", "Alice's name")) with { ExpectedVersion = record.Version });
        Assert.True(first.Succeeded);
        var second = await ws.Records.UpdateAsync(ws.Owner, record.Id, RecordInput.Of(("name", "Bob's name")) with { ExpectedVersion = record.Version });
        Assert.False(second.Succeeded);
        Assert.NotNull(second.Conflict);
        Assert.Equal("Alice's name", RecordWriter.ParseValues(second.Conflict!.Values)["name"]!.GetValue<string>());
        Assert.Equal("Alice's name", (await ws.Records.GetAsync(ws.Owner, record.Id))!.Title);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Viewers_cannot_write_and_lookups_of_another_workspace_are_refused(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.CreateAsync(viewer, "company", RecordInput.Of(("name", "X"))));

        await using var other = await B2bAsync(provider);
        var foreign = await CompanyAsync(other, "Theirs");
        var result = await ws.Records.CreateAsync(ws.Owner, "contact", RecordInput.Of(("name", "Li"), ("company", foreign.Id.ToString())));
        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors.For("company"));

        var outsider = (await other.MemberAsync(MemberRole.Member)).UserId;
        var owned = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "Y"), ("owner", outsider.ToString())));
        Assert.False(owned.Succeeded);
        Assert.NotEmpty(owned.Errors.For("owner"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Deleting_a_record_clears_lookups_that_pointed_at_it(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var company = await CompanyAsync(ws, "Gone Ltd");
        var contact = await ws.Records.CreateAsync(ws.Owner, "contact", RecordInput.Of(("name", "Wang"), ("company", company.Id.ToString())));
        Assert.True(contact.Succeeded, contact.Errors.ToString());
        Assert.Equal(1, await ws.Records.DeleteAsync(ws.Owner, [company.Id]));
        var after = await ws.Records.GetAsync(ws.Owner, contact.Record!.Id);
        Assert.Null(RecordWriter.ParseValues(after!.Values)["company"]);
        Assert.True(after.Version > contact.Record.Version);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_schema_of_an_entity_type_lists_its_fields_and_rules(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var schema = (await ws.MetadataAsync()).Entity("opportunity")!.Schema;
        var json = JsonNode.Parse(schema.ToJson())!;
        Assert.False(json["additionalProperties"]!.GetValue<bool>());
        Assert.Contains("name", json["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("money", json["properties"]!["amount"]!["x-field-type"]!.GetValue<string>());
        Assert.Contains("proposal", json["properties"]!["stage"]!["enum"]!.AsArray().Select(n => n?.GetValue<string>()));
    }
}
