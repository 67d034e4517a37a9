using Crm.Benchmarks;

// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- <kanban|reports|lists> [--reseed] [--scoped]
// --scoped: the same as a sales rep who sees one of ten departments (its own 100,000-deal workspace, see ScopedBenchmark).
// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- automation [--count N] [--trace]: N creates (default 10,000) with 5 rules vs none;
// --trace also prints the commands, opens and commits per create on each side
// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- import [--count N] [--profile]: a CSV of N leads (default 100,000, 12 columns) through ImportService vs a plain COPY
// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- customfields [--count N] [--fresh]: custom fields at column speed (issue 14):
// N opportunities (default 1,000,000) + 99 small workspaces in CRM_BENCH_PG's database + "_cf", app vs native typed columns; --fresh reloads;
// --trace prints the statements one app call of each scenario sends; --lists runs only the two list scenarios
// CRM_BENCH_PG holds a PostgreSQL connection string; the data is seeded once and reused on later runs.
// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- circuits [--tabs N]: memory per Blazor circuit
// (the app on its own SQLite file, Chromium at /usr/bin/chromium; no CRM_BENCH_PG needed).
// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- formulas [--count N] [--batch N] [--runs N]: our formula
// parser vs NCalc on seven formulas (agreement on N generated inputs, default 400; parse+eval and eval-only; no database).
var mode = args.FirstOrDefault() ?? "";
var reseed = args.Contains("--reseed");
switch (mode)
{
    case "circuits":
        var tabsAt = Array.IndexOf(args, "--tabs");
        var tabs = tabsAt > 0 && tabsAt + 1 < args.Length && int.TryParse(args[tabsAt + 1], out var n) && n > 0 ? n : 20;
        if (tabsAt > 0 && tabs != (int.TryParse(args.ElementAtOrDefault(tabsAt + 1), out var given) ? given : -1))
        {
            Console.Error.WriteLine("--tabs needs a positive number of tabs, e.g. --tabs 20");
            return 2;
        }
        return await CircuitsBenchmark.RunAsync(tabs);
    case "circuits-browser":
        return await CircuitsBrowser.RunChildAsync(args[1]);
    case "formulas":
        int Option(string name, int fallback) => Array.IndexOf(args, name) is var at and > 0 && int.TryParse(args.ElementAtOrDefault(at + 1), out var v) && v > 0 ? v : fallback;
        return FormulasBenchmark.Run(Option("--count", 400), Option("--batch", 10_000), Option("--runs", 15));
}
var connection = Environment.GetEnvironmentVariable("CRM_BENCH_PG");
if (string.IsNullOrWhiteSpace(connection))
{
    Console.Error.WriteLine("Set CRM_BENCH_PG to a PostgreSQL connection string, e.g. Host=localhost;Username=crm;Password=crm;Database=crm_bench");
    return 2;
}
if (args.Contains("--scoped") && mode is "kanban" or "reports" or "lists")
    return await ScopedBenchmark.RunAsync(connection, reseed, mode);
switch (mode)
{
    case "kanban":
        return await KanbanBenchmark.RunAsync(connection, reseed);
    case "reports":
        return await ReportsBenchmark.RunAsync(connection, reseed);
    case "lists":
        return await ListsBenchmark.RunAsync(connection, reseed);
    case "automation":
        var countAt = Array.IndexOf(args, "--count");
        var count = countAt > 0 && int.TryParse(args.ElementAtOrDefault(countAt + 1), out var c) && c > 0 ? c : 10_000;
        return await AutomationBenchmark.RunAsync(connection, count, args.Contains("--trace"));
    case "import":
        var rowsAt = Array.IndexOf(args, "--count");
        var rows = rowsAt > 0 && int.TryParse(args.ElementAtOrDefault(rowsAt + 1), out var r) && r > 0 ? r : 100_000;
        return await ImportBenchmark.RunAsync(connection, rows, args.Contains("--profile"));
    case "customfields":
        var cfAt = Array.IndexOf(args, "--count");
        var cfCount = cfAt > 0 && int.TryParse(args.ElementAtOrDefault(cfAt + 1), out var cf) && cf > 0 ? cf : 1_000_000;
        return await CustomFieldsBenchmark.RunAsync(connection, cfCount, args.Contains("--fresh"), args.Contains("--trace"), args.Contains("--lists"));
    default:
        Console.Error.WriteLine("usage: Crm.Benchmarks <kanban|reports|lists> [--reseed] [--scoped] | automation [--count N] | import [--count N] [--profile] | customfields [--count N] [--fresh] [--trace] [--lists] | circuits [--tabs N] | formulas [--count N] [--batch N] [--runs N]");
        return 2;
}
