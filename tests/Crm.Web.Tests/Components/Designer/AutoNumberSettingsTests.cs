using Bunit;
using Crm.Core;
using Crm.Core.Fields;
using Crm.Core.Security;
using Crm.Testing;
using Crm.Web.Components.Designer;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Designer;

/// <summary>The auto-number's serial pattern and reset period in the designer's settings panel (流水号).</summary>
public class AutoNumberSettingsTests
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
            if (cut.FindAll("[data-testid=field-settings]").FirstOrDefault()?.GetAttribute("data-field") != "code") cut.Find("[data-testid=field-row-code]").Click();
            Assert.Equal("code", cut.Find("[data-testid=field-settings]").GetAttribute("data-field"));
        }, TimeSpan.FromSeconds(5));
        return cut;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_pattern_and_a_daily_reset_are_saved_and_a_bad_pattern_is_named(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        await using var context = Context(ws, "zh-CN");
        var cut = Render(context, ws, ws.Owner);

        Assert.Contains("流水号规则", cut.Find("[data-testid=field-settings]").TextContent);
        // The reset period waits for a pattern.
        Assert.True(cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.InputId == "d-field-serialreset").Instance.ReadOnly);

        await cut.InputAsync("#d-field-serialpattern", "HT-{yyyyMM}-{0000}");
        var reset = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.InputId == "d-field-serialreset");
        cut.WaitForAssertion(() => Assert.False(reset.Instance.ReadOnly), TimeSpan.FromSeconds(5));
        await cut.InvokeAsync(() => reset.Instance.ValueChanged.InvokeAsync(SerialReset.Daily));
        await cut.ClickAsync("#designer-save");

        // A daily reset needs the day in the pattern: refused, named under the pattern, in Chinese.
        cut.WaitForAssertion(() => Assert.Contains("每日重置用 yyyyMMdd", cut.Find("[data-testid=field-settings]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Null((await ws.MetadataAsync()).Entity("opportunity")!.Field("code")!.Settings.SerialPattern);

        await cut.InputAsync("#d-field-serialpattern", "HT-{yyyyMMdd}-{0000}");
        await cut.ClickAsync("#designer-save");
        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find("[data-testid=entity-designer]").GetAttribute("data-dirty")), TimeSpan.FromSeconds(10));
        var saved = (await ws.MetadataAsync()).Entity("opportunity")!.Field("code")!.Settings;
        Assert.Equal("HT-{yyyyMMdd}-{0000}", saved.SerialPattern);
        Assert.Equal(SerialReset.Daily, saved.SerialReset);
    }
}
