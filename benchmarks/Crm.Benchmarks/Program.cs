using Crm.Benchmarks;

// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- <kanban|reports|lists> [--reseed]
// CRM_BENCH_PG holds a PostgreSQL connection string; the data is seeded once and reused on later runs.
var mode = args.FirstOrDefault() ?? "";
var reseed = args.Contains("--reseed");
var connection = Environment.GetEnvironmentVariable("CRM_BENCH_PG");
if (string.IsNullOrWhiteSpace(connection))
{
    Console.Error.WriteLine("Set CRM_BENCH_PG to a PostgreSQL connection string, e.g. Host=localhost;Username=crm;Password=crm;Database=crm_bench");
    return 2;
}
switch (mode)
{
    case "kanban":
        return await KanbanBenchmark.RunAsync(connection, reseed);
    case "reports":
        return await ReportsBenchmark.RunAsync(connection, reseed);
    case "lists":
        return await ListsBenchmark.RunAsync(connection, reseed);
    default:
        Console.Error.WriteLine("usage: Crm.Benchmarks <kanban|reports|lists> [--reseed]");
        return 2;
}
