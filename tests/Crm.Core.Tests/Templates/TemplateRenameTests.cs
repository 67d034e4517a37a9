using System.Text.Json.Nodes;
using Crm.Core.Lists;
using Crm.Core.Records;
using Crm.Core.Templates;
using Crm.Core.Views;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Templates;

/// <summary>
/// A new template version that renames keys (<c>renamedFrom</c>) and removes items (<c>removedFields</c>): the dry
/// run's plan says "renamed old → new" and "archived", writes nothing; the upgrade moves the values of a renamed
/// field and rewrites a renamed option's stored values in SQL, archives removed fields with their data kept; on
/// both databases.
/// </summary>
public class TemplateRenameTests
{
    public TemplateRenameTests() => English();

    private static JsonObject Version1()
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc.Remove("sampleData");
        return doc;
    }

    private static JsonObject Entity(JsonObject doc, string key) => doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == key)!.AsObject();

    /// <summary>9.0.0: company.city → city_name, value_tier option high → key_account, company.address removed,
    /// stage proposal → proposal_v2; the template's own views follow.</summary>
    private static JsonObject Version2()
    {
        var doc = Version1();
        doc["version"] = "9.0.0";
        var company = Entity(doc, "company");
        var fields = company["fields"]!.AsArray();
        var city = fields.Single(f => (string)f!["key"]! == "city")!.AsObject();
        city["key"] = "city_name";
        city["renamedFrom"] = "city";
        var high = fields.Single(f => (string)f!["key"]! == "value_tier")!["options"]!.AsArray().Single(o => (string)o!["key"]! == "high")!.AsObject();
        high["key"] = "key_account";
        high["renamedFrom"] = "high";
        fields.Remove(fields.Single(f => (string)f!["key"]! == "address"));
        company["removedFields"] = new JsonArray("address");
        var stage = Entity(doc, "opportunity")["pipelines"]!.AsArray().Single(p => (string)p!["key"]! == "b2b")!["stages"]!.AsArray().Single(s => (string)s!["key"]! == "proposal")!.AsObject();
        stage["key"] = "proposal_v2";
        stage["renamedFrom"] = "proposal";
        // The template's views name the new keys (the same text replace a template author would make).
        var views = JsonNode.Parse(doc["views"]!.ToJsonString().Replace("\"city\"", "\"city_name\"").Replace("\"high\"", "\"key_account\""))!;
        doc["views"] = views;
        return doc;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_plan_shows_renames_and_removals_the_dry_run_writes_nothing_and_the_upgrade_keeps_the_data(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var installer = ws.Get<TemplateInstaller>();
        var first = await installer.InstallAsync(ws.Owner, Version1().ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(first.Succeeded, first.Errors.ToString());
        var x = await ws.CreateAsync("company", ("name", "X"), ("city", "深圳"), ("value_tier", "high"), ("address", "南山区科技园"));
        var y = await ws.CreateAsync("company", ("name", "Y"), ("city", "杭州"), ("value_tier", "low"));
        // A view the workspace made itself names the field too.
        var mine = await ws.Get<SavedViewService>().CreateAsync(ws.Owner, "company", "Mine",
            new ViewDefinition { Columns = ["name", "city"], Filters = [new FilterSpec("city", "eq", JsonValue.Create("深圳"))], Sort = [new SortSpec("city")] }, shared: true);
        Assert.True(mine.Succeeded, mine.Errors?.ToString());
        var company = (await ws.MetadataAsync()).Entity("company")!;
        var json = Version2().ToJsonString();

        var plan = await installer.InstallAsync(ws.Owner, json, new InstallOptions(DryRun: true));

        Assert.True(plan.Outcome == InstallOutcome.DryRun, plan.Errors.ToString());
        var renames = plan.Changes.Where(c => c.Kind == ChangeKind.Rename).Select(c => (c.Element, c.Path, c.Detail)).ToList();
        Assert.Contains(("field", "company.city_name", "city"), renames);
        Assert.Contains(("option", "company.value_tier.key_account", "high"), renames);
        Assert.Contains(("stage", "opportunity.b2b.proposal_v2", "proposal"), renames);
        Assert.Equal(3, renames.Count);
        Assert.Equal(("field", "company.address"), Assert.Single(plan.Changes, c => c.Kind == ChangeKind.Archive) is var a ? (a.Element, a.Path) : default);
        Assert.DoesNotContain(plan.Changes, c => c.Kind is ChangeKind.DuplicateLabel or ChangeKind.KeptNotInTemplate);
        Assert.DoesNotContain(plan.Changes, c => c.Kind == ChangeKind.Add && c.Element is "field" or "stage");
        // Nothing written: the old keys and values are all still there.
        Assert.Equal("深圳", (await ws.RecordAsync(x.Id)).Values()["city"]?.GetValue<string>());
        Assert.Equal("high", (await ws.RecordAsync(x.Id)).Values()["value_tier"]?.GetValue<string>());
        var unchanged = (await ws.MetadataAsync()).Entity("company")!;
        Assert.NotNull(unchanged.Field("city"));
        Assert.Null(unchanged.Field("city_name"));
        Assert.False(unchanged.Field("address")!.IsArchived);

        var upgraded = await installer.InstallAsync(ws.Owner, json, new InstallOptions());

        Assert.True(upgraded.Outcome == InstallOutcome.Upgraded, upgraded.Errors.ToString());
        var after = (await ws.MetadataAsync()).Entity("company")!;
        Assert.Null(after.Field("city"));
        Assert.Equal(company.Field("city")!.Id, after.Field("city_name")!.Id); // the same field, renamed
        Assert.True(after.Field("address")!.IsArchived);
        Assert.Equal("key_account", after.Field("value_tier")!.Settings.Options!.First().Key);
        var vx = (await ws.RecordAsync(x.Id)).Values();
        Assert.Equal("深圳", vx["city_name"]?.GetValue<string>());
        Assert.False(vx.ContainsKey("city"));
        Assert.Equal("key_account", vx["value_tier"]?.GetValue<string>());
        Assert.Equal("南山区科技园", vx["address"]?.GetValue<string>()); // archived, data kept
        Assert.Equal("low", (await ws.RecordAsync(y.Id)).Values()["value_tier"]?.GetValue<string>());
        var b2b = (await ws.MetadataAsync()).Entity("opportunity")!.Pipeline("b2b")!;
        Assert.NotNull(b2b.Stage("proposal_v2"));
        Assert.Null(b2b.Stage("proposal"));

        // Records still write (no stray old key), lists filter by the new key, views follow.
        var current = await ws.RecordAsync(x.Id);
        var edit = await ws.Records.UpdateAsync(ws.Owner, x.Id, RecordInput.Of(("name", "X2")) with { ExpectedVersion = current.Version });
        Assert.True(edit.Succeeded, edit.Errors.ToString());
        var page = await ws.Get<RecordListService>().QueryAsync(ws.Owner, "company", new RecordQuery { Filters = [new FilterSpec("city_name", "eq", JsonValue.Create("深圳"))] });
        Assert.Equal(["X2"], page.Items.Select(i => i.Title).ToArray());
        var views = await ws.Get<SavedViewService>().ListAsync(ws.Owner, "company");
        Assert.All(views, v => Assert.DoesNotContain("city", v.Definition.Columns));
        var own = views.Single(v => v.Name.Get() == "Mine").Definition;
        Assert.Equal(["name", "city_name"], own.Columns);
        Assert.Equal("city_name", Assert.Single(own.Filters).Field);
        Assert.Equal("city_name", Assert.Single(own.Sort).Field);
        // The renamed option's typed copy (issue 14) followed the value: no difference, and a filter on the new key
        // (read through the slot) finds the record.
        Assert.NotNull(after.Field("value_tier")!.IndexSlot);
        var check = await IndexCopyService.RunForAdminAsync(ws.Database.Factory, ws.Get<Crm.Core.Metadata.MetadataStore>(), ws.Owner, rebuild: false);
        Assert.Empty(check.Differences);
        var tier = await ws.Get<RecordListService>().QueryAsync(ws.Owner, "company", new RecordQuery { Filters = [new FilterSpec("value_tier", "eq", JsonValue.Create("key_account"))] });
        Assert.Equal(["X2"], tier.Items.Select(i => i.Title).ToArray());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Renames_are_checked(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var installer = ws.Get<TemplateInstaller>();
        // renamedFrom naming a key this version still has (a cycle a → b, b → a is one too).
        var doc = Version1();
        var fields = Entity(doc, "company")["fields"]!.AsArray();
        fields.Single(f => (string)f!["key"]! == "city")!["renamedFrom"] = "phone";
        var refused = await installer.InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.False(refused.Succeeded);
        Assert.Contains(refused.Errors.ByField, e => e.Key.EndsWith(".renamedFrom", StringComparison.Ordinal) && e.Value.Any(m => m.Contains("phone", StringComparison.Ordinal)));

        // On an upgrade, renamedFrom must name a key of the installed version.
        Assert.True((await installer.InstallAsync(ws.Owner, Version1().ToJsonString(), new InstallOptions(WithSampleData: false))).Succeeded);
        var v2 = Version2();
        Entity(v2, "company")["fields"]!.AsArray().Single(f => (string)f!["key"]! == "city_name")!["renamedFrom"] = "town";
        var unknown = await installer.InstallAsync(ws.Owner, v2.ToJsonString(), new InstallOptions(DryRun: true));
        Assert.False(unknown.Succeeded);
        Assert.Contains(unknown.Errors.ByField, e => e.Key.EndsWith("renamedFrom", StringComparison.Ordinal) && e.Value.Any(m => m.Contains("town", StringComparison.Ordinal)));
    }
}
