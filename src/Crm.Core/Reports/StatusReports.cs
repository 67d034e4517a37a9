using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Reports;

/// <summary>
/// Reports on a status list (customer lifecycle, lead status, ticket status): distribution now, how many sit in
/// each group over time (from the status transitions), and the churn warning list.
/// </summary>
internal static class StatusReports
{
    /// <summary>Records per status group (or per status when the list has no groups), with their share.</summary>
    public static Task<ReportResult> DistributionAsync(ReportContext c, CancellationToken ct) => CountByStatusAsync(c, byGroup: true, ct);

    /// <summary>Tickets (or any records) per status: the live queue.</summary>
    public static Task<ReportResult> TicketsByStatusAsync(ReportContext c, CancellationToken ct) => CountByStatusAsync(c, byGroup: false, ct);

    private static async Task<ReportResult> CountByStatusAsync(ReportContext c, bool byGroup, CancellationToken ct)
    {
        if (c.StatusList is not { } list) return c.Problem(c.T("Report.Problem.NoStatus"));
        // Records without a status are not in the lifecycle (e.g. customers added by another template): left out.
        var counts = await c.Records(DateAxis.Created)
            .Where(r => r.StatusOptionId != null)
            .GroupBy(r => r.StatusOptionId)
            .Select(g => new { Status = g.Key, Count = g.Count() })
            .ToListAsync(ct);
        var total = counts.Sum(x => x.Count);
        var grouped = byGroup && list.List.Groups.Count > 0;
        var rows = new List<ReportRow>();
        if (grouped)
        {
            foreach (var group in list.List.Groups)
            {
                var ids = list.AllOptions.Where(o => o.GroupKey == group.Key).Select(o => (Guid?)o.Id).ToList();
                var n = counts.Where(x => ids.Contains(x.Status)).Sum(x => x.Count);
                rows.Add(new ReportRow(group.Key, group.Label.Get(), [n, ReportContext.Ratio(n, total)]) { Color = group.Color });
            }
        }
        else
        {
            foreach (var option in list.AllOptions.Where(o => !o.IsArchived || counts.Any(x => x.Status == o.Id)))
            {
                var n = counts.Where(x => x.Status == option.Id).Sum(x => x.Count);
                var group = list.Group(option.GroupKey);
                rows.Add(new ReportRow(option.Key, option.Label.Get(), [n, ReportContext.Ratio(n, total), ReportCell.Of(group?.Label.Get())]) { Color = option.Color });
            }
        }

        List<ReportColumn> columns =
        [
            new("count", c.T("Report.Col.Records"), ReportFormat.Integer),
            new("share", c.T("Report.Col.Share"), ReportFormat.Percent),
        ];
        if (!grouped) columns.Add(new("group", c.T("Report.Col.Group"), ReportFormat.Text));
        var result = c.Result(grouped ? c.T("Report.Dim.StatusGroup") : c.T("Report.Dim.Status"), columns, rows);
        return PipelineReports.With(result, kpi: new ReportKpi(c.Entity.Entity.PluralLabel.Get(), total, ReportFormat.Integer, null, []));
    }

