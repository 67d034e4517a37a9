using System.Text.Json.Nodes;
using Crm.Core.Reports;

namespace Crm.Core.Audit;

/// <summary>Audit events that several callers (API and pages) describe the same way.</summary>
public static class AuditEvents
{
    /// <summary>A report downloaded as CSV, with the filters it was narrowed by and how many rows it had.</summary>
    public static AuditEvent ReportExported(ReportDefinition report, ReportFilters filters, int rows, string via)
        => ReportExported(report, filters.From?.ToString("yyyy-MM-dd"), filters.To?.ToString("yyyy-MM-dd"), filters.OwnerId?.ToString(), rows, via);

    public static AuditEvent ReportExported(ReportDefinition report, string? from, string? to, string? owner, int rows, string via) => new(
        AuditActions.ReportExported, AuditActions.Targets.Report, report.Key, report.Name.Get(), new JsonObject
        {
            ["format"] = "csv", ["via"] = via, ["rows"] = rows,
            ["from"] = from, ["to"] = to, ["owner"] = owner,
        });
}
