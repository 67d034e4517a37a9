using Crm.Testing;
using static Crm.Core.Tests.Design.DesignTestKit;

namespace Crm.Core.Tests.Design;

/// <summary>Formulas that depend on each other in a circle could never be computed: the designer refuses them.</summary>
public class FormulaCycleDesignTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_designer_refuses_formulas_that_depend_on_each_other_naming_the_field(string provider)
    {
        English();
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var before = await ws.MetadataVersionAsync();
        var draft = await ws.DraftAsync("opportunity");
        var a = draft.AddField("formula", L("甲", "Alpha"));
        var b = draft.AddField("formula", L("乙", "Beta"));
        a.Settings = a.Settings with { Expression = $"{b.Key} + 1" };
        b.Settings = b.Settings with { Expression = $"{a.Key} * 2" };

        var result = await ws.Designer().SaveEntityAsync(ws.Owner, draft);

        Assert.False(result.Succeeded);
        var message = Assert.Single(result.Errors.For($"fields/{a.Key}/expression"));
        Assert.StartsWith("Alpha: ", message);
        Assert.Contains($"{a.Key} → {b.Key} → {a.Key}", message);
        Assert.Single(result.Errors.For($"fields/{b.Key}/expression"));
        Assert.Equal(before, await ws.MetadataVersionAsync());

        // A chain without a circle is fine.
        b.Settings = b.Settings with { Expression = "amount * 2" };
        var ok = await ws.Designer().SaveEntityAsync(ws.Owner, draft);
        Assert.True(ok.Succeeded, ok.Errors.ToString());
    }
}