    /// <summary>
    /// How many records sit in each status group at the end of each week or month: the status changes (entries
    /// and exits per group and period) are counted in SQL, then added up period by period.
    /// </summary>
    public static async Task<ReportResult> TrendAsync(ReportContext c, CancellationToken ct)
    {
        if (c.StatusList is not { } list) return c.Problem(c.T("Report.Problem.NoStatus"));
        var zone = c.ZoneSql;
        var unit = c.Option("bucket") is { } b && ReportTypes.Buckets.Contains(b) ? b
            : c.Filters.From is { } f && (c.Filters.To ?? DateOnly.FromDateTime(c.LocalNow)).DayNumber - f.DayNumber <= 180 ? "week" : "month";
        var changes = c.Transitions(TransitionKind.Status, inRange: false);
        var entries = await (unit switch
        {
            "day" => changes.GroupBy(t => new { Bucket = DateSql.Day(t.At, EF.Constant(zone)), Status = (Guid?)t.ToId }),
            "week" => changes.GroupBy(t => new { Bucket = DateSql.Week(t.At, EF.Constant(zone)), Status = (Guid?)t.ToId }),
            _ => changes.GroupBy(t => new { Bucket = DateSql.Month(t.At, EF.Constant(zone)), Status = (Guid?)t.ToId }),
        }).Select(g => new { g.Key.Bucket, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        var leaving = changes.Where(t => t.FromId != null);
        var exits = await (unit switch
        {
            "day" => leaving.GroupBy(t => new { Bucket = DateSql.Day(t.At, EF.Constant(zone)), Status = t.FromId }),
            "week" => leaving.GroupBy(t => new { Bucket = DateSql.Week(t.At, EF.Constant(zone)), Status = t.FromId }),
            _ => leaving.GroupBy(t => new { Bucket = DateSql.Month(t.At, EF.Constant(zone)), Status = t.FromId }),
        }).Select(g => new { g.Key.Bucket, g.Key.Status, Count = g.Count() }).ToListAsync(ct);

        var series = list.List.Groups.Count > 0
            ? list.List.Groups.Select(g => (g.Key, Label: g.Label.Get(), Color: g.Color, Options: list.AllOptions.Where(o => o.GroupKey == g.Key).Select(o => o.Id).ToHashSet())).ToList()
            : list.Options.Select(o => (o.Key, Label: o.Label.Get(), Color: (string?)o.Color, Options: new HashSet<Guid> { o.Id })).ToList();
        int SeriesOf(Guid? status) => status is { } s ? series.FindIndex(x => x.Options.Contains(s)) : -1;

        var first = c.Filters.From is { } from ? DateSql.Bucket(from.ToDateTime(TimeOnly.MinValue), unit) : null;
        var last = DateSql.Bucket(c.Filters.To?.ToDateTime(TimeOnly.MinValue) ?? c.LocalNow, unit);
        var keys = entries.Select(e => e.Bucket).Concat(exits.Select(e => e.Bucket)).Where(k => k is not null).Select(k => k!).Append(last);
        if (first is not null) keys = keys.Append(first);
        var stock = new decimal[series.Count];
        var rows = new List<ReportRow>();
        foreach (var bucket in PipelineReports.FillBuckets(keys, unit))
        {
            foreach (var e in entries.Where(e => e.Bucket == bucket)) if (SeriesOf(e.Status) is >= 0 and var i) stock[i] += e.Count;
            foreach (var e in exits.Where(e => e.Bucket == bucket)) if (SeriesOf(e.Status) is >= 0 and var i) stock[i] -= e.Count;
            if (first is not null && string.CompareOrdinal(bucket, first) < 0) continue;
            if (string.CompareOrdinal(bucket, last) > 0) break;
            rows.Add(new ReportRow(bucket, bucket, stock.Select(v => (ReportCell)v).ToList()));
        }
        // Without a range, show the last two years of months (or the last half year of weeks).
        var keep = unit == "month" ? 24 : unit == "week" ? 26 : 62;
        var shown = first is null && rows.Count > keep ? rows.Skip(rows.Count - keep).ToList() : rows;
        var result = c.Result(c.T(unit == "month" ? "Report.Dim.Month" : unit == "week" ? "Report.Dim.Week" : "Report.Dim.Day"),
            series.Select(s => new ReportColumn(s.Key, s.Label, ReportFormat.Integer)).ToList(), shown);
        return PipelineReports.With(result, series: Enumerable.Range(0, series.Count).ToList());
    }

    /// <summary>
    /// Records in an at-risk status group, or with no interaction for N days (never contacted: N days since
    /// created): the ones at risk first, then the longest silent.
    /// </summary>
    public static async Task<ReportResult> ChurnWarningAsync(ReportContext c, CancellationToken ct)
    {
        var list = c.StatusList;
        var inactiveDays = Math.Clamp(c.IntOption("inactiveDays") ?? 30, 1, 3650);
        var groups = c.ListOption("atRiskGroups");
        var atRisk = list?.AllOptions.Where(o => o.GroupKey is not null && groups.Contains(o.GroupKey)).Select(o => (Guid?)o.Id).ToList() ?? [];
        var excluded = c.ListOption("excludeGroups");
        var gone = list?.AllOptions.Where(o => o.GroupKey is not null && excluded.Contains(o.GroupKey)).Select(o => (Guid?)o.Id).ToList() ?? [];
        var cutoff = c.Now.AddDays(-inactiveDays);
        var query = c.Records(DateAxis.Created)
            .Where(r => !gone.Contains(r.StatusOptionId))
            .Where(r => atRisk.Contains(r.StatusOptionId) || (r.LastActivityAt != null ? r.LastActivityAt < cutoff : r.CreatedAt < cutoff));
        var total = await query.CountAsync(ct);
        var risky = atRisk.Count == 0 ? 0 : await query.CountAsync(r => atRisk.Contains(r.StatusOptionId), ct);
        const int take = 100;
        var records = await query
            .OrderByDescending(r => atRisk.Contains(r.StatusOptionId))
            .ThenBy(r => r.LastActivityAt ?? r.CreatedAt)
            .ThenBy(r => r.Id)
            .Take(take)
            .Select(r => new { r.Id, r.Title, r.StatusOptionId, r.LastActivityAt, r.CreatedAt, r.OwnerId })
            .ToListAsync(ct);
        var names = await c.NamesAsync(records.Where(r => r.OwnerId is not null).Select(r => r.OwnerId!.Value), ct);
        var rows = records.Select(r =>
        {
            var status = r.StatusOptionId is { } s ? list?.AllOptions.FirstOrDefault(o => o.Id == s) : null;
            var silentSince = r.LastActivityAt ?? r.CreatedAt;
            var days = (decimal)Math.Floor((c.Now - silentSince).TotalDays);
            var inRiskGroup = atRisk.Contains(r.StatusOptionId);
            var reason = inRiskGroup && days >= inactiveDays ? c.T("Report.Churn.Both", days) : inRiskGroup ? c.T("Report.Churn.AtRisk") : c.T("Report.Churn.Silent", days);
            return new ReportRow(r.Id.ToString(), r.Title,
            [
                ReportCell.Of(status?.Label.Get()),
                ReportCell.Of(r.LastActivityAt?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
                days,
                ReportCell.Of(r.OwnerId is { } o ? names.GetValueOrDefault(o) : null),
                ReportCell.Of(reason),
            ]) { RecordId = r.Id, Color = status?.Color };
        }).ToList();
        var result = c.Result(c.Entity.Entity.Label.Get(),
        [
            new("status", c.T("Report.Col.Status"), ReportFormat.Text),
            new("lastInteraction", c.T("Report.Col.LastInteraction"), ReportFormat.Text),
            new("silentDays", c.T("Report.Col.SilentDays"), ReportFormat.Integer),
            new("owner", c.T("Report.Col.Owner"), ReportFormat.Text),
            new("reason", c.T("Report.Col.Reason"), ReportFormat.Text),
        ], rows);
        return new ReportResult
        {
            Type = result.Type, Chart = result.Chart, Dimension = result.Dimension, Columns = result.Columns, Rows = rows,
            TotalRows = total, Series = [2],
            Kpi = new ReportKpi(c.T("Report.Kpi.ChurnWarning"), total, ReportFormat.Integer, null,
                [new(c.T("Report.Churn.AtRisk"), risky, ReportFormat.Integer), new(c.T("Report.Churn.SilentShort", inactiveDays), total - risky, ReportFormat.Integer)]),
        };
    }
}
