using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Web.Api;

/// <summary>Templates for integrators and admins' scripts: install (or dry-run) a template document, export the workspace.</summary>
public static class TemplatesApi
{
    /// <summary>What an install did (or, on a dry run, would do): the outcome and each planned change.</summary>
    public sealed record InstallDto(string Outcome, int SampleRecords, IReadOnlyList<ChangeDto> Changes);

    public sealed record ChangeDto(string Kind, string Element, string Path, string? Property, string? Detail);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/templates/export", async Task<JsonHttpResult<TemplateDocument>> (IActorAccessor actors, TemplateExporter exporter, CancellationToken ct)
            => TypedResults.Json(await exporter.ExportAsync(actors.Required, ct), Crm.Core.Json.Indented))
            .Produces<TemplateDocument>(StatusCodes.Status200OK, "application/json");

        // The body is the template JSON itself (application/json, at most 1 MB).
        api.MapPost("/templates/install", async Task<Results<Ok<InstallDto>, ValidationProblem>> (HttpRequest request, bool? sampleData, bool? dryRun, IActorAccessor actors, TemplateInstaller installer, CancellationToken ct) =>
        {
            var actor = actors.Required;
            actor.Require(MemberRole.Admin);
            if (request.ContentLength > TemplateParser.MaxBytes)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["The template is larger than 1 MB."] });
            using var reader = new StreamReader(request.Body);
            var buffer = new char[TemplateParser.MaxBytes + 1];
            var read = await reader.ReadBlockAsync(buffer, ct);
            var json = new string(buffer, 0, read);
            var result = await installer.InstallAsync(actor, json, new InstallOptions(sampleData ?? false, dryRun ?? false), null, ct);
            if (!result.Succeeded) return TypedResults.ValidationProblem(result.Errors.ToDictionary(), title: "The template was not installed; nothing was changed.");
            return TypedResults.Ok(new InstallDto(result.Outcome.ToString(), result.SampleRecords,
                result.Changes.Select(c => new ChangeDto(c.Kind.ToString(), c.Element, c.Path, c.Property, c.Detail)).ToList()));
        }).Accepts<TemplateDocument>("application/json");
    }
}
