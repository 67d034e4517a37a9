using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Lists;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Templates;
using Crm.Core.Timeline;
using Crm.Core.Views;
using Crm.Testing;
using Record = Crm.Core.Records.Record;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Fields;

/// <summary>The department field (部门): designed, written and checked, filtered and grouped in SQL, named in the
/// timeline, exported in templates — on both databases.</summary>
public class DepartmentFieldTests
{
    private sealed record Setup(Workspace Ws, Guid East, Guid EastOne, Guid South, string One, string Many) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Ws.DisposeAsync();
    }

    private static async Task<Setup> SetupAsync(string provider)
    {
        English();
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: false);
        var departments = ws.Get<DepartmentService>();
        var east = (await departments.CreateAsync(ws.Owner, "华东", null)).Id!.Value;
        var eastOne = (await departments.CreateAsync(ws.Owner, "一组", east)).Id!.Value;
        var south = (await departments.CreateAsync(ws.Owner, "华南", null)).Id!.Value;

        var draft = await ws.DraftAsync("opportunity");
        var one = draft.AddField("department", L("负责部门", "Owning department"));
        var many = draft.AddField("department", L("协办部门", "Helping departments"));
        many.Settings = many.Settings with { Multiple = true };
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        return new Setup(ws, east, eastOne, south, one.Key, many.Key);
    }

    private static async Task<Record> DealAsync(Setup s, string name, Guid? one, params Guid[] many)
    {
        var company = await s.Ws.CreateAsync("company", ("name", name + " Ltd"));
        return await s.Ws.CreateAsync("opportunity", ("name", name), ("amount", 1000m), ("company", company.Id.ToString()), ("expected_close", "2030-01-31"),
            (s.One, one is null ? null : JsonValue.Create(one.Value.ToString())),
            (s.Many, many.Length == 0 ? null : new JsonArray(many.Select(m => (JsonNode?)JsonValue.Create(m.ToString())).ToArray())));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Values_are_checked_stored_and_filtered_in_sql(string provider)
    {
        await using var s = await SetupAsync(provider);
        var meta = await s.Ws.MetadataAsync();
        Assert.Equal(true, meta.Entity("opportunity")!.Field(s.Many)!.Settings.Multiple);
        Assert.Null(meta.Entity("opportunity")!.Field(s.One)!.Settings.Multiple);

        var a = await DealAsync(s, "A", s.East, s.East, s.South);
        var b = await DealAsync(s, "B", s.South, s.EastOne);
        await DealAsync(s, "C", null);
        // A single id given to the multiple field is stored as a list of one.
        var d = await s.Ws.CreateAsync("opportunity", ("name", "D"), ("amount", 1m), ("company", (await s.Ws.CreateAsync("company", ("name", "D Ltd"))).Id.ToString()),
            ("expected_close", "2030-01-31"), (s.Many, s.South.ToString()));
        Assert.Equal([s.South.ToString()], d.Values()[s.Many]!.AsArray().Select(n => (string)n!));

        // A department that does not exist is refused, naming the field.
        var bad = await s.Ws.Records.UpdateAsync(s.Ws.Owner, a.Id, RecordInput.Of((s.One, Guid.NewGuid().ToString())) with { ExpectedVersion = a.Version });
        Assert.False(bad.Succeeded);
        Assert.Contains(bad.Errors.For(s.One), m => m.Contains("Owning department", StringComparison.Ordinal) || m.Contains("负责部门", StringComparison.Ordinal));
        Assert.Contains(bad.Errors.For(s.One), m => m.Contains("department no longer exists", StringComparison.Ordinal));

        var lists = s.Ws.Get<RecordListService>();
        async Task<string[]> Titles(string field, string op, params Guid[] ids)
        {
            var page = await lists.QueryAsync(s.Ws.Owner, "opportunity", new RecordQuery
            {
                Filters = [new FilterSpec(field, op, new JsonArray(ids.Select(i => (JsonNode?)JsonValue.Create(i.ToString())).ToArray()))],
                Sort = [new SortSpec("name", false)],
            });
            return page.Items.Select(i => i.Title).ToArray();
        }
        Assert.Equal(["A"], await Titles(s.One, "in", s.East));
        Assert.Equal(["A", "B"], await Titles(s.One, "in", s.East, s.South));
        Assert.Equal(["A", "D"], await Titles(s.Many, "in", s.South));
        Assert.Equal(["B"], await Titles(s.Many, "in", s.EastOne));
        Assert.Equal(["B", "C"], await Titles(s.Many, "nin", s.East, s.South));

        // The page names the departments its values point at.
        var all = await lists.QueryAsync(s.Ws.Owner, "opportunity", new RecordQuery());
        Assert.Equal("华东", all.Names[s.East]);
        Assert.Equal("一组", all.Names[s.EastOne]);
        _ = b;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Reports_group_by_a_single_department_and_the_timeline_names_them(string provider)
    {
        await using var s = await SetupAsync(provider);
        var a = await DealAsync(s, "A", s.East);
        await DealAsync(s, "B", s.East);
        await DealAsync(s, "C", s.South);

        var report = await s.Ws.Get<ReportEngine>().RunAsync(s.Ws.Owner, "opportunity",
            new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec(s.One, null), Measure = new MeasureSpec("count", null) });
        Assert.Equal([("华东", 2m), ("华南", 1m)], report.Rows.Select(r => (r.Label, r.Cells[0].Number!.Value)));
        // Several departments in one value do not make groups.
        Assert.Equal(Dimension.Kind.None, Dimension.Of((await s.Ws.MetadataAsync()).Entity("opportunity")!, s.Many));

        var updated = await s.Ws.Records.UpdateAsync(s.Ws.Owner, a.Id, RecordInput.Of((s.One, s.South.ToString())) with { ExpectedVersion = a.Version });
        Assert.True(updated.Succeeded, updated.Errors.ToString());
        var page = await s.Ws.Get<RecordTimeline>().GetAsync(s.Ws.Owner, a.Id, culture: new System.Globalization.CultureInfo("en"));
        var change = page.Entries[0].Changes.Single(c => c.FieldKey == s.One);
        Assert.Equal(("华东", "华南"), (change.Old, change.New));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_template_format_carries_department_fields_both_ways(string provider)
    {
        await using var s = await SetupAsync(provider);
        var exported = await s.Ws.Get<TemplateExporter>().ExportAsync(s.Ws.Owner);
        var fields = exported.EntityTypes.Single(e => e.Key == "opportunity").Fields;
        Assert.Equal(true, fields.Single(f => f.Key == s.Many).Multiple);
        Assert.Null(fields.Single(f => f.Key == s.One).Multiple);

        await using var target = await Workspace.CreateAsync(provider);
        var installed = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, Json.Serialize(exported), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        var field = (await target.MetadataAsync()).Entity("opportunity")!.Field(s.Many)!;
        Assert.Equal(("department", true), (field.Type, field.Settings.Multiple));

        // "multiple" belongs to department fields only.
        var doc = JsonNode.Parse(Json.Serialize(exported))!.AsObject();
        var opportunity = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "opportunity")!;
        opportunity["fields"]!.AsArray().Single(f => (string)f!["key"]! == "name")!["multiple"] = true;
        await using var third = await Workspace.CreateAsync(provider);
        var refused = await third.Get<TemplateInstaller>().InstallAsync(third.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.Equal(InstallOutcome.Refused, refused.Outcome);
    }
}
