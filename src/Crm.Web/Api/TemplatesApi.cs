using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;

namespace Crm.Web.Api;

/// <summary>Templates for integrators and admins' scripts: install (or dry-run) a template document, export the workspace.</summary>
public static class TemplatesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/templates/export", async (IActorAccessor actors, TemplateExporter exporter, CancellationToken ct)
            => Results.Json(await exporter.ExportAsync(actors.Required, ct), Crm.Core.Json.Indented));

        // The body is the template JSON itself (application/json, at most 1 MB).
        api.MapPost("/templates/install", async (HttpRequest request, bool? sampleData, bool? dryRun, IActorAccessor actors, TemplateInstaller installer, CancellationToken ct) =>
        {
            var actor = actors.Required;
            actor.Require(MemberRole.Admin);
            if (request.ContentLength > TemplateParser.MaxBytes)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["The template is larger than 1 MB."] });
            using var reader = new StreamReader(request.Body);
            var buffer = new char[TemplateParser.MaxBytes + 1];
            var read = await reader.ReadBlockAsync(buffer, ct);
            var json = new string(buffer, 0, read);
            var result = await installer.InstallAsync(actor, json, new InstallOptions(sampleData ?? false, dryRun ?? false), null, ct);
            if (!result.Succeeded) return Results.ValidationProblem(result.Errors.ToDictionary(), title: "The template was not installed; nothing was changed.");
            return Results.Ok(new
            {
                outcome = result.Outcome.ToString(),
                sampleRecords = result.SampleRecords,
                changes = result.Changes.Select(c => new { kind = c.Kind.ToString(), c.Element, c.Path, c.Property, c.Detail }),
            });
        });
    }
}
