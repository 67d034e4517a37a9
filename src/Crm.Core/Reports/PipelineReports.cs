using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Reports;

/// <summary>
/// Reports on a pipeline: funnel, pipeline value, win rate, sales cycle, time in stage and forecast. Counts and
/// sums come from GROUP BY queries over records (current stage) or the transitions table (history); only the
/// per-stage probability and the running totals of a handful of stages are applied afterwards.
/// </summary>
internal static class PipelineReports
{
    private static IReadOnlyList<Guid?> Ids(IEnumerable<PipelineStage> stages) => stages.Select(s => (Guid?)s.Id).ToList();

    /// <summary>
    /// How many records reached each open stage and "won" (all won-kind stages together: the funnel ends at 成交).
    /// A deal reached a step when it moved up to it or past it, and the moves are in the transitions table: every
    /// move up counts the deal into each step it crosses (a skipped stage too), a move back takes it out again, a
    /// move to a lost stage leaves it counted where it was. Summed over a deal's moves that leaves it counted in
    /// every step up to where it is now, or up to where it was lost — so the funnel is read in two small GROUP BYs:
    /// deals per current stage (records, an index-only scan) and lost deals per stage they left (the transitions
    /// into lost stages), instead of walking every transition. For deals that move forward (the process the seeds
    /// describe) that is exactly "reached the stage"; a deal that went back counts where it went back to.
    /// Conversion is step to step; the stage highlighted is the one with the lowest conversion to the next step.
    /// </summary>
    public static async Task<ReportResult> FunnelAsync(ReportContext c, CancellationToken ct)
    {
        if (c.Pipeline is not { } pipeline) return c.Problem(c.T("Report.Problem.NoPipeline"));
        var open = pipeline.Stages.Where(s => s.Kind == StageKind.Open).ToList();
        var won = pipeline.AllStages.Where(s => s.Kind == StageKind.Won).ToList();
        var lost = pipeline.AllStages.Where(s => s.Kind == StageKind.Lost).Select(s => s.Id).ToList();
        var stepCount = open.Count + (won.Count > 0 ? 1 : 0);
        // Position of every stage: open stages 1…n in order (an archived one takes the place of the open stage
        // before it), won-kind stages n + 1.
        var position = new Dictionary<Guid, int>();
        var last = 0;
        foreach (var stage in pipeline.AllStages.Where(s => s.Kind == StageKind.Open))
        {
            if (!stage.IsArchived) last++;
            position[stage.Id] = last;
        }
        foreach (var stage in won) position[stage.Id] = open.Count + 1;
        var stepIds = position.Keys.Select(id => (Guid?)id).ToList();

        // The funnel is a cohort: with a date range, the deals created in it, wherever they got to since.
        var pipelineId = pipeline.Pipeline.Id;
        var records = c.Records(DateAxis.Created);
        var current = await records
            .Where(r => r.PipelineId == pipelineId && stepIds.Contains(r.StageId))
            .GroupBy(r => r.StageId)
            .Select(g => new { Stage = g.Key, Count = g.Count() })
            .ToListAsync(ct);
        var entityId = c.Entity.Entity.Id;
        var losses = c.Db.Transitions.AsNoTracking().Where(t => t.EntityTypeId == entityId && t.Kind == TransitionKind.Stage && lost.Contains(t.ToId) && t.FromId != null);
        if (c.NarrowsRecords(DateAxis.Created))
        {
            var ids = records.Select(r => r.Id);
            losses = losses.Where(t => ids.Contains(t.RecordId));
        }
        var lostFrom = await losses
            .GroupBy(t => t.FromId)
            .Select(g => new { From = g.Key, Count = g.Count() })
            .ToListAsync(ct);

        var at = new decimal[stepCount + 2];
        var lostAt = new decimal[stepCount + 2];
        foreach (var x in current) if (x.Stage is { } id && position.TryGetValue(id, out var p)) at[p] += x.Count;
        foreach (var x in lostFrom) if (x.From is { } id && position.TryGetValue(id, out var p) && p > 0) lostAt[p] += x.Count;
        var reached = new decimal[stepCount + 2];
        for (var p = stepCount; p >= 1; p--) reached[p] = reached[p + 1] + at[p] + lostAt[p];

        var rows = new List<ReportRow>();
        for (var p = 1; p <= stepCount; p++)
        {
            var stage = p <= open.Count ? open[p - 1] : won[0];
            var drop = p < stepCount ? reached[p] - reached[p + 1] : (decimal?)null;
            rows.Add(new ReportRow(stage.Key, stage.Label.Get(),
            [
                reached[p],
                p == 1 ? null : ReportContext.Ratio(reached[p], reached[p - 1]),
                ReportContext.Ratio(reached[p], reached[1]),
                p <= open.Count ? lostAt[p] : null,
                drop,
            ]) { Color = stage.Color });
        }

        // The stage highlighted is the one the fewest deals move on from (the lowest step-to-step conversion): a
        // count of losses would pick the first stage whenever stages lose the same number, though the first stage,
        // having the most deals, loses the smallest share. Nothing is highlighted when the lowest rate is shared
        // (as shown, to one decimal) or nothing was lost.
        int? highlight = null;
        string? note = null;
        var rates = Enumerable.Range(1, Math.Min(open.Count, stepCount - 1))
            .Where(p => reached[p] > 0)
            .Select(p => (Step: p, Rate: ReportContext.Ratio(reached[p + 1], reached[p])!.Value))
            .ToList();
        if (rates.Count > 0)
        {
            var lowest = rates.Min(r => r.Rate);
            var atLowest = rates.Where(r => r.Rate == lowest).ToList();
            if (lowest < 100m && atLowest.Count == 1)
            {
                var p = atLowest[0].Step;
                var next = p < open.Count ? open[p] : won[0];
                (highlight, note) = (p - 1, c.T("Report.Funnel.LowestConversion", open[p - 1].Label.Get(), next.Label.Get(), lowest));
            }
        }

        var result = c.Result(c.T("Report.Dim.Stage"),
        [
            new("reached", c.T("Report.Col.Reached"), ReportFormat.Integer),
            new("conversion", c.T("Report.Col.ConversionFromPrevious"), ReportFormat.Percent),
            new("fromFirst", c.T("Report.Col.ConversionFromFirst"), ReportFormat.Percent),
            new("lost", c.T("Report.Col.LostHere"), ReportFormat.Integer),
            new("dropped", c.T("Report.Col.Dropped"), ReportFormat.Integer),
        ], rows);
        var overall = stepCount > 0 ? ReportContext.Ratio(reached[stepCount], reached[1]) : null;
        return With(result, highlight: highlight, note: note, kpi: new ReportKpi(c.T("Report.Kpi.FunnelConversion"), overall, ReportFormat.Percent, null,
            [new(c.T("Report.Kpi.Entered"), reached[1], ReportFormat.Integer), new(rows.LastOrDefault()?.Label ?? "", stepCount > 0 ? reached[stepCount] : null, ReportFormat.Integer)]));
    }

