using System.Diagnostics;
using System.Globalization;
using Crm.Core.Records;
using NCalc;

namespace Crm.Benchmarks;

/// <summary>
/// Issue 13's "pick a maintained expression library or keep the hand-written parser — decide by measurement":
/// seven realistic formulas written once in our syntax (<see cref="FormulaExpression"/>) and once in NCalc's
/// (NCalcSync 7.4.0), checked to agree on generated inputs (blanks included), then timed per formula for
/// parse+eval (what <c>RecordWriter</c> does on every write: it parses the stored expression each time) and for
/// eval-only (the expression parsed once and reused). In the printed lines "app" is our parser and "sql" is NCalc
/// (the shared line format of the benchmarks; no database is used). Needs no CRM_BENCH_PG.
/// </summary>
public static class FormulasBenchmark
{
    /// <summary>NCalc's options that come closest to our rules: decimal arithmetic (money), blanks allowed as
    /// parameters (then arithmetic with a blank gives blank, a blank compares false), ROUND half away from zero (as
    /// ours), ordinal string comparison.</summary>
    private const ExpressionOptions NCalcOptions = ExpressionOptions.DecimalAsDefault | ExpressionOptions.AllowNullParameter
        | ExpressionOptions.RoundAwayFromZero | ExpressionOptions.OrdinalStringComparer;

    /// <summary>The formulas: name, ours, NCalc's. NCalc has no CONCAT that skips blanks and no date difference in
    /// days, so those two are registered as custom functions (<see cref="AddFunctions"/>), as the product would
    /// have to; its ROUND of a blank throws, so the blank test is spelled out where ours gives blank by itself.</summary>
    private static readonly (string Name, string Ours, string NCalc)[] Formulas =
    [
        ("line_total", "ROUND(qty * price * (1 - discount / 100), 2)",
            "if(qty == null || price == null || discount == null, null, Round(qty * price * (1 - discount / 100), 2))"),
        ("weighted", "IF(AND(stage <> \"lost\", amount > 0), amount * probability / 100, 0)",
            "if(stage != 'lost' && amount > 0, amount * probability / 100, 0)"),
        ("title", "CONCAT(company, \" - \", name)", "concat(company, ' - ', name)"),
        ("age_days", "DAYS(close, created)", "days(close, created)"),
        ("big_deal", "amount >= 100000", "amount >= 100000"),
        ("margin", "IF(cost = 0, 0, ROUND((amount - cost) / cost * 100, 1))",
            "if(cost == 0, 0, if(amount == null || cost == null, null, Round((amount - cost) / cost * 100, 1)))"),
        ("priority", "IF(OR(stage = \"won\", amount > 500000), \"A\", IF(amount > 100000, \"B\", \"C\"))",
            "if(stage == 'won' || amount > 500000, 'A', if(amount > 100000, 'B', 'C'))"),
    ];

    private static readonly string[] Fields = ["qty", "price", "discount", "stage", "amount", "probability", "company", "name", "close", "created", "cost"];

    public static int Run(int inputs, int batch, int runs)
    {
        var data = Generate(inputs, new Random(13));
        var ourScopes = data.Select(d => new Scope(d)).ToArray();
        var ncalcParameters = data.Select(d => d.ToDictionary(kv => kv.Key, kv => kv.Value is DateOnly date ? date.ToDateTime(TimeOnly.MinValue) : kv.Value)).ToArray();

        // Agreement first: every formula, every input, the same value (numbers compared as decimals).
        var failed = false;
        foreach (var (name, ours, ncalc) in Formulas)
        {
            var parsed = FormulaExpression.Parse(ours);
            var expression = NewNCalc(ncalc, cache: true);
            for (var i = 0; i < data.Length; i++)
            {
                var a = Normalise(parsed.Evaluate(ourScopes[i]));
                var b = Normalise(EvaluateNCalc(expression, ncalcParameters[i]));
                if (!Equals(a, b))
                {
                    Console.Error.WriteLine($"formulas/{name}: disagree on input {i} ({Describe(data[i])}): ours {a ?? "blank"}, NCalc {b ?? "blank"}");
                    failed = true;
                    break;
                }
            }
        }
        if (failed) return 1;

        Console.WriteLine($"formulas: app = our FormulaExpression, sql = NCalcSync 7.4.0 (no database); ms per {batch:N0} evaluations over {inputs} generated inputs, median of {runs} interleaved runs; all {Formulas.Length} formulas agree on all {inputs} inputs");
        Console.WriteLine($"load: {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var (name, ours, ncalc) in Formulas)
        {
            // parse+eval: a fresh parse for every evaluation (NCalc's cache off, or it would parse once).
            var (app, sql) = Interleaved(
                () => { for (var i = 0; i < batch; i++) FormulaExpression.Parse(ours).Evaluate(ourScopes[i % inputs]); },
                () => { for (var i = 0; i < batch; i++) EvaluateNCalc(NewNCalc(ncalc, cache: false), ncalcParameters[i % inputs]); },
                runs);
            Console.WriteLine(Line($"formulas/{name}/parse+eval", app, sql));

            // eval-only: parsed once, evaluated many times (ours: the tree; NCalc: one Expression, parameters reset).
            var parsed = FormulaExpression.Parse(ours);
            var expression = NewNCalc(ncalc, cache: true);
            (app, sql) = Interleaved(
                () => { for (var i = 0; i < batch; i++) parsed.Evaluate(ourScopes[i % inputs]); },
                () => { for (var i = 0; i < batch; i++) EvaluateNCalc(expression, ncalcParameters[i % inputs]); },
                runs);
            Console.WriteLine(Line($"formulas/{name}/eval", app, sql));
        }
        return 0;
    }

    private static string Line(string name, double app, double sql)
        => FormattableString.Invariant($"{name}: app {app:0.00} ms, sql {sql:0.00} ms, ratio {app / sql:0.00}");

    private static (double A, double B) Interleaved(Action a, Action b, int runs)
    {
        for (var i = 0; i < 3; i++) { a(); b(); }
        var (sa, sb) = (new List<double>(runs), new List<double>(runs));
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            a();
            sa.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            b();
            sb.Add(sw.Elapsed.TotalMilliseconds);
        }
        sa.Sort();
        sb.Sort();
        return (sa[runs / 2], sb[runs / 2]);
    }

