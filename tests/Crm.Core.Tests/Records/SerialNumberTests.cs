using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Records;

/// <summary>Serial numbers (流水号): an auto-number with a pattern of date parts and a reset period, numbered in the
/// workspace's time zone, unique under parallel creates, set up by template or designer and exported again.</summary>
public class SerialNumberTests
{
    // 20:00 UTC on 15 January is already 04:00 on 16 January in Shanghai.
    private static readonly DateTimeOffset LateEveningUtc = new(2026, 1, 15, 20, 0, 0, TimeSpan.Zero);

    private static JsonObject ContractNo(string pattern, string? reset) => new()
    {
        ["key"] = "contract_no",
        ["type"] = "autonumber",
        ["label"] = new JsonObject { ["zh-CN"] = "合同编号", ["en"] = "Contract no." },
        ["serialPattern"] = pattern,
        ["serialReset"] = reset,
    };

    /// <summary>The B2B template with a daily serial number on companies.</summary>
    private static string B2bWithSerial(string pattern = "HT-{yyyyMMdd}-{000}", string? reset = SerialReset.Daily)
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        var field = ContractNo(pattern, reset);
        if (reset is null) field.Remove("serialReset");
        doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!["fields"]!.AsArray().Add(field);
        return doc.ToJsonString();
    }

    private static async Task<Workspace> InstalledAsync(string provider, TimeProvider? clock = null)
    {
        var ws = await Workspace.CreateAsync(provider, clock);
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, B2bWithSerial(), new InstallOptions(WithSampleData: false));
        Assert.True(result.Outcome == InstallOutcome.Installed, result.Errors.ToString());
        return ws;
    }

    private static async Task<string> CreateCompanyAsync(Workspace ws, string name)
    {
        var created = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", name)));
        Assert.True(created.Succeeded, created.Errors.ToString());
        return RecordWriter.ParseValues(created.Record!.Values)["contract_no"]!.GetValue<string>();
    }

    [Fact]
    public void Patterns_are_checked_and_formatted_by_their_parts()
    {
        Assert.Equal(SerialPatternProblem.None, SerialPattern.Check("HT-{yyyyMMdd}-{0000}", SerialReset.Daily));
        Assert.Equal(SerialPatternProblem.None, SerialPattern.Check("{yy}{MM}/{00}", SerialReset.Monthly));
        Assert.Equal(SerialPatternProblem.None, SerialPattern.Check("No.{000000}", null));
        Assert.Equal(SerialPatternProblem.ResetWithoutDate, SerialPattern.Check("HT-{yyyyMM}-{0000}", SerialReset.Daily));
        Assert.Equal(SerialPatternProblem.ResetWithoutDate, SerialPattern.Check("HT-{0000}", SerialReset.Yearly));
        Assert.Equal(SerialPatternProblem.NumberPart, SerialPattern.Check("HT-{yyyy}", null));
        Assert.Equal(SerialPatternProblem.NumberPart, SerialPattern.Check("{000}-{000}", null));
        Assert.Equal(SerialPatternProblem.BadPart, SerialPattern.Check("HT-{d}-{000}", null));    // "d" alone would be .NET's short date
        Assert.Equal(SerialPatternProblem.BadPart, SerialPattern.Check("HT-{yyyy-{000}", null));
        Assert.Equal(SerialPatternProblem.BadPart, SerialPattern.Check("HT}-{000}", null));
        Assert.Equal(SerialPatternProblem.UnknownReset, SerialPattern.Check("{yyyy}{000}", "hourly"));
        Assert.Equal(SerialPatternProblem.TooLong, SerialPattern.Check(new string('x', 61) + "{0}", null));

        Assert.Equal(SerialPatternProblem.None, SerialPattern.TryParse("HT-{yyyyMMdd}-{0000}/{yy}", out var parsed));
        Assert.Equal("HT-20260116-0042/26", parsed!.Format(42, new DateTime(2026, 1, 16)));
        Assert.Equal("HT-20260116-123456/26", parsed.Format(123456, new DateTime(2026, 1, 16)));

        Assert.Equal("contract_no", SerialPattern.CounterKey("contract_no", null, new DateTime(2026, 1, 16)));
        Assert.Equal("contract_no@20260116", SerialPattern.CounterKey("contract_no", SerialReset.Daily, new DateTime(2026, 1, 16)));
        Assert.Equal("contract_no@202601", SerialPattern.CounterKey("contract_no", SerialReset.Monthly, new DateTime(2026, 1, 16)));
        var longKey = new string('k', 63);
        var cut = SerialPattern.CounterKey(longKey, SerialReset.Daily, new DateTime(2026, 1, 16));
        Assert.True(cut.Length <= 64, cut);
        Assert.NotEqual(cut, SerialPattern.CounterKey(new string('k', 62) + "j", SerialReset.Daily, new DateTime(2026, 1, 16)));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Numbers_carry_the_day_in_the_workspace_zone_and_start_again_each_day(string provider)
    {
        var clock = new ManualClock(LateEveningUtc);
        await using var ws = await InstalledAsync(provider, clock);
        ws.Tenant.TimeZone = "Asia/Shanghai";

        Assert.Equal("HT-20260116-001", await CreateCompanyAsync(ws, "Acme"));
        Assert.Equal("HT-20260116-002", await CreateCompanyAsync(ws, "Beta"));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal("HT-20260117-001", await CreateCompanyAsync(ws, "Gamma"));

        // In UTC the same moment is still the 16th, whose counter is at 3 now.
        ws.Tenant.TimeZone = "UTC";
        Assert.Equal("HT-20260116-003", await CreateCompanyAsync(ws, "Delta"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Parallel_creates_get_distinct_numbers_without_gaps(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        const int count = 12;
        var results = await Task.WhenAll(Enumerable.Range(1, count).Select(i => Task.Run(() => ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", $"Parallel {i}"))))));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Errors.ToString()));
        var numbers = results.Select(r => RecordWriter.ParseValues(r.Record!.Values)["contract_no"]!.GetValue<string>()).ToList();
        var day = LocalDay(ws);
        Assert.Equal(Enumerable.Range(1, count).Select(n => $"HT-{day}-{n:000}").ToList(), numbers.Order().ToList());
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        Assert.Equal(count + 1, (await db.Sequences.SingleAsync(s => s.FieldKey == "contract_no@" + day)).NextValue);
    }

    private static string LocalDay(Workspace ws)
        => Crm.Core.Tenancy.WorkspaceTimeZone.ToLocal(ws.Get<TimeProvider>().GetUtcNow().UtcDateTime, Crm.Core.Tenancy.WorkspaceTimeZone.Resolve(ws.Tenant.TimeZone)).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_pattern_goes_out_in_an_export_that_installs_again(string provider)
    {
        await using var ws = await InstalledAsync(provider);
        var exported = await ws.Get<TemplateExporter>().ExportAsync(ws.Owner);
        var field = exported.EntityTypes.Single(e => e.Key == "company").Fields.Single(f => f.Key == "contract_no");
        Assert.Equal("HT-{yyyyMMdd}-{000}", field.SerialPattern);
        Assert.Equal(SerialReset.Daily, field.SerialReset);

        var (parsed, errors) = TemplateParser.Parse(JsonSerializer.Serialize(exported, Json.Indented), (k, a) => k);
        Assert.True(errors.IsEmpty, errors.ToString());
        await using var target = await Workspace.CreateAsync(provider);
        var result = await target.Get<TemplateInstaller>().InstallAsync(target.Owner, parsed!, new InstallOptions(WithSampleData: false));
        Assert.True(result.Outcome == InstallOutcome.Installed, result.Errors.ToString());
        var installed = (await target.MetadataAsync()).Entity("company")!.Field("contract_no")!;
        Assert.Equal("HT-{yyyyMMdd}-{000}", installed.Settings.SerialPattern);
        Assert.Equal(SerialReset.Daily, installed.Settings.SerialReset);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_daily_reset_without_the_day_in_the_pattern_is_refused_by_template_and_designer(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var refused = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, B2bWithSerial("HT-{yyyyMM}-{000}"), new InstallOptions(WithSampleData: false));
        Assert.NotEqual(InstallOutcome.Installed, refused.Outcome);
        Assert.Contains(refused.Errors.ByField.Keys, k => k.EndsWith(".serialPattern", StringComparison.Ordinal));

        var installed = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, B2bWithSerial(), new InstallOptions(WithSampleData: false));
        Assert.True(installed.Outcome == InstallOutcome.Installed, installed.Errors.ToString());
        var draft = await ws.DraftAsync("company");
        var field = draft.Fields.Single(f => f.Key == "contract_no");
        field.Settings = field.Settings with { SerialPattern = "HT-{yyyy}-{000}" };
        var saved = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.False(saved.Succeeded);
        Assert.Contains(saved.Errors.ByField.Keys, k => k.EndsWith("serialPattern", StringComparison.Ordinal));

        field.Settings = field.Settings with { SerialPattern = "HT-{yyyyMMdd}-{0000}", SerialReset = SerialReset.Yearly };
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
        Assert.Equal(SerialReset.Yearly, (await ws.MetadataAsync()).Entity("company")!.Field("contract_no")!.Settings.SerialReset);
    }
}
