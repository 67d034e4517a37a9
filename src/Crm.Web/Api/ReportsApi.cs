using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Views;
using Crm.Web.Components.Reports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Web.Api;

/// <summary>
/// Saved reports for integrators and spreadsheets: the list, a report's result as JSON, and as CSV. Query
/// parameters narrow it like the report page does: <c>from</c>, <c>to</c> (yyyy-MM-dd, both days included),
/// <c>owner</c> (a member id) and <c>field.{key}</c> for any select, status or stage field of the report's entity type
/// (option keys, comma-separated or repeated; a status filter may name a status group): <c>?field.stage=won,negotiation</c>.
/// </summary>
public static class ReportsApi
{
    /// <summary>A saved report; <c>shared</c> when the whole workspace sees it.</summary>
    public sealed record ReportDto(string Key, LocalizedText Name, LocalizedText? Description, string Type, string Chart, bool Shared);

    /// <summary>A report's result: its columns, and per row the cells in column order (a number, or text).</summary>
    public sealed record ReportResultDto(string Key, string Type, string Chart, string Dimension, IReadOnlyList<ReportColumn> Columns, int? Highlight, ReportKpi? Kpi,
        int TotalRows, string? Problem, IReadOnlyList<ReportRowDto> Rows);

    public sealed record ReportRowDto(string Key, string Label, Guid? RecordId, IReadOnlyList<object?> Values);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/reports", async Task<Ok<ReportDto[]>> (IActorAccessor actors, ReportService reports, CancellationToken ct)
            => TypedResults.Ok((await reports.ListAsync(actors.Required, ct))
                .Select(r => new ReportDto(r.Key, r.Name, r.Description, r.Spec.Type, r.Spec.Chart, r.OwnerUserId is null)).ToArray()));

        api.MapGet("/reports/{key}", async Task<Results<Ok<ReportResultDto>, NotFoundProblem, ForbiddenProblem>> (string key, string? from, string? to, Guid? owner, HttpRequest request, IActorAccessor actors, ReportService reports, ReportEngine engine, MetadataStore metadata, CancellationToken ct) =>
        {
            var (result, missing, refused) = await RunAsync(key, from, to, owner, request, actors.Required, reports, engine, metadata, ct);
            if (missing is not null) return missing;
            if (refused is not null) return refused;
            return TypedResults.Ok(new ReportResultDto(key, result!.Type, result.Chart, result.Dimension, result.Columns, result.Highlight, result.Kpi, result.TotalRows, result.Problem,
                result.Rows.Select(r => new ReportRowDto(r.Key, r.Label, r.RecordId, r.Cells.Select(c => (object?)c.Number ?? c.Text).ToList())).ToList()));
        });

        api.MapGet("/reports/{key}.csv", async Task<Results<ContentHttpResult, NotFoundProblem, ForbiddenProblem>> (string key, string? from, string? to, Guid? owner, HttpRequest request, IActorAccessor actors, ReportService reports, ReportEngine engine, MetadataStore metadata, Crm.Core.Audit.IAuditLog audit, CancellationToken ct) =>
        {
            var (result, missing, refused) = await RunAsync(key, from, to, owner, request, actors.Required, reports, engine, metadata, ct);
            if (missing is not null) return missing;
            if (refused is not null) return refused;
            var csv = ReportCsv.Write(result!);
            var report = (await reports.GetAsync(actors.Required, key, ct))!;
            await audit.WriteAsync(Crm.Core.Audit.AuditEvents.ReportExported(report, from, to, owner?.ToString(), result!.Rows.Count, "api"), ct);
            return TypedResults.Text(csv, ReportCsv.ContentType);
        }).Produces<string>(StatusCodes.Status200OK, ReportCsv.ContentType);
    }

    private static async Task<(ReportResult? Result, NotFoundProblem? Missing, ForbiddenProblem? Refused)> RunAsync(string key, string? from, string? to, Guid? owner, HttpRequest request, Actor actor,
        ReportService reports, ReportEngine engine, MetadataStore metadata, CancellationToken ct)
    {
        var report = await reports.GetAsync(actor, key, ct);
        if (report is null) return (null, NotFoundProblem.Of(key), null);
        var errors = new Crm.Core.Accounts.ValidationErrors();
        var t = ApiText.For(request.HttpContext);
        var fromDate = Date(from, "from", errors, t);
        var toDate = Date(to, "to", errors, t);
        if (fromDate > toDate) errors.Add("to", t["Problem.DateOrder"]);
        var entity = (await metadata.GetAsync(actor.TenantId, ct)).Entity(report.EntityTypeId);
        var fields = FieldFilters(request.Query, entity, errors);
        if (!errors.IsEmpty) throw new ApiValidationException(errors);
        var result = await engine.RunAsync(actor, report, new ReportFilters { From = fromDate, To = toDate, OwnerId = owner, Fields = fields }, ct);
        // A report on a field hidden from the caller is refused, naming the field (JSON and CSV alike).
        if (result.HiddenField is { } hidden)
            return (null, null, new ForbiddenProblem(result.Problem,
                new Dictionary<string, object?> { ["field"] = hidden.FieldKey, ["entity"] = hidden.EntityKey }));
        return (result, null, null);
    }

    public const string FieldPrefix = "field.";

    /// <summary>
    /// <c>field.{key}=a,b</c> parameters as "in" filters, each checked: the field is a select, status or stage field
    /// of the report's entity type and every value is one of its option keys (or, for a status, a status group).
    /// </summary>
    private static List<FilterSpec> FieldFilters(IQueryCollection query, EntityMeta? entity, Crm.Core.Accounts.ValidationErrors errors)
    {
        var filters = new List<FilterSpec>();
        foreach (var (name, raw) in query)
        {
            if (!name.StartsWith(FieldPrefix, StringComparison.Ordinal)) continue;
            var key = name[FieldPrefix.Length..];
            var field = entity?.Field(key);
            if (field is null || entity is null || FieldTypeRegistry.Find(field.Type) is not ChoiceFieldBase choice)
            {
                errors.Add(name, $"'{key}' is not a select, status or stage field of this report's entity type.");
                continue;
            }
            var values = raw.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Distinct().ToList();
            if (values.Count == 0)
            {
                errors.Add(name, "Name at least one option key.");
                continue;
            }
            var known = choice.Options(new FieldContext(field, entity)).Select(o => o.Key).ToList();
            if (field.Type == "status" && entity.Owner.StatusList(field.Settings.StatusList) is { } list)
                known.AddRange(list.List.Groups.Select(g => g.Key));
            var unknown = values.Where(v => !known.Contains(v)).ToList();
            if (unknown.Count > 0)
            {
                errors.Add(name, $"Unknown option {string.Join(", ", unknown.Select(u => $"'{u}'"))}; expected one of: {string.Join(", ", known.Distinct())}.");
                continue;
            }
            filters.Add(new FilterSpec(key, "in", new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray())));
        }
        return filters;
    }

    private static DateOnly? Date(string? value, string name, Crm.Core.Accounts.ValidationErrors errors, Microsoft.Extensions.Localization.IStringLocalizer t)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            errors.Add(name, t["Problem.DateFormat"]);
            return null;
        }
        if (ReportFilters.InRange(date)) return date;
        errors.Add(name, t["Problem.DateRange", ReportFilters.EarliestDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ReportFilters.LatestDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)]);
        return null;
    }
}
