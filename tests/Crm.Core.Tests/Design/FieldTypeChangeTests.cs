using System.Text.Json.Nodes;
using Crm.Core.Design;
using Crm.Core.Metadata;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Design;

/// <summary>Changing a field's type: the preview's counts, converted values written, the rest kept aside and readable.</summary>
public class FieldTypeChangeTests
{
    private static async Task<Workspace> B2bAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        return ws;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Text_to_single_select_previews_the_counts_and_keeps_what_does_not_convert(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var companies = await ws.RecordsAsync("company");
        var withCity = companies.Where(c => c.Text("city") is not null).ToList();
        Assert.True(withCity.Count >= 5);
        // Options named like two of the cities (by label): those convert, the others do not.
        var request = new TypeChangeRequest("company", "city", "select", new FieldSettings
        {
            Options = [Option("hangzhou", "杭州"), Option("shanghai", "上海")],
        });
        var changer = ws.Get<FieldTypeChanger>();

        var preview = await changer.PreviewAsync(ws.Owner, request);

        var converting = withCity.Where(c => c.Text("city") is "杭州" or "上海").ToList();
        Assert.True(preview.Succeeded, preview.Errors.ToString());
        Assert.Equal(withCity.Count, preview.WithValue);
        Assert.Equal(converting.Count, preview.Converted);
        Assert.Equal(withCity.Count - converting.Count, preview.NotConverted);
        Assert.Contains(preview.NotConvertedExamples!, e => e.Value == "北京");
        Assert.Equal(0, preview.Restored);

        var result = await changer.ApplyAsync(ws.Owner, request);

        Assert.True(result.Succeeded, result.Errors.ToString());
        Assert.Equal(withCity.Count, result.RecordsChanged);
        var field = (await ws.MetadataAsync()).Entity("company")!.Field("city")!;
        Assert.Equal("select", field.Type);
        foreach (var before in withCity)
        {
            var after = await ws.RecordAsync(before.Id);
            Assert.Equal(before.Version + 1, after.Version);
            if (converting.Contains(before))
            {
                Assert.Equal(before.Text("city") == "杭州" ? "hangzhou" : "shanghai", after.Text("city"));
                Assert.Null(after.Values()[FieldTypeChanger.UnconvertedKey]);
            }
            else
            {
                Assert.Null(after.Values()["city"]);
                Assert.Equal(before.Text("city"), after.Values()[FieldTypeChanger.UnconvertedKey]!["city"]!.GetValue<string>());
            }
            var change = (await ws.ChangesAsync(before.Id)).Last();
            Assert.Contains("\"city\"", change.Changes);
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Number_to_money_converts_every_value(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var draft = await ws.DraftAsync("company");
        var staff = draft.AddField("number", L("员工数", "Staff"));
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        var a = await ws.CreateAsync("company", ("name", "甲"), (staff.Key, 120m));
        var b = await ws.CreateAsync("company", ("name", "乙"), (staff.Key, 7.5m));
        var request = new TypeChangeRequest("company", staff.Key, "money", new FieldSettings { Currency = "CNY" });

        var preview = await ws.Get<FieldTypeChanger>().PreviewAsync(ws.Owner, request);
        Assert.Equal((2, 2, 0), (preview.WithValue, preview.Converted, preview.NotConverted));

        var result = await ws.Get<FieldTypeChanger>().ApplyAsync(ws.Owner, request);

        Assert.True(result.Succeeded, result.Errors.ToString());
        Assert.Equal("money", (await ws.MetadataAsync()).Entity("company")!.Field(staff.Key)!.Type);
        Assert.Equal(120m, (await ws.RecordAsync(a.Id)).Values()[staff.Key]!.GetValue<decimal>());
        Assert.Equal(7.5m, (await ws.RecordAsync(b.Id)).Values()[staff.Key]!.GetValue<decimal>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Values_kept_aside_come_back_when_the_type_changes_back(string provider)
    {
        await using var ws = await B2bAsync(provider);
        var draft = await ws.DraftAsync("company");
        var code = draft.AddField("text", L("代码", "Code"));
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        var numeric = await ws.CreateAsync("company", ("name", "甲"), (code.Key, "42"));
        var wordy = await ws.CreateAsync("company", ("name", "乙"), (code.Key, "ABC"));
        var changer = ws.Get<FieldTypeChanger>();

        Assert.True((await changer.ApplyAsync(ws.Owner, new TypeChangeRequest("company", code.Key, "number", new FieldSettings()))).Succeeded);
        Assert.Equal(42m, (await ws.RecordAsync(numeric.Id)).Values()[code.Key]!.GetValue<decimal>());
        Assert.Equal("ABC", (await ws.RecordAsync(wordy.Id)).Values()[FieldTypeChanger.UnconvertedKey]![code.Key]!.GetValue<string>());
        // The kept value survives an ordinary form save.
        var saved = await ws.Records.UpdateAsync(ws.Owner, wordy.Id, new Crm.Core.Records.RecordInput(new JsonObject { ["name"] = "乙二" }) { ReplaceAll = true });
        Assert.True(saved.Succeeded, saved.Errors.ToString());

        var back = new TypeChangeRequest("company", code.Key, "text", new FieldSettings());
        var preview = await changer.PreviewAsync(ws.Owner, back);
        Assert.Equal((1, 1, 1), (preview.WithValue, preview.Converted, preview.Restored));
        Assert.True((await changer.ApplyAsync(ws.Owner, back)).Succeeded);

        var restored = await ws.RecordAsync(wordy.Id);
        Assert.Equal("ABC", restored.Text(code.Key));
        Assert.Null(restored.Values()[FieldTypeChanger.UnconvertedKey]);
        Assert.Equal("42", (await ws.RecordAsync(numeric.Id)).Text(code.Key));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Changes_that_would_break_the_record_type_are_refused(string provider)
    {
        English();
        await using var ws = await B2bAsync(provider);
        var changer = ws.Get<FieldTypeChanger>();
        var version = await ws.MetadataVersionAsync();

        var member = await changer.PreviewAsync(ws.Owner, new TypeChangeRequest("company", "owner", "number", new FieldSettings()));
        Assert.NotEmpty(member.Errors.For("type"));
        var title = await changer.ApplyAsync(ws.Owner, new TypeChangeRequest("company", "name", "date", new FieldSettings()));
        Assert.Contains("title field", string.Join(" ", title.Errors.For("type")));
        var formula = await changer.ApplyAsync(ws.Owner, new TypeChangeRequest("opportunity", "amount", "text", new FieldSettings()));
        Assert.Contains(formula.Errors.For("type"), m => m.Contains("formula"));
        var noOptions = await changer.ApplyAsync(ws.Owner, new TypeChangeRequest("company", "city", "select", new FieldSettings()));
        Assert.NotEmpty(noOptions.Errors.For("settings/options"));

        Assert.Equal(version, await ws.MetadataVersionAsync());
        Assert.Equal("text", (await ws.MetadataAsync()).Entity("company")!.Field("city")!.Type);
    }

    [Fact]
    public void Allowed_changes_are_the_ones_whose_values_convert()
    {
        Assert.True(FieldTypeChanger.CanChange("text", "select"));
        Assert.True(FieldTypeChanger.CanChange("number", "money"));
        Assert.True(FieldTypeChanger.CanChange("select", "multiselect"));
        Assert.True(FieldTypeChanger.CanChange("date", "datetime"));
        Assert.False(FieldTypeChanger.CanChange("member", "text"));
        Assert.False(FieldTypeChanger.CanChange("text", "formula"));
        Assert.False(FieldTypeChanger.CanChange("stage", "select"));
        Assert.False(FieldTypeChanger.CanChange("text", "text"));
    }
}