    private static Expression NewNCalc(string text, bool cache)
    {
        var e = new Expression(text, CultureInfo.InvariantCulture) { Options = cache ? NCalcOptions : NCalcOptions | ExpressionOptions.NoCache };
        AddFunctions(e);
        return e;
    }

    private static void AddFunctions(Expression e)
    {
        e.Functions["concat"] = args =>
        {
            var text = new System.Text.StringBuilder();
            for (var i = 0; i < args.Count; i++)
                if (args.Evaluate(i) is { } v) text.Append(v is decimal d ? d.ToString("0.##########", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture));
            return text.ToString();
        };
        e.Functions["days"] = args => args.Evaluate(0) is DateTime end && args.Evaluate(1) is DateTime start ? (decimal)(end.Date - start.Date).TotalDays : null;
    }

    private static object? EvaluateNCalc(Expression e, Dictionary<string, object?> parameters)
    {
        foreach (var (key, value) in parameters) e.Parameters[key] = value;
        return e.Evaluate();
    }

    private static object? Normalise(object? value) => value switch
    {
        null => null,
        decimal d => d / 1.000000000000000000000000000000000m, // trailing zeros off: 3.10 and 3.1 are the same number
        int or long or double => Convert.ToDecimal(value, CultureInfo.InvariantCulture) / 1.000000000000000000000000000000000m,
        _ => value,
    };

    private static string Describe(Dictionary<string, object?> input) => string.Join(", ", input.Select(kv => $"{kv.Key}={kv.Value ?? "blank"}"));

    /// <summary>Inputs as a form would send them: about one value in eight blank, money with cents, stage keys.</summary>
    private static Dictionary<string, object?>[] Generate(int count, Random random)
    {
        string[] stages = ["lead", "qualified", "proposal", "won", "lost"];
        string[] companies = ["华东机械", "Acme", "北辰科技", "Globex"];
        var start = new DateOnly(2026, 1, 1);
        object? Maybe(object? v) => random.Next(8) == 0 ? null : v;
        return Enumerable.Range(0, count).Select(_ =>
        {
            var created = start.AddDays(random.Next(0, 300));
            return new Dictionary<string, object?>
            {
                ["qty"] = Maybe((decimal)random.Next(1, 50)),
                ["price"] = Maybe(Math.Round((decimal)random.NextDouble() * 5000m, 2)),
                ["discount"] = Maybe((decimal)random.Next(0, 30)),
                ["stage"] = Maybe(stages[random.Next(stages.Length)]),
                ["amount"] = Maybe(Math.Round((decimal)random.NextDouble() * 900_000m, 2)),
                ["probability"] = Maybe((decimal)random.Next(0, 101)),
                ["company"] = Maybe(companies[random.Next(companies.Length)]),
                ["name"] = Maybe($"Deal {random.Next(1000)}"),
                ["close"] = Maybe(created.AddDays(random.Next(-20, 120))),
                ["created"] = Maybe(created),
                ["cost"] = Maybe(random.Next(10) == 0 ? 0m : Math.Round((decimal)random.NextDouble() * 500_000m, 2)),
            };
        }).ToArray();
    }

    private sealed class Scope(Dictionary<string, object?> values) : IFormulaScope
    {
        public object? Value(string reference) => values.GetValueOrDefault(reference);
        public IReadOnlyList<object?>? List(string reference) => null;
        public DateOnly Today => new(2026, 12, 5);
        public IReadOnlyList<IFormulaScope> Related(string entity, string lookup) => [];
    }
}
