using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Crm.Benchmarks;

/// <summary>
/// Counts what EF sends while switched on (<c>--trace</c>): commands (by their first words), connection opens and
/// commits, from EF's DiagnosticListener. Used to reason about round trips per create, which load does not blur.
/// Commands the interceptors send on their own (the tenant's set_config on open and after BEGIN) are counted per
/// open and per transaction begun.
/// </summary>
public sealed class CommandTrace : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
{
    private readonly ConcurrentDictionary<string, int> counts = new();
    public volatile bool On;
    /// <summary>Also print each command's whole text as it runs (the customfields lists' one traced call).</summary>
    public bool Full;

    public static CommandTrace Start()
    {
        var trace = new CommandTrace();
        DiagnosticListener.AllListeners.Subscribe(trace);
        return trace;
    }

    public void OnNext(DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name) listener.Subscribe(this);
    }

    public void OnNext(KeyValuePair<string, object?> e)
    {
        if (!On) return;
        if (Full && e.Key == RelationalEventId.CommandExecuted.Name && e.Value is CommandExecutedEventData full)
            Console.WriteLine("  sql: " + full.Command.CommandText.Replace("\n", "\n       "));
        string? key = e.Key switch
        {
            var k when k == RelationalEventId.CommandExecuted.Name && e.Value is CommandExecutedEventData c => "cmd " + Head(c.Command.CommandText),
            var k when k == RelationalEventId.ConnectionOpened.Name => "open (+set_config)",
            var k when k == RelationalEventId.TransactionStarted.Name => "begin (+set_config)",
            var k when k == RelationalEventId.TransactionCommitted.Name => "commit",
            var k when k == RelationalEventId.TransactionRolledBack.Name => "rollback",
            var k when k == RelationalEventId.CreatedTransactionSavepoint.Name => "savepoint",
            var k when k == RelationalEventId.ReleasedTransactionSavepoint.Name => "release savepoint",
            var k when k == RelationalEventId.RolledBackToTransactionSavepoint.Name => "rollback to savepoint",
            _ => null,
        };
        if (key is not null) counts.AddOrUpdate(key, 1, (_, n) => n + 1);
    }

    private static string Head(string sql)
    {
        var text = sql;
        var end = text.IndexOf("END$crm_tenant$;", StringComparison.Ordinal);
        if (end >= 0) text = text[(end + 16)..];
        text = text.Trim().Replace('\n', ' ');
        return text.Length > 70 ? text[..70] : text;
    }

    /// <summary>Prints the counts per create (divided by <paramref name="creates"/>; <paramref name="unit"/> names what was counted) and clears them.</summary>
    public void Print(string label, int creates, string unit = "create")
    {
        var total = 0.0;
        foreach (var (key, n) in counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key))
        {
            Console.WriteLine(FormattableString.Invariant($"  {label}: {n / (double)creates,6:0.00}  {key}"));
            total += n;
        }
        Console.WriteLine(FormattableString.Invariant($"  {label}: {total / creates,6:0.00}  events per {unit} in all"));
        counts.Clear();
    }

    public void OnCompleted() { }
    public void OnError(Exception error) { }
}
