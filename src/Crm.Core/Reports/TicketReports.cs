using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Reports;

/// <summary>Support tickets: first-response time, resolution time and resolution rate per problem type (seeds/003).</summary>
internal static class TicketReports
{
    /// <summary>
    /// Per problem type: tickets, average hours to the first response and to resolution (from creation, over the
    /// tickets that have that time), and the share resolved: in the resolved status group, or with a resolution
    /// time (closed after being resolved).
    /// </summary>
    public static async Task<ReportResult> ResolutionAsync(ReportContext c, CancellationToken ct)
    {
        var problem = c.OptionField("problemTypeField", f => FieldTypeRegistry.Find(f.Type)?.ValueKind == FieldValueKind.Choice);
        var response = c.OptionField("firstResponseField", f => f.Type == "datetime" || f.Type == "date");
        var resolvedAt = c.OptionField("resolvedField", f => f.Type == "datetime" || f.Type == "date");
        if (problem is null || response is null || resolvedAt is null)
            return c.Problem(c.T("Report.Problem.Option", problem is null ? "problemTypeField" : response is null ? "firstResponseField" : "resolvedField"));
        var group = c.Option("resolvedGroup");
        var resolvedIds = c.StatusList?.AllOptions.Where(o => o.GroupKey == group || o.Key == group).Select(o => (Guid?)o.Id).ToList() ?? [];
        string pk = problem.Key, rk = response.Key, sk = resolvedAt.Key;

        var tickets = c.Records(DateAxis.Created);
        await c.GroupingByJsonAsync(pk, ct);
        var groups = await tickets
            .GroupBy(r => JsonSql.Text(r.Values, EF.Constant(pk)))
            .Select(g => new
            {
                Problem = g.Key,
                Count = g.Count(),
                Response = g.Average(r => DateSql.Seconds(JsonSql.Text(r.Values, EF.Constant(rk))) - DateSql.Seconds(r.CreatedAt)),
                Resolution = g.Average(r => DateSql.Seconds(JsonSql.Text(r.Values, EF.Constant(sk))) - DateSql.Seconds(r.CreatedAt)),
                Resolved = g.Count(r => resolvedIds.Contains(r.StatusOptionId) || JsonSql.Text(r.Values, EF.Constant(sk)) != null),
            })
            .ToListAsync(ct);
        var overall = await tickets
            .GroupBy(r => r.TenantId)
            .Select(g => new
            {
                Response = g.Average(r => DateSql.Seconds(JsonSql.Text(r.Values, EF.Constant(rk))) - DateSql.Seconds(r.CreatedAt)),
                Resolution = g.Average(r => DateSql.Seconds(JsonSql.Text(r.Values, EF.Constant(sk))) - DateSql.Seconds(r.CreatedAt)),
            })
            .FirstOrDefaultAsync(ct);

        const double hour = 3600;
        var options = problem.Settings.Options ?? [];
        var rows = options.Where(o => !o.IsArchived || groups.Any(g => g.Problem == o.Key))
            .Select(o => (Key: (string?)o.Key, Label: o.Label.Get(), o.Color))
            .Concat(groups.Where(g => options.All(o => o.Key != g.Problem)).Select(g => (Key: g.Problem, Label: g.Problem ?? c.T("Report.Row.None"), Color: (string?)null)))
            .Select(o =>
            {
                var g = groups.FirstOrDefault(x => x.Problem == o.Key);
                decimal count = g?.Count ?? 0, resolved = g?.Resolved ?? 0;
                return new ReportRow(o.Key ?? "", o.Label,
                    [count, ReportContext.Round(g?.Response / hour, 1), ReportContext.Round(g?.Resolution / hour, 1), resolved, ReportContext.Ratio(resolved, count)]) { Color = o.Color };
            }).ToList();
        decimal total = rows.Sum(r => r.Cells[0].Number ?? 0), totalResolved = rows.Sum(r => r.Cells[3].Number ?? 0);
        var result = c.Result(problem.Label.Get(),
        [
            new("tickets", c.T("Report.Col.Tickets"), ReportFormat.Integer),
            new("firstResponse", c.T("Report.Col.FirstResponseHours"), ReportFormat.Hours),
            new("resolution", c.T("Report.Col.ResolutionHours"), ReportFormat.Hours),
            new("resolved", c.T("Report.Col.Resolved"), ReportFormat.Integer),
            new("resolutionRate", c.T("Report.Col.ResolutionRate"), ReportFormat.Percent),
        ], rows);
        return PipelineReports.With(result, series: [1, 2], kpi: new ReportKpi(c.T("Report.Col.ResolutionRate"), ReportContext.Ratio(totalResolved, total), ReportFormat.Percent, null,
            [new(c.T("Report.Col.FirstResponseHours"), ReportContext.Round(overall?.Response / hour, 1), ReportFormat.Hours),
             new(c.T("Report.Col.ResolutionHours"), ReportContext.Round(overall?.Resolution / hour, 1), ReportFormat.Hours)]));
    }
}
