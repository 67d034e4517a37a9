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
// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- circuits [--tabs N] [--runs N]: memory per Blazor circuit
// (the app on its own SQLite file, Chromium at /usr/bin/chromium; no CRM_BENCH_PG needed); N tabs (default 25) per page,
// N runs (default 1) each printed, then per page the median and the spread (min–max) over the runs.
// dotnet run -c Release --project benchmarks/Crm.Benchmarks -- formulas [--count N] [--batch N] [--runs N]: our formula
// parser vs NCalc on seven formulas (agreement on N generated inputs, default 400; parse+eval and eval-only; no database).
var mode = args.FirstOrDefault() ?? "";
var reseed = args.Contains("--reseed");
switch (mode)
{
    case "circuits":
        // 25 tabs by default: the heap before the tabs moves by a few MB between measurements, and more tabs divide that noise.
        int? PositiveOption(string name, int fallback)
        {
            var at = Array.IndexOf(args, name);
            if (at < 0) return fallback;
            if (int.TryParse(args.ElementAtOrDefault(at + 1), out var v) && v > 0) return v;
            Console.Error.WriteLine($"{name} needs a positive number, e.g. {name} {fallback}");
            return null;
        }
        if (PositiveOption("--tabs", 25) is not { } tabs || PositiveOption("--runs", 1) is not { } runs) return 2;
        return await CircuitsBenchmark.RunAsync(tabs, runs);
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
        Console.Error.WriteLine("usage: Crm.Benchmarks <kanban|reports|lists> [--reseed] [--scoped] | automation [--count N] | import [--count N] [--profile] | customfields [--count N] [--fresh] [--trace] [--lists] | circuits [--tabs N] [--runs N] | formulas [--count N] [--batch N] [--runs N]");
        return 2;
}
