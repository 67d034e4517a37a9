using Bunit;
using Crm.Web.Components.Layout;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Layout;

/// <summary>
/// The shell's theme provider draws what MudThemeProvider draws, from one string per theme and light/dark that every
/// tab shares (docs/decisions.md, "Memory per circuit, margin (circ18d)").
/// </summary>
public class CrmThemeProviderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task It_renders_MudThemeProviders_markup_once_for_every_tab(bool dark)
    {
        await using var context = new ComponentTestContext();
        var mud = context.Bunit.Render<MudThemeProvider>(p => p.Add(x => x.Theme, CrmTheme.Theme).Add(x => x.IsDarkMode, dark));
        var first = context.Bunit.Render<CrmThemeProvider>(p => p.Add(x => x.Theme, CrmTheme.Theme).Add(x => x.IsDarkMode, dark));
        var second = context.Bunit.Render<CrmThemeProvider>(p => p.Add(x => x.Theme, CrmTheme.Theme).Add(x => x.IsDarkMode, dark));

        // MudThemeProvider's markup, then the charts' colour variables for the mode.
        first.MarkupMatches(mud.Markup + CrmTheme.ChartStyle(dark));
        Assert.Contains("--mud-palette-primary:", first.Markup);
        // One string for both "tabs": the same instance, not an equal copy.
        Assert.Same(first.Instance.Html.Value, second.Instance.Html.Value);
    }

    [Fact]
    public async Task Switching_light_and_dark_switches_the_palette()
    {
        await using var context = new ComponentTestContext();
        var cut = context.Bunit.Render<CrmThemeProvider>(p => p.Add(x => x.Theme, CrmTheme.Theme).Add(x => x.IsDarkMode, false));
        // The system's preference is not watched: no JS call to follow it (MudThemeProvider's default makes one).
        Assert.DoesNotContain(context.Bunit.JSInterop.Invocations, i => i.Identifier.Contains("DarkMode", StringComparison.OrdinalIgnoreCase));
        var light = context.Bunit.Render<MudThemeProvider>(p => p.Add(x => x.Theme, CrmTheme.Theme).Add(x => x.IsDarkMode, false));
        var dark = context.Bunit.Render<MudThemeProvider>(p => p.Add(x => x.Theme, CrmTheme.Theme).Add(x => x.IsDarkMode, true));
        Assert.NotEqual(light.Markup, dark.Markup);
        cut.MarkupMatches(light.Markup + CrmTheme.ChartStyle(false));
        cut.Render(p => p.Add(x => x.IsDarkMode, true));
        cut.MarkupMatches(dark.Markup + CrmTheme.ChartStyle(true));
    }

    [Fact]
    public async Task Charts_colours_follow_light_and_dark()
    {
        await using var context = new ComponentTestContext();
        var light = context.Bunit.Render<CrmThemeProvider>(p => p.Add(x => x.Theme, CrmTheme.Theme).Add(x => x.IsDarkMode, false)).Markup;
        var dark = context.Bunit.Render<CrmThemeProvider>(p => p.Add(x => x.Theme, CrmTheme.Theme).Add(x => x.IsDarkMode, true)).Markup;
        string Variable(string markup, int n)
        {
            var match = System.Text.RegularExpressions.Regex.Match(markup, $"--crm-chart-{n}:(#[0-9a-f]{{6}});");
            Assert.True(match.Success, $"--crm-chart-{n} is not set");
            return match.Groups[1].Value;
        }
        // The first colours are the theme's own primary and secondary, in each mode; every colour differs between modes.
        Assert.Equal(("#3b5bdb", "#748ffc", "#38d9a9"), (Variable(light, 1), Variable(dark, 1), Variable(dark, 2)));
        Assert.Contains("--mud-palette-primary: rgba(116,143,252,1)", dark); // #748ffc, the dark palette's primary
        for (var n = 1; n <= CrmTheme.ChartColors.Count; n++)
        {
            Assert.Equal($"var(--crm-chart-{n})", CrmTheme.ChartColors[n - 1]);
            Assert.NotEqual(Variable(light, n), Variable(dark, n));
        }
    }

    [Fact]
    public void Nav_links_are_shared_markup_with_the_active_link_marked()
    {
        using var context = new BunitContext();
        var nav = context.Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo("/t/acme/r/company/123");
        ShellMarkup.NavItem[] links =
        [
            new("/t/acme/r/company", Icons.Material.Outlined.Business, "Companies & co", "nav-entity-company"),
            new("/t/acme/r/contact", Icons.Material.Outlined.Person, "Contacts", null),
        ];
        var html = ShellMarkup.NavLinks(nav, links).Value;
        Assert.Same(html, ShellMarkup.NavLinks(nav, links).Value);
        Assert.Contains("<a href=\"/t/acme/r/company\" class=\"mud-nav-link mud-ripple active\" data-testid=\"nav-entity-company\">", html);
        Assert.Contains("<a href=\"/t/acme/r/contact\" class=\"mud-nav-link mud-ripple\">", html);
        Assert.Contains("Companies &amp; co", html);

        nav.NavigateTo("/t/acme/r/contact");
        var other = ShellMarkup.NavLinks(nav, links).Value;
        Assert.Contains("<a href=\"/t/acme/r/contact\" class=\"mud-nav-link mud-ripple active\">", other);
        Assert.Contains("<a href=\"/t/acme/r/company\" class=\"mud-nav-link mud-ripple\" data-testid", other);
    }
}