    /// <summary>Open deals per stage: count, amount and amount × the stage's win probability.</summary>
    public static async Task<ReportResult> PipelineValueAsync(ReportContext c, CancellationToken ct)
    {
        if (c.Pipeline is not { } pipeline) return c.Problem(c.T("Report.Problem.NoPipeline"));
        var open = pipeline.AllStages.Where(s => s.Kind == StageKind.Open).ToList();
        var openIds = Ids(open);
        var pipelineId = pipeline.Pipeline.Id;
        var groups = await c.Records(DateAxis.Created)
            .Where(r => r.PipelineId == pipelineId && openIds.Contains(r.StageId))
            .GroupBy(r => r.StageId)
            .Select(g => new { Stage = g.Key, Count = g.Count(), Amount = g.Sum(r => r.Amount) })
            .ToListAsync(ct);
        var currency = c.AmountCurrency;
        var rows = open.Where(s => !s.IsArchived || groups.Any(g => g.Stage == s.Id)).Select(s =>
        {
            var g = groups.FirstOrDefault(x => x.Stage == s.Id);
            var amount = g?.Amount ?? 0;
            return new ReportRow(s.Key, s.Label.Get(), [g?.Count ?? 0, amount, Math.Round(amount * s.Probability / 100m, 2, MidpointRounding.AwayFromZero)]) { Color = s.Color };
        }).ToList();
        var total = rows.Sum(r => r.Cells[1].Number ?? 0);
        var weighted = rows.Sum(r => r.Cells[2].Number ?? 0);
        var count = rows.Sum(r => r.Cells[0].Number ?? 0);
        var result = c.Result(c.T("Report.Dim.Stage"),
        [
            new("count", c.T("Report.Col.Deals"), ReportFormat.Integer),
            new("amount", c.T("Report.Col.Amount"), ReportFormat.Money, currency),
            new("weighted", c.T("Report.Col.Weighted"), ReportFormat.Money, currency),
        ], rows);
        return With(result, series: [1, 2], kpi: new ReportKpi(c.T("Report.Kpi.PipelineValue"), total, ReportFormat.Money, currency,
            [new(c.T("Report.Col.Weighted"), weighted, ReportFormat.Money, currency), new(c.T("Report.Col.Deals"), count, ReportFormat.Integer)]));
    }

