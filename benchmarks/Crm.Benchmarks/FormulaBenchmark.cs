using System.Diagnostics;
using System.Globalization;
using Crm.Core.Records;
using NCalc;
using NCalc.Handlers;

namespace Crm.Benchmarks;

/// <summary>
/// formula13: the hand-written formula language (<see cref="FormulaExpression"/>) against NCalc (NCalcSync 7.4) on
/// a realistic set of seven formulas, written in each language's own syntax with the same meaning (NCalc lacks
/// CONCAT/TEXT/DATEADD/DAYS, given to it as custom functions, and has two-argument Min/Max). Two measures per
/// side: parse + evaluate (a formula seen for the first time, NCalc's cache off) and evaluate of a parsed formula
/// over changing values (what a write does per record). No database. Prints
/// <c>formula/&lt;measure&gt;: app X ms, ncalc Y ms, ratio R</c>.
/// </summary>
public static class FormulaBenchmark
{
    private static readonly (string App, string NCalc)[] Set =
    [
        ("amount * probability / 100", "amount * probability / 100"),
        ("IF(cost = 0, 0, ROUND((amount - cost) / cost * 100, 2))", "if(cost = 0, 0, Round((amount - cost) / cost * 100, 2))"),
        ("IF(AND(amount >= 100000, stage <> \"lost\"), \"big\", \"small\")", "if(amount >= 100000 and stage != 'lost', 'big', 'small')"),
        ("CONCAT(name, \" - \", TEXT(amount, \"0.00\"))", "CONCAT(name, ' - ', TEXT(amount, '0.00'))"),
        ("DATEADD(close, 7, \"d\")", "DATEADD(close, 7)"),
        ("DAYS(close, start)", "DAYS(close, start)"),
        ("MAX(amount, cost, 0) - MIN(amount, cost)", "Max(Max(amount, cost), 0) - Min(amount, cost)"),
    ];

    private sealed class Values(int i) : IFormulaScope
    {
        public readonly decimal Amount = 1000 + i % 200000;
        public readonly decimal Cost = 500 + i % 7000;
        public object? Value(string reference) => reference switch
        {
            "amount" => Amount,
            "cost" => Cost,
            "probability" => (decimal)(i % 100),
            "stage" => i % 3 == 0 ? "lost" : "won",
            "name" => "Deal",
            "close" => new DateOnly(2026, 1, 1).AddDays(i % 365),
            "start" => new DateOnly(2025, 6, 1),
            _ => null,
        };
        public IReadOnlyList<object?>? List(string reference) => null;
        public DateOnly Today => new(2026, 12, 4);
        public IReadOnlyList<IFormulaScope> Related(string entity, string lookup) => [];
    }

    private static void SetParameters(Expression e, Values v)
    {
        e.Parameters["amount"] = v.Amount;
        e.Parameters["cost"] = v.Cost;
        e.Parameters["probability"] = v.Value("probability");
        e.Parameters["stage"] = v.Value("stage");
        e.Parameters["name"] = "Deal";
        e.Parameters["close"] = ((DateOnly)v.Value("close")!).ToDateTime(TimeOnly.MinValue);
        e.Parameters["start"] = new DateTime(2025, 6, 1);
    }

    private static void Functions(string name, FunctionArgs args)
    {
        var p = args.EvaluateParameters();
        args.Result = name switch
        {
            "CONCAT" => string.Concat(p.Select(x => x?.ToString())),
            "TEXT" => Convert.ToDecimal(p[0], CultureInfo.InvariantCulture).ToString((string)p[1]!, CultureInfo.InvariantCulture),
            "DATEADD" => ((DateTime)p[0]!).AddDays(Convert.ToDouble(p[1], CultureInfo.InvariantCulture)),
            "DAYS" => (decimal)((DateTime)p[0]! - (DateTime)p[1]!).TotalDays,
            _ => args.Result,
        };
    }

    private static Expression NCalcExpression(string text, bool cache)
    {
        var e = new Expression(text, cache ? ExpressionOptions.None : ExpressionOptions.NoCache);
        e.EvaluateFunction += Functions;
        return e;
    }

    public static int Run(int count)
    {
        // The two sides must agree before their times mean anything.
        for (var i = 0; i < 50; i++)
        {
            var v = new Values(i);
            foreach (var (app, ncalc) in Set)
            {
                var a = FormulaExpression.Parse(app).Evaluate(v);
                var e = NCalcExpression(ncalc, cache: false);
                SetParameters(e, v);
                var n = e.Evaluate();
                var same = (a, n) switch
                {
                    (DateOnly d, DateTime t) => d == DateOnly.FromDateTime(t),
                    (decimal x, _) => x == Convert.ToDecimal(n, CultureInfo.InvariantCulture),
                    _ => Equals(a?.ToString(), n?.ToString()),
                };
                if (!same) { Console.Error.WriteLine($"disagree on {app} (row {i}): app {a}, ncalc {n}"); return 1; }
            }
        }
        for (var round = 0; round < 3; round++)
        {
            var appParse = Time(() =>
            {
                for (var i = 0; i < count; i++)
                    foreach (var (app, _) in Set) FormulaExpression.Parse(app).Evaluate(new Values(i));
            });
            var ncalcParse = Time(() =>
            {
                for (var i = 0; i < count; i++)
                    foreach (var (_, ncalc) in Set)
                    {
                        var e = NCalcExpression(ncalc, cache: false);
                        SetParameters(e, new Values(i));
                        e.Evaluate();
                    }
            });
            var parsed = Set.Select(s => FormulaExpression.Parse(s.App)).ToList();
            var appEval = Time(() =>
            {
                for (var i = 0; i < count; i++)
                {
                    var v = new Values(i);
                    foreach (var p in parsed) p.Evaluate(v);
                }
            });
            var compiled = Set.Select(s => NCalcExpression(s.NCalc, cache: true)).ToList();
            var ncalcEval = Time(() =>
            {
                for (var i = 0; i < count; i++)
                {
                    var v = new Values(i);
                    foreach (var e in compiled) { SetParameters(e, v); e.Evaluate(); }
                }
            });
            Console.WriteLine($"formula/parse+eval ({count} x {Set.Length}, round {round + 1}): app {appParse:F0} ms, ncalc {ncalcParse:F0} ms, ratio {ncalcParse / appParse:F2}");
            Console.WriteLine($"formula/eval ({count} x {Set.Length}, round {round + 1}): app {appEval:F0} ms, ncalc {ncalcEval:F0} ms, ratio {ncalcEval / appEval:F2}");
        }
        return 0;
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }
}
