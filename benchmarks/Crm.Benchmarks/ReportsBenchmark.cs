namespace Crm.Benchmarks;

/// <summary>Funnel, pipeline value, win rate and a custom-field group-by through the app's report code vs hand-written SQL.</summary>
public static class ReportsBenchmark
{
    public static Task<int> RunAsync(string connection, bool reseed)
    {
        Console.Error.WriteLine("reports: not built yet (the report engine lands with the reports work).");
        return Task.FromResult(1);
    }
}
