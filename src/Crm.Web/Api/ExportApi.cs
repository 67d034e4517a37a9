using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Export;
using Crm.Core.Lists;
using Crm.Core.Security;
using Crm.Core.Views;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Web.Api;

/// <summary>
/// A record list as a file: <c>GET entities/{entity}/export?format=csv|xlsx&amp;view={key}&amp;def={json}</c>. <c>def</c> is
/// the list's current state (a <see cref="ViewDefinition"/> as JSON: columns, filters, sort, search), else the saved
/// view <c>view</c>, else the default view. The caller's read scope and field rights apply; the export is audited.
/// Streamed: the status and headers go out after the plan (bad input is a 400 before the first byte), then rows as
/// they are read.
/// </summary>
public static class ExportApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/entities/{entity}/export", async Task<Results<PushStreamHttpResult, NotFoundProblem>> (string entity, string? format, string? view, string? def, HttpContext http, IActorAccessor actors,
            SavedViewService views, Crm.Core.Metadata.MetadataStore metadata, RecordExporter exporter, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var t = ApiText.For(http);
            var errors = new ValidationErrors();
            var kind = ExportFormats.Parse(format);
            if (kind is null) errors.Add("format", t["Problem.Parameter", "format"]);
            ViewDefinition? definition = null;
            if (!string.IsNullOrWhiteSpace(def))
            {
                try { definition = Json.Deserialize<ViewDefinition>(def); }
                catch (System.Text.Json.JsonException) { }
                if (definition is null) errors.Add("def", t["Problem.Parameter", "def"]);
            }
            if (!errors.IsEmpty) throw new ApiValidationException(errors);
            definition ??= (await views.ResolveAsync(actor, entity, view, ct: ct))?.Definition;
            if (definition is null && (await metadata.GetAsync(actor.TenantId, ct)).Entity(entity) is { } meta) definition = SavedViewService.Fallback(meta);

            var plan = await exporter.PlanAsync(actor, entity, definition ?? new ViewDefinition(), kind!.Value, System.Globalization.CultureInfo.CurrentUICulture, ct);
            if (plan is null) return NotFoundProblem.Of(entity);
            return TypedResults.Stream(body => SpreadsheetWriter.WriteAsync(kind.Value, body, plan.Header, exporter.RowsAsync(plan, ct), ct),
                ExportFormats.ContentType(kind.Value), RecordExporter.FileName(plan, kind.Value, DateTime.UtcNow));
        }).Produces<Stream>(StatusCodes.Status200OK, ExportFormats.CsvContentType, ExportFormats.XlsxContentType);
    }
}
