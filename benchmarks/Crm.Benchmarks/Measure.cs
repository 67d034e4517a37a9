using System.Diagnostics;

namespace Crm.Benchmarks;

/// <summary>Timing: warm-up runs, then the median of measured runs (robust to a noisy machine).</summary>
public static class Measure
{
    public static async Task<double> MedianMillisecondsAsync(Func<Task> run, int warmup = 5, int iterations = 30)
    {
        for (var i = 0; i < warmup; i++) await run();
        var samples = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            await run();
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }

    /// <summary>The line the issues ask for: "&lt;name&gt;: app &lt;ms&gt; ms, sql &lt;ms&gt; ms, ratio &lt;app/sql&gt;".</summary>
    public static string Line(string name, double app, double sql)
        => FormattableString.Invariant($"{name}: app {app:0.0} ms, sql {sql:0.0} ms, ratio {app / sql:0.00}");
}