    /// <summary>Of the closed deals (current stage won- or lost-kind), the share won; by count, with the amounts.</summary>
    public static async Task<ReportResult> WinRateAsync(ReportContext c, CancellationToken ct)
    {
        if (c.Pipeline is not { } pipeline) return c.Problem(c.T("Report.Problem.NoPipeline"));
        var wonIds = Ids(pipeline.AllStages.Where(s => s.Kind == StageKind.Won));
        var closedIds = Ids(pipeline.AllStages.Where(s => s.Kind != StageKind.Open));
        var pipelineId = pipeline.Pipeline.Id;
        var groups = await c.Records(DateAxis.Created)
            .Where(r => r.PipelineId == pipelineId && closedIds.Contains(r.StageId))
            .GroupBy(r => r.StageId)
            .Select(g => new { Stage = g.Key, Count = g.Count(), Amount = g.Sum(r => r.Amount) })
            .ToListAsync(ct);
        var won = groups.Where(g => wonIds.Contains(g.Stage)).ToList();
        var lost = groups.Where(g => !wonIds.Contains(g.Stage)).ToList();
        decimal wonCount = won.Sum(g => g.Count), lostCount = lost.Sum(g => g.Count);
        var currency = c.AmountCurrency;
        var rows = new List<ReportRow>
        {
            new("won", c.T("Report.Row.Won"), [wonCount, won.Sum(g => g.Amount ?? 0)]) { Color = "#2f9e44" },
            new("lost", c.T("Report.Row.Lost"), [lostCount, lost.Sum(g => g.Amount ?? 0)]) { Color = "#e03131" },
        };
        var rate = ReportContext.Ratio(wonCount, wonCount + lostCount);
        var result = c.Result(c.T("Report.Dim.Outcome"),
        [
            new("count", c.T("Report.Col.Deals"), ReportFormat.Integer),
            new("amount", c.T("Report.Col.Amount"), ReportFormat.Money, currency),
        ], rows);
        return With(result, kpi: new ReportKpi(c.T("Report.Kpi.WinRate"), rate, ReportFormat.Percent, null,
            [new(c.T("Report.Row.Won"), wonCount, ReportFormat.Integer), new(c.T("Report.Row.Lost"), lostCount, ReportFormat.Integer)]));
    }

