using System.Collections.Concurrent;
using System.Diagnostics;

namespace Crm.Core.Data;

/// <summary>
/// Opt-in timings of the bulk write path (the import benchmark's <c>--profile</c>): milliseconds per named section
/// (client work per write step, COPY and INSERT … SELECT per table) and, for each INSERT … SELECT, PostgreSQL's own
/// account from <c>EXPLAIN ANALYZE</c> (execution time, time in each foreign key's trigger). Off by default: then
/// every call is one branch on a static field and nothing is measured.
/// </summary>
public static class WriteProfile
{
    private static readonly ConcurrentDictionary<string, (double Ms, long Calls)> sections = new(StringComparer.Ordinal);

    public static bool Enabled { get; set; }

    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    public static void Stop(string section, long started, long calls = 1)
    {
        if (!Enabled) return;
        Add(section, Stopwatch.GetElapsedTime(started).TotalMilliseconds, calls);
    }

    public static void Add(string section, double ms, long calls = 1)
        => sections.AddOrUpdate(section, (ms, calls), (_, v) => (v.Ms + ms, v.Calls + calls));

    public static IReadOnlyList<(string Section, double Ms, long Calls)> Snapshot()
        => sections.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value.Ms, s.Value.Calls)).ToList();

    public static void Reset() => sections.Clear();
}
