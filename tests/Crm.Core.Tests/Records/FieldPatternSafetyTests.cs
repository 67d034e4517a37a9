using System.Diagnostics;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Records;

/// <summary>
/// A tenant's pattern cannot hurt other tenants: unsafe patterns are refused in the designer and in templates, and
/// an accepted pattern that would backtrack catastrophically is evaluated in linear time, so another workspace's
/// write on the same database stays fast. Phone fields honour their pattern too.
/// </summary>
public class FieldPatternSafetyTests
{
    private static async Task<Workspace> B2bAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        return ws;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_designer_refuses_a_pattern_that_cannot_run_safely_naming_the_field(string provider)
    {
        English();
        await using var ws = await B2bAsync(provider);
        var before = await ws.MetadataVersionAsync();
        foreach (var (pattern, words) in new[] { ("(a)\\1", "safely"), ("(?=a)a", "safely"), (new string('a', 501), "500"), ("[", "regular expression") })
        {
            var draft = await ws.DraftAsync("company");
            var field = draft.AddField("text", L("编号", "Code"));
            field.Settings = field.Settings with { Pattern = pattern };

            var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

            Assert.False(result.Succeeded, pattern);
            var message = Assert.Single(result.Errors.For($"fields/{field.Key}/pattern"));
            Assert.StartsWith("Code: ", message);
            Assert.Contains(words, message);
        }
        Assert.Equal(before, await ws.MetadataVersionAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_template_checker_refuses_a_pattern_that_cannot_run_safely_naming_the_field(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        var company = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!;
        var fields = company["fields"]!.AsArray();
        var city = fields.Select((f, i) => (f, i)).Single(x => (string)x.f!["key"]! == "city");
        city.f!["pattern"] = "^(?<word>\\w+)\\s\\k<word>$";

        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));

        Assert.Equal(InstallOutcome.Refused, result.Outcome);
        var message = Assert.Single(result.Errors.For($"$.entityTypes[0].fields[{city.i}].pattern"));
        Assert.Contains("city", message);
        Assert.Contains("safely", message);
        Assert.Null((await ws.MetadataAsync()).Entity("company"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Another_workspace_writes_fast_while_a_hostile_pattern_is_evaluated(string provider)
    {
        // Workspace A: an Owner gives a field the classic catastrophic pattern. The designer accepts it (the
        // linear engine runs it safely); a backtracking engine would need far longer than the age of the universe
        // for the value below, and on SQLite would hold the write lock all that time.
        await using var a = await B2bAsync(provider);
        var draft = await a.DraftAsync("company");
        var code = draft.AddField("text", L("编号", "Code"));
        code.Settings = code.Settings with { Pattern = "^(a+)+$", MaxLength = 10_000 };
        var saved = await a.Designer().SaveEntityAsync(a.Owner, draft);
        Assert.True(saved.Succeeded, saved.Errors.ToString());
        await using var b = await B2bAsync(provider);

        var hostile = new string('a', 9_999) + "!";
        var watch = Stopwatch.StartNew();
        var attacks = Enumerable.Range(0, 4).Select(i => Task.Run(() =>
            a.Records.CreateAsync(a.Owner, "company", RecordInput.Of(("name", "Attacker " + i), (code.Key, hostile))))).ToList();
        var victim = Task.Run(() => b.Records.CreateAsync(b.Owner, "company", RecordInput.Of(("name", "Victim"))));

        // Generous bounds for a loaded 2-core machine; without the linear engine neither would ever be met.
        var bound = TimeSpan.FromSeconds(20);
        Assert.Same(victim, await Task.WhenAny(victim, Task.Delay(bound)));
        var victimTook = watch.Elapsed;
        Assert.True((await victim).Succeeded);
        var all = Task.WhenAll(attacks);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(bound)));
        foreach (var attack in await all)
        {
            Assert.False(attack.Succeeded);
            Assert.Single(attack.Errors.For(code.Key));
        }
        Assert.True(victimTook < bound, $"the other workspace's write took {victimTook}");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_phone_field_keeps_its_pattern_in_the_designer_and_records_must_match_it(string provider)
    {
        English();
        await using var ws = await B2bAsync(provider);
        var draft = await ws.DraftAsync("company");
        var phone = draft.Field("phone")!;
        phone.Settings = phone.Settings with { Pattern = "^1[3-9]\\d{9}$", PatternMessage = L("请输入手机号", "Enter a mobile number") };

        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.True(saved.Succeeded, saved.Errors.ToString());
        var field = (await ws.MetadataAsync()).Entity("company")!.Field("phone")!;
        Assert.Equal("^1[3-9]\\d{9}$", field.Settings.Pattern);
        Assert.Equal("Enter a mobile number", field.Settings.PatternMessage!.En);
        // Saving the draft again (as the designer does on every change) keeps it.
        var again = await ws.Designer().SaveEntityAsync(ws.Owner, await ws.DraftAsync("company"));
        Assert.True(again.Succeeded, again.Errors.ToString());
        Assert.Equal("^1[3-9]\\d{9}$", (await ws.MetadataAsync()).Entity("company")!.Field("phone")!.Settings.Pattern);

        var wrong = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "A"), ("phone", "010-12345678")));
        Assert.False(wrong.Succeeded);
        Assert.Equal("Phone: Enter a mobile number", Assert.Single(wrong.Errors.For("phone")));
        var notAPhone = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "B"), ("phone", "call me")));
        Assert.False(notAPhone.Succeeded);
        var right = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "C"), ("phone", "13800138000")));
        Assert.True(right.Succeeded, right.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_phone_pattern_from_a_template_is_installed_and_honoured(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        var company = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!;
        var phone = company["fields"]!.AsArray().Single(f => (string)f!["key"]! == "phone")!;
        phone["pattern"] = "^\\+86";
        phone["patternMessage"] = new JsonObject { ["zh-CN"] = "以 +86 开头", ["en"] = "Starts with +86" };

        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));

        Assert.True(result.Succeeded, result.Errors.ToString());
        Assert.Equal("^\\+86", (await ws.MetadataAsync()).Entity("company")!.Field("phone")!.Settings.Pattern);
        Assert.False((await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "A"), ("phone", "010 1234")))).Succeeded);
        Assert.True((await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", "B"), ("phone", "+86 138 0013 8000")))).Succeeded);
    }
}