    /// <summary>Days from creation to won (the first move into a won-kind stage from an open one), by month won.</summary>
    public static async Task<ReportResult> SalesCycleAsync(ReportContext c, CancellationToken ct)
    {
        if (c.Pipeline is not { } pipeline) return c.Problem(c.T("Report.Problem.NoPipeline"));
        var wonIds = pipeline.AllStages.Where(s => s.Kind == StageKind.Won).Select(s => s.Id).ToList();
        var openIds = Ids(pipeline.AllStages.Where(s => s.Kind == StageKind.Open));
        var pipelineId = pipeline.Pipeline.Id;
        var zone = c.ZoneSql;
        var wins = c.Transitions(TransitionKind.Stage).Where(t => t.PipelineId == pipelineId && wonIds.Contains(t.ToId) && openIds.Contains(t.FromId));
        var months = await wins.GroupBy(t => DateSql.Month(t.At, EF.Constant(zone)))
            .Select(g => new { Month = g.Key, Count = g.Count(), Seconds = g.Sum(t => (double)t.SecondsSinceCreated) })
            .ToListAsync(ct);
        const double day = 86400;
        var rows = months.Where(m => m.Month is not null).OrderBy(m => m.Month, StringComparer.Ordinal)
            .Select(m => new ReportRow(m.Month!, m.Month!, [ReportContext.Round(m.Seconds / m.Count / day, 1), m.Count])).ToList();
        var count = months.Sum(m => m.Count);
        var average = count == 0 ? null : ReportContext.Round(months.Sum(m => m.Seconds) / count / day, 1);
        var result = c.Result(c.T("Report.Dim.MonthWon"),
        [
            new("days", c.T("Report.Col.AverageDays"), ReportFormat.Days),
            new("count", c.T("Report.Col.WonDeals"), ReportFormat.Integer),
        ], rows);
        return With(result, kpi: new ReportKpi(c.T("Report.Kpi.SalesCycle"), average, ReportFormat.Days, null,
            [new(c.T("Report.Col.WonDeals"), count, ReportFormat.Integer)]));
    }

    /// <summary>Average days spent in each open stage by the deals that left it (in the date range).</summary>
    public static async Task<ReportResult> TimeInStageAsync(ReportContext c, CancellationToken ct)
    {
        if (c.Pipeline is not { } pipeline) return c.Problem(c.T("Report.Problem.NoPipeline"));
        var open = pipeline.AllStages.Where(s => s.Kind == StageKind.Open).ToList();
        var openIds = Ids(open);
        var pipelineId = pipeline.Pipeline.Id;
        var groups = await c.Transitions(TransitionKind.Stage)
            .Where(t => t.PipelineId == pipelineId && openIds.Contains(t.FromId) && t.SecondsInFrom != null)
            .GroupBy(t => t.FromId)
            .Select(g => new { Stage = g.Key, Count = g.Count(), Seconds = g.Average(t => (double?)t.SecondsInFrom) })
            .ToListAsync(ct);
        var rows = open.Where(s => !s.IsArchived || groups.Any(g => g.Stage == s.Id)).Select(s =>
        {
            var g = groups.FirstOrDefault(x => x.Stage == s.Id);
            return new ReportRow(s.Key, s.Label.Get(), [ReportContext.Round(g?.Seconds / 86400, 1), g?.Count ?? 0]) { Color = s.Color };
        }).ToList();
        var result = c.Result(c.T("Report.Dim.Stage"),
        [
            new("days", c.T("Report.Col.AverageDays"), ReportFormat.Days),
            new("exits", c.T("Report.Col.Exits"), ReportFormat.Integer),
        ], rows);
        var slowest = rows.Select((r, i) => (r, i)).Where(x => x.r.Cells[0].Number is > 0).OrderByDescending(x => x.r.Cells[0].Number).FirstOrDefault();
        return With(result, highlight: slowest.r is null ? null : slowest.i,
            note: slowest.r is null ? null : c.T("Report.TimeInStage.Slowest", slowest.r.Label, slowest.r.Cells[0].Number!));
    }

