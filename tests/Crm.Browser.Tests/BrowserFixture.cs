using System.Collections.Concurrent;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Browser.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright (never <c>playwright install</c>), and the app hosted in-process on a
/// real Kestrel port per database provider.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private readonly ConcurrentDictionary<string, Lazy<Task<RunningApp>>> _apps = new();
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = default!;

    /// <summary>Every app the browser tests started (one per provider), for the server errors in a timeout's message.</summary>
    internal static ConcurrentBag<CrmAppFactory> Factories { get; } = [];

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"Browser tests need Chromium at {ChromiumPath} (apt-get install chromium).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public Task<RunningApp> AppAsync(string provider)
        => _apps.GetOrAdd(provider, p => new Lazy<Task<RunningApp>>(async () =>
        {
            var factory = new CrmAppFactory(await TestDatabase.GetAsync(p));
            factory.UseKestrel(0);
            factory.StartServer();
            Factories.Add(factory);
            var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new RunningApp(factory, new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1")));
        })).Value;

    /// <summary>A fresh browser profile (own cookies) on <paramref name="app"/>, in English, desktop size.</summary>
    public async Task<IBrowserContext> NewContextAsync(RunningApp app, string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseAddress.ToString().TrimEnd('/'),
            Locale = locale,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        context.SetDefaultTimeout(20_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        foreach (var app in _apps.Values.Where(a => a.IsValueCreated && a.Value.IsCompletedSuccessfully))
            await app.Value.Result.Factory.DisposeAsync();
    }
}

public static class PageReady
{
    /// <summary>
    /// Opens the MudSelect <paramref name="control"/> and picks the item whose text is exactly <paramref name="option"/>;
    /// the page may still be settling (a re-render replaces the control), so the click is tried again.
    /// </summary>
    public static async Task ChooseAsync(this IPage page, string control, string option)
    {
        var item = page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{System.Text.RegularExpressions.Regex.Escape(option)}\\s*$") }).First;
        for (var attempt = 0; attempt < 3 && !await item.IsVisibleAsync(); attempt++)
        {
            try { await page.Locator(control).ClickAsync(new() { Timeout = 10_000 }); } catch (TimeoutException) { continue; }
            try { await item.WaitForAsync(new() { Timeout = 5_000 }); } catch (TimeoutException) { }
        }
        await item.ClickAsync();
    }

    /// <summary>
    /// Waits until the page's root element <paramref name="selector"/> says <c>data-ready="true"</c> (loaded and
    /// interactive). Under CI's load (three test assemblies at once on two CPUs) a first render can take well over
    /// the default 20 s, so this waits up to 60 s; when it still times out, the message says where the page was,
    /// whether Blazor showed its error or reconnect UI, and what the server logged at Error.
    /// </summary>
    public static async Task ReadyAsync(this IPage page, string selector, float timeout = 60_000)
    {
        try
        {
            await page.Locator($"{selector}[data-ready='true']").WaitForAsync(new() { Timeout = timeout });
        }
        catch (TimeoutException e)
        {
            var ready = await page.Locator(selector).GetAttributeAsync("data-ready", new() { Timeout = 1_000 }).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result ?? "(no attribute)" : "(element missing)");
            var reconnect = await page.Locator("#components-reconnect-modal[open]").CountAsync() > 0;
            var errors = BrowserFixture.Factories.SelectMany(f => f.Errors).ToList();
            throw new TimeoutException(
                $"{selector} was not ready after {timeout} ms at {page.Url} (data-ready: {ready}; reconnect dialog open: {reconnect}); "
                + (errors.Count == 0 ? "the server logged no errors." : "server errors:\n" + string.Join("\n", errors)), e);
        }
    }
}

public sealed record RunningApp(CrmAppFactory Factory, Uri BaseAddress);

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>Workspaces for browser tests: signed up through the app's own service, starter templates installed.</summary>
public static class BrowserWorkspaces
{
    /// <summary>
    /// Signs up <paramref name="name"/> (its owner speaks <paramref name="culture"/>) and installs
    /// <paramref name="templates"/>, with their sample data when <paramref name="samples"/>.
    /// </summary>
    public static async Task<(SignedUp Owner, Crm.Core.Security.Actor Actor)> WorkspaceAsync(this RunningApp app, string name, bool samples,
        string[] templates, string culture = "en", string? email = null, string? displayName = null)
    {
        var owner = await app.Factory.SignUpAsync(name, culture: culture, email: email, displayName: displayName);
        var actor = new Crm.Core.Security.Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, Crm.Core.Tenancy.MemberRole.Owner);
        var catalog = app.Factory.Services.GetRequiredService<Crm.Core.Templates.TemplateCatalog>();
        var installer = app.Factory.Services.GetRequiredService<Crm.Core.Templates.TemplateInstaller>();
        foreach (var id in templates)
        {
            var result = await installer.InstallAsync(actor, catalog.Find(id)!.Document, new Crm.Core.Templates.InstallOptions(WithSampleData: samples));
            Assert.True(result.Succeeded, result.Errors.ToString());
        }
        return (owner, actor);
    }
}
