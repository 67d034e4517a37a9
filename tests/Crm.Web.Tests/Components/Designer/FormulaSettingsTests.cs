using Bunit;
using Crm.Core;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Testing;
using Crm.Web.Components.Designer;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Designer;

/// <summary>The formula editor in the designer (formula13): the function help in both languages, the type check
/// inline while typing (with the position), the result type, and a save of what it shows as valid.</summary>
public class FormulaSettingsTests
{
    private static ComponentTestContext Context(Workspace ws, string culture)
    {
        var context = new ComponentTestContext(culture, services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        return context;
    }

    private static IRenderedComponent<CascadingValue<TenantSession>> Render(ComponentTestContext context, Workspace ws, Actor actor)
    {
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, actor))
            .AddChildContent<EntityDesigner>(c => c.Add(x => x.EntityKey, "opportunity")));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=entity-designer]").GetAttribute("data-ready")), TimeSpan.FromSeconds(10));
        cut.WaitForAssertion(() =>
        {
            if (cut.FindAll("[data-testid=field-settings]").FirstOrDefault()?.GetAttribute("data-field") != "weighted_amount") cut.Find("[data-testid=field-row-weighted_amount]").Click();
            Assert.Equal("weighted_amount", cut.Find("[data-testid=field-settings]").GetAttribute("data-field"));
        }, TimeSpan.FromSeconds(5));
        return cut;
    }

    [Theory]
    [InlineData("zh-CN", "工作区时区的今天", "公式类型不符", "公式正确")]
    [InlineData("en", "Today in the workspace's time zone", "type error", "The formula is valid")]
    public async Task The_editor_lists_the_functions_and_checks_while_typing(string culture, string todayHelp, string typeError, string ok)
    {
        await using var ws = await Workspace.CreateAsync(Providers.Sqlite);
        await ws.InstallAsync("b2b_sales_funnel");
        await using var context = Context(ws, culture);
        var cut = Render(context, ws, ws.Owner);

        var names = cut.FindAll("[data-testid=formula-fn]").Select(r => r.GetAttribute("data-name")).ToList();
        Assert.Equal(FormulaExpression.Functions.Keys.Order(StringComparer.Ordinal), names);
        Assert.Contains(todayHelp, cut.Find("[data-testid=formula-fn][data-name=TODAY]").TextContent);
        Assert.Contains(ok, cut.Find("[data-testid=formula-ok]").TextContent);

        await cut.InputAsync("#d-field-expression", "amount + name");
        cut.WaitForAssertion(() =>
        {
            var problem = cut.Find("[data-testid=formula-problem]").TextContent;
            Assert.Contains(typeError, problem);
            Assert.Contains("at 8", problem);
        }, TimeSpan.FromSeconds(5));

        // The amount's formula must stay a number: a text result type is named on save.
        await cut.InputAsync("#d-field-expression", "ROUND(amount * stage.probability / 100, 0)");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=formula-problem]")), TimeSpan.FromSeconds(5));
        await cut.ClickAsync("#designer-save");
        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find("[data-testid=entity-designer]").GetAttribute("data-dirty")), TimeSpan.FromSeconds(10));
        Assert.Equal("ROUND(amount * stage.probability / 100, 0)", (await ws.MetadataAsync()).Entity("opportunity")!.Field("weighted_amount")!.Settings.Expression);

        // The number format picker shows for a number result only (formula13b).
        bool FormatPicker() => cut.FindComponents<MudSelect<string>>().Any(s => s.Instance.InputId == "d-field-format");
        Assert.True(FormatPicker());
        var resultType = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.InputId == "d-field-resulttype");
        await cut.InvokeAsync(() => resultType.Instance.ValueChanged.InvokeAsync("text"));
        cut.WaitForAssertion(() => Assert.Contains("text", cut.Find("[data-testid=formula-problem]").TextContent), TimeSpan.FromSeconds(5));
        Assert.False(FormatPicker());
        await cut.ClickAsync("#designer-save");
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=entity-designer]").GetAttribute("data-dirty")), TimeSpan.FromSeconds(10));
        Assert.Null((await ws.MetadataAsync()).Entity("opportunity")!.Field("weighted_amount")!.Settings.ResultType);
    }
}
