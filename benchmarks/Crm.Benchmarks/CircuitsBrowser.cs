using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;

namespace Crm.Benchmarks;

/// <summary>
/// Headless Chromium for the circuits benchmark, driven from a child process (this program in mode
/// <c>circuits-browser</c>) so that Playwright's objects stay out of the measured heap. One command a line on
/// stdin, one answer a line on stdout ("ok [value]" or "error message").
/// </summary>
public sealed class CircuitsBrowser : IAsyncDisposable
{
    private readonly Process _process;

    private CircuitsBrowser(Process process) => _process = process;

    public static Task<CircuitsBrowser> StartAsync(string baseAddress)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        // Under `dotnet Crm.Benchmarks.dll` the process is dotnet itself: pass the assembly again.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(CircuitsBrowser).Assembly.Location);
        start.ArgumentList.Add("circuits-browser");
        start.ArgumentList.Add(baseAddress);
        return Task.FromResult(new CircuitsBrowser(Process.Start(start)!));
    }

    /// <summary>Sends one command and returns the value of its "ok" answer.</summary>
    public async Task<string> SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var answer = await _process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException($"The browser process ended during '{command}'.");
        if (!answer.StartsWith("ok", StringComparison.Ordinal)) throw new InvalidOperationException($"'{command}': {answer}");
        return answer.Length > 3 ? answer[3..] : "";
    }

    /// <summary>Ends the browser abruptly (this child, its Playwright driver and Chromium): its tabs drop without closing.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await _process.StandardInput.WriteLineAsync("quit");
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    /// <summary>The child: signin &lt;email&gt; &lt;password&gt; | open &lt;n&gt; &lt;path&gt; &lt;ready JS&gt; | close | quit.</summary>
    public static async Task<int> RunChildAsync(string baseAddress)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress, BypassCSP = true, Locale = "en-US", ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(60_000);
        var pages = new List<IPage>();
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', 4);
            try
            {
                switch (parts[0])
                {
                    case "signin":
                        var login = await context.NewPageAsync();
                        await login.GotoAsync("/account/login");
                        await login.Locator("#login-form[data-ready='true']").WaitForAsync();
                        await login.Locator("#email").FillAsync(parts[1]);
                        await login.Locator("#password").FillAsync(parts[2]);
                        await login.Locator("#login-submit").ClickAsync();
                        await login.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
                        await login.CloseAsync();
                        Console.WriteLine("ok");
                        break;
                    case "open":
                        var times = new List<double>();
                        for (var i = 0; i < int.Parse(parts[1], CultureInfo.InvariantCulture); i++)
                        {
                            var page = await context.NewPageAsync();
                            var sw = Stopwatch.StartNew();
                            await page.GotoAsync(parts[2]);
                            await page.WaitForFunctionAsync(parts[3], null, new PageWaitForFunctionOptions { PollingInterval = 20 });
                            times.Add(sw.Elapsed.TotalMilliseconds);
                            pages.Add(page);
                        }
                        if (Environment.GetEnvironmentVariable("CRM_CIRCUITS_SHOTS") is { Length: > 0 } shots && pages.Count > 0)
                        {
                            // How the page looks (README, reviews): the first tab of each page, once its content is shown.
                            var name = parts[2].Trim('/').Split('/')[2];
                            await pages[^int.Parse(parts[1], CultureInfo.InvariantCulture)].ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, name + ".png") });
                        }
                        times.Sort();
                        Console.WriteLine(FormattableString.Invariant($"ok {times[times.Count / 2]:0.0}"));
                        break;
                    case "shots":
                    {
                        // "shots 0 <path> <ready>": the page in English and Chinese, wide and narrow (a phone), each
                        // in a tab of its own once its content is shown; the language is chosen as a person does
                        // (the culture cookie) and set back to English after.
                        var folder = Environment.GetEnvironmentVariable("CRM_CIRCUITS_SHOTS")!;
                        var name = parts[2].Trim('/').Split('/')[2];
                        foreach (var (culture, width, height) in new[] { ("en", 1440, 900), ("en", 390, 844), ("zh-CN", 1440, 900), ("zh-CN", 390, 844) })
                        {
                            var shot = await context.NewPageAsync();
                            await shot.SetViewportSizeAsync(width, height);
                            await shot.GotoAsync($"/culture/set?culture={culture}&returnUrl={Uri.EscapeDataString(parts[2])}");
                            await shot.WaitForFunctionAsync(parts[3], null, new PageWaitForFunctionOptions { PollingInterval = 50 });
                            await shot.WaitForTimeoutAsync(800);
                            await shot.ScreenshotAsync(new PageScreenshotOptions
                            {
                                Path = Path.Combine(folder, $"{name}-{culture}-{(width < 600 ? "narrow" : "wide")}.png"),
                                FullPage = width < 600,
                            });
                            await shot.CloseAsync();
                        }
                        var back = await context.NewPageAsync();
                        await back.GotoAsync($"/culture/set?culture=en&returnUrl={Uri.EscapeDataString(parts[2])}");
                        // Dark mode, wide, as the theme toggle leaves it (its cookie), then light again.
                        await back.EvaluateAsync("document.cookie = 'crm-theme=dark; path=/'");
                        await back.SetViewportSizeAsync(1440, 900);
                        await back.GotoAsync(parts[2]);
                        await back.WaitForFunctionAsync(parts[3], null, new PageWaitForFunctionOptions { PollingInterval = 50 });
                        await back.WaitForTimeoutAsync(800);
                        await back.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}-en-dark-wide.png") });
                        await back.EvaluateAsync("document.cookie = 'crm-theme=light; path=/'");
                        await back.CloseAsync();
                        Console.WriteLine("ok");
                        break;
                    }
                    case "close":
                        foreach (var page in pages) await page.CloseAsync();
                        pages.Clear();
                        Console.WriteLine("ok");
                        break;
                    case "quit":
                        Console.WriteLine("ok");
                        return 0;
                    default:
                        Console.WriteLine("error unknown command " + parts[0]);
                        break;
                }
            }
            catch (Exception e)
            {
                Console.WriteLine("error " + e.Message.ReplaceLineEndings(" "));
            }
        }
        return 0;
    }
}
