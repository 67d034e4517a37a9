using System.Text.Json.Nodes;
using Crm.Core.Templates;
using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Design;

/// <summary>Two fields of a record type may not share a label in either language (trimmed, case-insensitive):
/// the designer and the template checker refuse the second one, naming the label.</summary>
public class DuplicateLabelTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_designer_refuses_a_second_field_with_the_same_label(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: false);
        var draft = await ws.DraftAsync("company");
        var first = draft.AddField("text", L("行业细分", "Segment"));
        var second = draft.AddField("select", L(" 行业细分 ", "Sector"));
        second.Settings = second.Settings with { Options = [Option("a", "A")] };
        var before = await ws.MetadataVersionAsync();

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.False(result.Succeeded);
        var message = Assert.Single(result.Errors.For($"fields/{second.Key}/label"));
        Assert.Contains("行业细分", message);
        Assert.Empty(result.Errors.For($"fields/{first.Key}/label"));
        Assert.Equal(before, await ws.MetadataVersionAsync());

        // The English name counts too, whatever its case, and against the stored fields: the new field is blamed.
        draft = await ws.DraftAsync("company");
        var stored = draft.Fields.First(f => !f.IsNew && f.Label.En.Length > 0);
        var clash = draft.AddField("text", L("另一个名称", " " + stored.Label.En.ToUpperInvariant()));
        result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.False(result.Succeeded);
        Assert.Contains(stored.Label.En, Assert.Single(result.Errors.For($"fields/{clash.Key}/label")), StringComparison.OrdinalIgnoreCase);

        // Distinct labels save; an archived field's label is free.
        draft = await ws.DraftAsync("company");
        draft.AddField("text", L("行业细分", "Segment"));
        Assert.True((await ws.Designer().SaveEntityAsync(ws.Owner, draft)).Succeeded);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_template_with_two_fields_of_one_label_is_refused_naming_it(string provider)
    {
        English();
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        var company = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!;
        var fields = company["fields"]!.AsArray();
        var copy = fields[1]!.DeepClone();
        copy["key"] = "same_label_again";
        copy["label"]!["en"] = "Something else";
        fields.Add(copy);
        var label = (string)copy["label"]!["zh-CN"]!;

        await using var ws = await Workspace.CreateAsync(provider);
        var result = await ws.Get<TemplateInstaller>().InstallAsync(ws.Owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));

        Assert.Equal(InstallOutcome.Refused, result.Outcome);
        var (path, messages) = Assert.Single(result.Errors.ByField, e => e.Key.EndsWith(".label", StringComparison.Ordinal));
        Assert.Equal($"$.entityTypes[0].fields[{fields.Count - 1}].label", path);
        Assert.Contains(label, string.Join(" ", messages));
    }

    [Fact]
    public void The_starter_templates_have_no_repeated_labels()
    {
        Assert.NotEmpty(Workspace.Catalog.Entries);
        foreach (var template in Workspace.Catalog.Entries)
        {
            foreach (var entity in template.Document.EntityTypes)
            {
                var labels = entity.Fields.SelectMany(f => Crm.Core.Design.DesignRules.LabelNames(f.Label).Select(l => (Label: l.ToLowerInvariant(), f.Key))).ToList();
                var repeated = labels.GroupBy(l => l.Label).Where(g => g.Select(x => x.Key).Distinct().Count() > 1).Select(g => g.Key).ToList();
                Assert.True(repeated.Count == 0, $"{template.FileName}/{entity.Key}: {string.Join(", ", repeated)}");
            }
        }
    }
}
