using System.Diagnostics;
using Npgsql;

namespace Crm.Benchmarks;

/// <summary>Timing (warm-up, then medians of interleaved runs: robust to a noisy machine) and database preparation shared by the benchmarks.</summary>
public static class Measure
{
    /// <summary>
    /// Median timings of two runs taken turn about (warm-up first), so a machine busy with other work slows both
    /// alike instead of whichever happened to run during the busy spell; also the fastest of each.
    /// </summary>
    public static async Task<(double A, double B, double MinA, double MinB)> InterleavedAsync(Func<Task> a, Func<Task> b, int warmup = 5, int iterations = 31)
    {
        for (var i = 0; i < warmup; i++) { await a(); await b(); }
        var (sa, sb) = (new List<double>(iterations), new List<double>(iterations));
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            await a();
            sa.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            await b();
            sb.Add(sw.Elapsed.TotalMilliseconds);
        }
        sa.Sort();
        sb.Sort();
        return (sa[sa.Count / 2], sb[sb.Count / 2], sa[0], sb[0]);
    }

    /// <summary>
    /// VACUUM (ANALYZE) of <paramref name="tables"/>, as a production database has after autovacuum: fresh
    /// statistics, and a visibility map that lets counts and sums come from indexes alone, for the app and the
    /// hand-written SQL alike. Cheap when nothing changed.
    /// </summary>
    public static async Task VacuumAsync(string connection, params string[] tables)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        foreach (var table in tables)
        {
            // One statement per command: VACUUM cannot run in a batch.
            await using var vacuum = new NpgsqlCommand($"VACUUM (ANALYZE) {table}", conn) { CommandTimeout = 3600 };
            await vacuum.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The line the issues ask for: "&lt;name&gt;: app &lt;ms&gt; ms, sql &lt;ms&gt; ms, ratio &lt;app/sql&gt;".</summary>
    public static string Line(string name, double app, double sql)
        => FormattableString.Invariant($"{name}: app {app:0.0} ms, sql {sql:0.0} ms, ratio {app / sql:0.00}");
}
