using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Web.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Benchmarks;

/// <summary>
/// Issue 18: managed heap per Blazor circuit. The real app (this Release build) is hosted in this process on a
/// Kestrel port over a fresh SQLite workspace (b2b template with its sample data, 200 open deals on the board, the
/// deal list at 50 rows a page, the starter dashboard); Chromium is driven from a child process
/// (<see cref="CircuitsBrowser"/>), so Playwright's own objects are not in the heap measured here. For each page:
/// a full collection, N tabs opened, a full collection again; the difference over N is one circuit's share.
/// Then the tabs close and, past the (shortened) retention period, the heap must come back.
/// </summary>
public static class CircuitsBenchmark
{
    private const string Password = "secret-123";
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(5);

    private sealed record PageCase(string Name, string Path, string Ready);

    /// <summary>
    /// Measures every page <paramref name="runs"/> times with <paramref name="tabs"/> tabs each, printing each run's
    /// lines, then per page the median per-circuit figure and its spread (min–max) over the runs, since one run's
    /// figure moves by a couple of hundred KB with the heap it starts from.
    /// </summary>
    public static async Task<int> RunAsync(int tabs, int runs = 1)
    {
        var folder = Directory.CreateTempSubdirectory("crm-circuits-");
        // The app's content root (templates, static assets) is its project folder, found from the solution.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Crm.Saas.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("Run the circuits benchmark from the repository (Crm.Saas.sln not found above the build output).");
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_CRM_WEB", Path.Combine(root.FullName, "src", "Crm.Web"));
        await using var app = new CircuitsApp(Path.Combine(folder.FullName, "crm.db"), Retention);
        app.UseKestrel(0);
        app.StartServer();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
            .Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1");
        var (email, slug) = await SeedAsync(app.Services);

        PageCase[] pages =
        [
            new("board", $"/t/{slug}/board/opportunity",
                "document.querySelector(\"#kanban-board[data-ready='true'] .crm-card\") !== null"),
            new("list", $"/t/{slug}/r/opportunity",
                "document.querySelector(\"#record-list[data-ready='true']\") !== null && document.querySelectorAll('.crm-record-row').length >= 50"),
            new("dashboard", $"/t/{slug}/dashboards/sales_dashboard",
                "document.querySelector(\"#dashboard-page[data-ready='true']\") !== null && document.querySelectorAll(\".crm-widget-body[data-ready='false']\").length === 0 && document.querySelectorAll('.crm-widget-body').length > 0"),
        ];

        await using var browser = await CircuitsBrowser.StartAsync(address);
        await browser.SendAsync($"signin {email} {Password}");
        var circuits = app.Services.GetRequiredService<OpenCircuits>();

        // Warm-up: N tabs of each page (JIT, caches, and the pools that grow with the number of tabs loading at once:
        // pooled DbContexts, Kestrel's and SignalR's buffers), closed and expired before anything is measured. With one
        // tab the first page measured was charged for that growth: it stayed after its tabs closed (the board's
        // "after closing" was +6 MB for 10 tabs, docs/decisions.md "toolbars (circ18b)").
        foreach (var page in pages) await browser.SendAsync($"open {tabs} {page.Path} {page.Ready}");
        await browser.SendAsync("close");
        await WaitForCircuitsAsync(circuits, 0);

        var figures = pages.ToDictionary(p => p.Name, _ => new List<double>());
        for (var run = 1; run <= runs; run++)
        {
            foreach (var page in pages)
            {
                var before = await SettledHeapAsync();
                var median = double.Parse(await browser.SendAsync($"open {tabs} {page.Path} {page.Ready}"), CultureInfo.InvariantCulture);
                var open = circuits.Open;
                var after = await SettledHeapAsync();
                if (Environment.GetEnvironmentVariable("CRM_CIRCUITS_GCDUMP") is { Length: > 0 } tool)
                {
                    // Where the memory goes: a heap dump of this process with the tabs open (dotnet-gcdump at that path).
                    var dump = Path.Combine(Path.GetTempPath(), $"circuits-{page.Name}.gcdump");
                    using var collect = Process.Start(tool, ["collect", "-p", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "-o", dump])!;
                    await collect.WaitForExitAsync();
                }
                var perCircuit = (after - before) / 1024.0 / tabs;
                await browser.SendAsync("close");
                var released = await WaitForCircuitsAsync(circuits, 0);
                var closed = await SettledHeapAsync();
                figures[page.Name].Add(perCircuit);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"circuits/{page.Name}: {perCircuit:0} KB per circuit ({tabs} tabs{(runs > 1 ? $", run {run}/{runs}" : "")}), median {median:0} ms to content shown; "
                    + $"{open} circuits open; after closing and {released.TotalSeconds:0} s: {(closed - before) / 1024.0:0} KB above the start, {circuits.Open} circuits"));
            }
        }
        // Per page over the runs (printed for one run too, the same figure, so the line's format is always there to read).
        foreach (var page in pages)
        {
            var all = figures[page.Name].Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"circuits/{page.Name}: median {Median(all):0} KB per circuit over {runs} run{(runs == 1 ? "" : "s")} of {tabs} tabs, spread {all[0]:0}–{all[^1]:0} KB ({all[^1] - all[0]:0} KB)"));
        }

        // Screenshots of each page in English and Chinese, wide and narrow, after the measurements (CRM_CIRCUITS_SHOTS).
        if (Environment.GetEnvironmentVariable("CRM_CIRCUITS_SHOTS") is { Length: > 0 })
        {
            foreach (var page in pages) await browser.SendAsync($"shots 0 {page.Path} {page.Ready}");
            await WaitForCircuitsAsync(circuits, 0);
        }

        // Tabs that vanish without closing (a crashed browser, a dropped network) leave their circuits disconnected, not
        // closed: they are kept for a reconnect until the retention period ends, then released.
        var start = await SettledHeapAsync();
        await browser.SendAsync($"open {tabs} {pages[0].Path} {pages[0].Ready}");
        await browser.KillAsync();
        var lost = Stopwatch.StartNew();
        while (circuits.Connected > 0 && lost.Elapsed < TimeSpan.FromSeconds(Retention.TotalSeconds / 2)) await Task.Delay(50);
        var kept = circuits.Open;
        var gone = await WaitForCircuitsAsync(circuits, 0);
        var end = await SettledHeapAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"circuits/dropped: {tabs} board tabs lost without closing: {kept} circuits kept for a reconnect, all released after {gone.TotalSeconds:0.0} s "
            + $"(retention {Retention.TotalSeconds:0} s); heap {(end - start) / 1024.0:0} KB against before they opened"));
        try { folder.Delete(recursive: true); } catch (IOException) { /* SQLite may still hold the file; it is a temp folder */ }
        return 0;
    }

    /// <summary>The middle value of sorted figures (the mean of the two middle ones for an even count).</summary>
    private static double Median(IReadOnlyList<double> sorted)
        => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>
    /// The heap once it stops moving: Kestrel's memory pool and disposals of just-closed circuits settle over a few
    /// seconds, and measuring in the middle would count them against the next page.
    /// </summary>
    private static async Task<long> SettledHeapAsync()
    {
        var last = Heap();
        for (var i = 0; i < 15; i++)
        {
            await Task.Delay(1000);
            var now = Heap();
            if (Math.Abs(now - last) < 128 * 1024) return now;
            last = now;
        }
        return last;
    }

    /// <summary>The live managed heap after full, compacting collections (finalizers run in between).</summary>
    private static long Heap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Waits until the app holds <paramref name="count"/> circuits (closed tabs disconnect, then expire after the retention period).</summary>
    private static async Task<TimeSpan> WaitForCircuitsAsync(OpenCircuits circuits, int count)
    {
        var sw = Stopwatch.StartNew();
        while (circuits.Open != count)
        {
            if (sw.Elapsed > Retention * 4 + TimeSpan.FromSeconds(90)) throw new InvalidOperationException($"{circuits.Open} circuits still open {sw.Elapsed.TotalSeconds:0} s after the tabs closed.");
            await Task.Delay(250);
        }
        return sw.Elapsed;
    }

    private static async Task<(string Email, string Slug)> SeedAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var signup = await sp.GetRequiredService<WorkspaceService>().SignUpAsync(
            new SignupRequest("bench@crm.local", Password, "Wang Fang 王芳", "Circuits bench", "bench", "en"));
        if (!signup.Succeeded) throw new InvalidOperationException("Sign-up failed: " + signup.Errors);
        var actor = new Actor(signup.User!.Id, signup.User.DisplayName, signup.Tenant!, MemberRole.Owner);
        var entry = sp.GetRequiredService<TemplateCatalog>().Find("b2b_sales_funnel")!;
        var installed = await sp.GetRequiredService<TemplateInstaller>().InstallAsync(actor, entry.Document, new InstallOptions(WithSampleData: true));
        if (!installed.Succeeded) throw new InvalidOperationException("Template install failed: " + installed.Errors);
        await TemplateRules.ArchiveAsync(sp, actor);

        // 200 open deals in all: the samples' open ones plus new ones spread over the open stages.
        var metadata = await sp.GetRequiredService<MetadataStore>().GetAsync(actor.TenantId);
        var pipeline = metadata.Entity("opportunity")!.Pipeline("b2b")!;
        var openStages = pipeline.Stages.Where(s => s.Kind == StageKind.Open).ToList();
        var openIds = openStages.Select(s => s.Id).ToHashSet();
        int open;
        List<Guid> companies;
        var companyType = metadata.Entity("company")!.Entity.Id;
        await using (var db = sp.GetRequiredService<ICrmDbContextFactory>().CreateForTenant(actor.TenantId))
        {
            open = await db.Records.CountAsync(r => r.StageId != null && openIds.Contains(r.StageId.Value));
            companies = await db.Records.Where(r => r.EntityTypeId == companyType).Select(r => r.Id).ToListAsync();
        }
        var records = sp.GetRequiredService<RecordService>();
        var random = new Random(18);
        for (var i = open; i < 200; i++)
        {
            var stage = openStages[i % openStages.Count].Key;
            var input = new RecordInput(new JsonObject
            {
                ["name"] = $"商机 {i:000} 华东区域 CRM 项目",
                ["company"] = companies[i % companies.Count].ToString(),
                ["amount"] = random.Next(1, 500) * 1000,
                ["expected_close"] = DateTime.UtcNow.Date.AddDays(random.Next(-20, 90)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["owner"] = actor.UserId.ToString(),
                ["stage"] = stage,
                ["source"] = "website",
                ["next_step"] = "电话回访",
            }) { Pipeline = "b2b" };
            var result = await records.CreateAsync(actor, "opportunity", input);
            if (result.Record is null) throw new InvalidOperationException("Deal not created: " + result.Errors);
        }

        // The deal list shows 50 rows a page.
        var views = sp.GetRequiredService<SavedViewService>();
        var list = await views.ResolveAsync(actor, "opportunity", null) ?? throw new InvalidOperationException("No deal list view.");
        var saved = await views.UpdateAsync(actor, list.Id, list.Definition with { PageSize = 50 });
        if (!saved.Succeeded) throw new InvalidOperationException("View not saved: " + saved.Errors);
        return (signup.User.Email!, signup.Tenant!.Identifier);
    }

    /// <summary>The app's own Program, on its own SQLite file, with a short circuit retention so closed tabs expire during the run.</summary>
    private sealed class CircuitsApp(string databasePath, TimeSpan retention) : WebApplicationFactory<DemoOptions>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // Development only so that a non-published build serves its static assets; nothing else depends on it here.
            builder.UseEnvironment("Development");
            builder.UseSetting("Database:Provider", "Sqlite");
            builder.UseSetting("Database:ConnectionString", $"Data Source={databasePath}");
            builder.UseSetting("Demo:Seed", "false");
            builder.UseSetting("Circuits:DisconnectedRetention", retention.ToString("c", CultureInfo.InvariantCulture));
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Error");
            builder.UseSetting("Logging:Format", "text");
        }
    }
}
