using System.Globalization;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Web.Components.Reports;

namespace Crm.Web.Api;

/// <summary>
/// Saved reports for integrators and spreadsheets: the list, a report's result as JSON, and as CSV. Query
/// parameters narrow it like the report page does: <c>from</c>, <c>to</c> (yyyy-MM-dd, both days included),
/// <c>owner</c> (a member id).
/// </summary>
public static class ReportsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/reports", async (IActorAccessor actors, ReportService reports, CancellationToken ct)
            => Results.Ok((await reports.ListAsync(actors.Required, ct)).Select(r => new
            {
                key = r.Key, name = r.Name, description = r.Description, type = r.Spec.Type, chart = r.Spec.Chart, shared = r.OwnerUserId is null,
            })));

        api.MapGet("/reports/{key}", async (string key, string? from, string? to, Guid? owner, IActorAccessor actors, ReportService reports, ReportEngine engine, CancellationToken ct) =>
        {
            var (result, problem) = await RunAsync(key, from, to, owner, actors.Required, reports, engine, ct);
            return problem ?? Results.Ok(new
            {
                key, result!.Type, result.Chart, result.Dimension, result.Columns, result.Highlight, result.Kpi, result.TotalRows, result.Problem,
                rows = result.Rows.Select(r => new { r.Key, r.Label, r.RecordId, values = r.Cells.Select(c => (object?)c.Number ?? c.Text) }),
            });
        });

        api.MapGet("/reports/{key}.csv", async (string key, string? from, string? to, Guid? owner, IActorAccessor actors, ReportService reports, ReportEngine engine, CancellationToken ct) =>
        {
            var (result, problem) = await RunAsync(key, from, to, owner, actors.Required, reports, engine, ct);
            return problem ?? Results.Text(ReportCsv.Write(result!), ReportCsv.ContentType);
        });
    }

    private static async Task<(ReportResult?, IResult?)> RunAsync(string key, string? from, string? to, Guid? owner, Actor actor, ReportService reports, ReportEngine engine, CancellationToken ct)
    {
        var report = await reports.GetAsync(actor, key, ct);
        if (report is null) return (null, Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"Not found: {key}"));
        var errors = new Crm.Core.Accounts.ValidationErrors();
        var fromDate = Date(from, "from", errors);
        var toDate = Date(to, "to", errors);
        if (!errors.IsEmpty) throw new ApiValidationException(errors);
        return (await engine.RunAsync(actor, report, new ReportFilters { From = fromDate, To = toDate, OwnerId = owner }, ct), null);
    }

    private static DateOnly? Date(string? value, string name, Crm.Core.Accounts.ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return date;
        errors.Add(name, "Expected a date as yyyy-MM-dd.");
        return null;
    }
}
