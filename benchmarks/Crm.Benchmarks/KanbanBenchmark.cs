namespace Crm.Benchmarks;

/// <summary>Board load (all columns: first 50 cards, counts, sums) through the app's query code vs hand-written SQL.</summary>
public static class KanbanBenchmark
{
    public static Task<int> RunAsync(string connection, bool reseed)
    {
        Console.Error.WriteLine("kanban: not built yet (the board query lands with the Kanban work).");
        return Task.FromResult(1);
    }
}
