using Crm.Core.Activities;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Reports;

/// <summary>Activities on an entity type's records: per owner, per channel, and how often each record is contacted.</summary>
internal static class ActivityReports
{
    private static readonly ActivityKind[] Kinds = Enum.GetValues<ActivityKind>();

    private static string KindLabel(ReportContext c, ActivityKind kind) => c.T("Report.Activity." + kind);

    /// <summary>Activities per owner, with the split by kind.</summary>
    public static async Task<ReportResult> ByOwnerAsync(ReportContext c, CancellationToken ct)
    {
        var groups = await c.Activities(interactionsOnly: false)
            .GroupBy(a => new { a.OwnerId, a.Kind })
            .Select(g => new { g.Key.OwnerId, g.Key.Kind, Count = g.Count() })
            .ToListAsync(ct);
        var names = await c.NamesAsync(groups.Where(g => g.OwnerId is not null).Select(g => g.OwnerId!.Value), ct);
        var rows = groups.GroupBy(g => g.OwnerId)
            .Select(o => new ReportRow(o.Key?.ToString() ?? "", o.Key is { } id ? names.GetValueOrDefault(id) ?? c.T("Report.Row.FormerMember") : c.T("Report.Row.None"),
                Kinds.Select(k => (ReportCell)(decimal)o.Where(x => x.Kind == k).Sum(x => x.Count)).Prepend((decimal)o.Sum(x => x.Count)).ToList()))
            .OrderByDescending(r => r.Cells[0].Number).ThenBy(r => r.Label, StringComparer.Ordinal)
            .ToList();
        var columns = Kinds.Select(k => new ReportColumn(k.ToString().ToLowerInvariant(), KindLabel(c, k), ReportFormat.Integer))
            .Prepend(new ReportColumn("total", c.T("Report.Col.Activities"), ReportFormat.Integer)).ToList();
        var result = c.Result(c.T("Report.Dim.Owner"), columns, rows);
        return PipelineReports.With(result, kpi: new ReportKpi(c.T("Report.Col.Activities"), rows.Sum(r => r.Cells[0].Number ?? 0), ReportFormat.Integer, null, []));
    }

    /// <summary>Interactions (calls, e-mails, meetings, messages) per channel.</summary>
    public static async Task<ReportResult> ByChannelAsync(ReportContext c, CancellationToken ct)
    {
        var groups = await c.Activities(interactionsOnly: true)
            .GroupBy(a => a.Kind)
            .Select(g => new { Kind = g.Key, Count = g.Count() })
            .ToListAsync(ct);
        var total = groups.Sum(g => g.Count);
        var rows = ReportContext.Interactions.Select(k =>
        {
            var n = groups.Where(g => g.Kind == k).Sum(g => g.Count);
            return new ReportRow(k.ToString().ToLowerInvariant(), KindLabel(c, k), [n, ReportContext.Ratio(n, total)]);
        }).ToList();
        var result = c.Result(c.T("Report.Dim.Channel"),
        [
            new("count", c.T("Report.Col.Interactions"), ReportFormat.Integer),
            new("share", c.T("Report.Col.Share"), ReportFormat.Percent),
        ], rows);
        return PipelineReports.With(result, kpi: new ReportKpi(c.T("Report.Col.Interactions"), total, ReportFormat.Integer, null, []));
    }

    /// <summary>
    /// The most contacted records: interactions, interactions per 30 days (over the range, or since the record was
    /// created), the last one and the channel used most.
    /// </summary>
    public static async Task<ReportResult> FrequencyAsync(ReportContext c, CancellationToken ct)
    {
        var interactions = c.Activities(interactionsOnly: true);
        var total = await interactions.Select(a => a.RecordId).Distinct().CountAsync(ct);
        const int take = 50;
        var top = await interactions
            .GroupBy(a => a.RecordId)
            .Select(g => new { RecordId = g.Key, Count = g.Count(), Last = g.Max(a => a.OccurredAt) })
            .OrderByDescending(x => x.Count).ThenByDescending(x => x.Last).ThenBy(x => x.RecordId)
            .Take(take)
            .ToListAsync(ct);
        var ids = top.Select(t => t.RecordId).ToList();
        var channels = await interactions.Where(a => ids.Contains(a.RecordId))
            .GroupBy(a => new { a.RecordId, a.Kind })
            .Select(g => new { g.Key.RecordId, g.Key.Kind, Count = g.Count() })
            .ToListAsync(ct);
        var records = await c.Visible(c.Db.Records.AsNoTracking().Where(r => ids.Contains(r.Id)))
            .Select(r => new { r.Id, r.Title, r.CreatedAt }).ToDictionaryAsync(r => r.Id, ct);
        var end = c.ToExclusiveUtc is { } to && to < c.Now ? to : c.Now;
        var rows = top.Where(t => records.ContainsKey(t.RecordId)).Select(t =>
        {
            var record = records[t.RecordId];
            var start = c.FromUtc is { } from && from > record.CreatedAt ? from : record.CreatedAt;
            var days = Math.Max(30, (end - start).TotalDays);
            var main = channels.Where(x => x.RecordId == t.RecordId).OrderByDescending(x => x.Count).ThenBy(x => x.Kind).First().Kind;
            return new ReportRow(t.RecordId.ToString(), record.Title,
            [
                t.Count,
                Math.Round(t.Count * 30m / (decimal)days, 1, MidpointRounding.AwayFromZero),
                ReportCell.Of(t.Last.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
                ReportCell.Of(KindLabel(c, main)),
            ]) { RecordId = t.RecordId };
        }).ToList();
        var result = c.Result(c.Entity.Entity.Label.Get(),
        [
            new("count", c.T("Report.Col.Interactions"), ReportFormat.Integer),
            new("perMonth", c.T("Report.Col.PerMonth"), ReportFormat.Number),
            new("last", c.T("Report.Col.LastInteraction"), ReportFormat.Text),
            new("channel", c.T("Report.Col.MainChannel"), ReportFormat.Text),
        ], rows);
        return new ReportResult
        {
            Type = result.Type, Chart = result.Chart, Dimension = result.Dimension, Columns = result.Columns, Rows = rows, TotalRows = total,
            Kpi = new ReportKpi(c.T("Report.Kpi.Contacted"), total, ReportFormat.Integer, null, []),
        };
    }
}
