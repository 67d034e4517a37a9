using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Lists;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Permissions;

/// <summary>
/// The server refuses writes of fields a member may not change (read-only: 城市 / City; hidden: 地址 / Address of
/// a company), keeps their stored values on a full replace, and gives them their defaults on create.
/// </summary>
public class FieldAccessWriteTests
{
    private static readonly Dictionary<string, FieldAccessLevel> Rules = new() { ["city"] = FieldAccessLevel.ReadOnly, ["address"] = FieldAccessLevel.Hidden };

    private static async Task<(Workspace Ws, Actor Rep, Record Company)> SetUpAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var rep = await ws.MemberAsync(MemberRole.Member);
        var created = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "华东贸易"), ("city", "上海"), ("address", "浦东新区 1 号"), ("notes", "老客户")));
        Assert.True(created.Succeeded, created.Errors.ToString());
        await ws.RestrictAsync(rep, "company", Rules);
        return (ws, rep, created.Record!);
    }

    private static JsonObject Values(Record r) => RecordWriter.ParseValues(r.Values);

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Changing_a_read_only_or_hidden_field_is_refused_naming_the_field_in_the_users_language(string provider)
    {
        var (ws, rep, company) = await SetUpAsync(provider);
        await using var _ = ws;
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo("en");
            var en = await ws.Records.UpdateAsync(rep, company.Id, RecordInput.Of(("city", "北京"), ("address", "朝阳区"), ("notes", "改了")));
            Assert.False(en.Succeeded);
            Assert.Equal("You cannot change “City”: the field is read-only for you.", Assert.Single(en.Errors.For("city")));
            Assert.Equal("You cannot change “Address”: you have no access to this field.", Assert.Single(en.Errors.For("address")));
            Assert.Empty(en.Errors.For("notes"));

            CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
            var zh = await ws.Records.UpdateAsync(rep, company.Id, RecordInput.Of(("city", "北京")));
            Assert.Equal("您不能修改“城市”：该字段对您只读。", Assert.Single(zh.Errors.For("city")));
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }

        // Nothing was written; the owner (unrestricted) may change both.
        var stored = Values((await ws.Records.GetAsync(ws.Owner, company.Id))!);
        Assert.Equal("上海", stored["city"]!.GetValue<string>());
        Assert.Equal("老客户", stored["notes"]!.GetValue<string>());
        var owner = await ws.Records.UpdateAsync(ws.Owner, company.Id, RecordInput.Of(("city", "北京"), ("address", "朝阳区")));
        Assert.True(owner.Succeeded, owner.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_full_replace_keeps_hidden_and_read_only_values_and_accepts_the_unchanged_read_only_value(string provider)
    {
        var (ws, rep, company) = await SetUpAsync(provider);
        await using var _ = ws;

        // What the rep read (no address), sent back whole with one change and the unchanged read-only city.
        var put = await ws.Records.UpdateAsync(rep, company.Id, new RecordInput(new JsonObject { ["name"] = "华东贸易", ["city"] = "上海", ["notes"] = "续约" }) { ReplaceAll = true });
        Assert.True(put.Succeeded, put.Errors.ToString());
        var after = Values(put.Record!);
        Assert.Equal("浦东新区 1 号", after["address"]!.GetValue<string>());
        Assert.Equal("上海", after["city"]!.GetValue<string>());
        Assert.Equal("续约", after["notes"]!.GetValue<string>());

        // Leaving the read-only field out of a replace does not clear it either.
        var without = await ws.Records.UpdateAsync(rep, company.Id, new RecordInput(new JsonObject { ["name"] = "华东贸易" }) { ReplaceAll = true });
        Assert.True(without.Succeeded, without.Errors.ToString());
        Assert.Equal("上海", Values(without.Record!)["city"]!.GetValue<string>());
        Assert.Equal("浦东新区 1 号", Values(without.Record!)["address"]!.GetValue<string>());
        Assert.Null(Values(without.Record!)["notes"]); // the rep may clear what they may edit
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_new_record_gets_defaults_for_fields_the_member_may_not_write(string provider)
    {
        var (ws, rep, _) = await SetUpAsync(provider);
        await using var __ = ws;

        var refused = await ws.Records.CreateAsync(rep, "company", RecordInput.Of(("name", "华南实业"), ("city", "广州"), ("address", "天河区")));
        Assert.False(refused.Succeeded);
        Assert.NotEmpty(refused.Errors.For("city"));
        Assert.NotEmpty(refused.Errors.For("address"));

        var created = await ws.Records.CreateAsync(rep, "company", RecordInput.Of(("name", "华南实业"), ("city", null)));
        Assert.True(created.Succeeded, created.Errors.ToString());
        Assert.Null(Values(created.Record!)["city"]);
        Assert.Null(Values(created.Record!)["address"]);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Bulk_edit_refuses_a_read_only_field_and_rights_are_read_at_each_write(string provider)
    {
        var (ws, rep, company) = await SetUpAsync(provider);
        await using var _ = ws;
        var bulk = ws.Get<BulkRecordService>();

        var refused = await bulk.EditAsync(rep, "company", [company.Id], "city", JsonValue.Create("北京"));
        Assert.False(refused.Succeeded);
        Assert.Contains("城市", refused.Error ?? "", StringComparison.Ordinal); // the label, in the (default) culture of the test
        Assert.False((await bulk.EditAsync(rep, "company", [company.Id], "address", JsonValue.Create("x"))).Succeeded);
        Assert.DoesNotContain(BulkRecordService.EditableFields(await ws.Get<IAccessResolver>().FieldViewAsync(rep, (await ws.MetadataAsync()).Entity("company")!)), f => f.Key is "city" or "address");
        Assert.True((await bulk.EditAsync(rep, "company", [company.Id], "notes", JsonValue.Create("批量"))).Succeeded);

        // The role is taken away: the next write runs with the rights the member has now.
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            await db.MemberRoleAssignments.Where(a => a.UserId == rep.UserId).ExecuteDeleteAsync();
        Assert.True((await bulk.EditAsync(rep, "company", [company.Id], "city", JsonValue.Create("北京"))).Succeeded);
        Assert.Equal("北京", Values((await ws.Records.GetAsync(ws.Owner, company.Id))!)["city"]!.GetValue<string>());
    }
}