    /// <summary>Open deals by expected close month: amount and probability-weighted amount.</summary>
    public static async Task<ReportResult> ForecastAsync(ReportContext c, CancellationToken ct)
    {
        if (c.Pipeline is not { } pipeline) return c.Problem(c.T("Report.Problem.NoPipeline"));
        if (c.Entity.Entity.CloseDateFieldKey is null) return c.Problem(c.T("Report.Problem.NoCloseDate"));
        var open = pipeline.AllStages.Where(s => s.Kind == StageKind.Open).ToList();
        var openIds = Ids(open);
        var pipelineId = pipeline.Pipeline.Id;
        var groups = await c.Records(DateAxis.CloseDate)
            .Where(r => r.PipelineId == pipelineId && openIds.Contains(r.StageId) && r.CloseDate != null)
            .GroupBy(r => new { Month = DateSql.Month(r.CloseDate), r.StageId })
            .Select(g => new { g.Key.Month, g.Key.StageId, Count = g.Count(), Amount = g.Sum(r => r.Amount) })
            .ToListAsync(ct);
        var probability = open.ToDictionary(s => s.Id, s => s.Probability);
        var months = groups.Where(g => g.Month is not null).GroupBy(g => g.Month!).ToDictionary(g => g.Key, g => g.ToList());
        var rows = new List<ReportRow>();
        foreach (var month in FillBuckets(months.Keys, "month"))
        {
            var list = months.GetValueOrDefault(month) ?? [];
            var amount = list.Sum(g => g.Amount ?? 0);
            var weighted = list.Sum(g => Math.Round((g.Amount ?? 0) * (g.StageId is { } id ? probability.GetValueOrDefault(id) : 0) / 100m, 2, MidpointRounding.AwayFromZero));
            rows.Add(new ReportRow(month, month, [amount, weighted, list.Sum(g => g.Count)]));
        }
        var currency = c.AmountCurrency;
        var result = c.Result(c.T("Report.Dim.CloseMonth"),
        [
            new("amount", c.T("Report.Col.Amount"), ReportFormat.Money, currency),
            new("weighted", c.T("Report.Col.Weighted"), ReportFormat.Money, currency),
            new("count", c.T("Report.Col.Deals"), ReportFormat.Integer),
        ], rows);
        return With(result, series: [0, 1], kpi: new ReportKpi(c.T("Report.Col.Weighted"), rows.Sum(r => r.Cells[1].Number ?? 0), ReportFormat.Money, currency,
            [new(c.T("Report.Col.Amount"), rows.Sum(r => r.Cells[0].Number ?? 0), ReportFormat.Money, currency)]));
    }

    /// <summary>Every bucket from the first to the last key (an empty month is a zero, not a missing bar).</summary>
    internal static IEnumerable<string> FillBuckets(IEnumerable<string> keys, string unit)
    {
        var sorted = keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (sorted.Count == 0) yield break;
        var last = sorted[^1];
        var key = sorted[0];
        for (var guard = 0; guard < 2000 && string.CompareOrdinal(key, last) <= 0; guard++)
        {
            yield return key;
            key = DateSql.Next(key, unit);
        }
    }

    internal static ReportResult With(ReportResult r, IReadOnlyList<int>? series = null, ReportKpi? kpi = null, int? highlight = null, string? note = null) => new()
    {
        Type = r.Type,
        Chart = r.Chart,
        Dimension = r.Dimension,
        Columns = r.Columns,
        Rows = r.Rows,
        TotalRows = r.TotalRows,
        Problem = r.Problem,
        Series = series ?? r.Series,
        Kpi = kpi ?? r.Kpi,
        Highlight = highlight ?? r.Highlight,
        HighlightNote = note ?? r.HighlightNote,
    };
}
