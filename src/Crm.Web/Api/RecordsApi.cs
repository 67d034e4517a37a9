using System.Text.Json.Nodes;
using Crm.Core;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Crm.Web.Api;

/// <summary>
/// Records and their schema for integrators. Validation is the same as in forms: the entity type's JSON Schema
/// (served at <c>entities/{key}/schema</c>) plus the server's reference checks; errors are keyed by field key.
/// </summary>
public static class RecordsApi
{
    public sealed record RecordBody(JsonObject? Values, string? Pipeline, long? Version);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/entities", async (IActorAccessor actors, MetadataStore metadata, CancellationToken ct) =>
        {
            var meta = await metadata.GetAsync(actors.Required.TenantId, ct);
            return Results.Ok(meta.EntityTypes.Where(e => !e.Entity.IsArchived).Select(e => new
            {
                key = e.Key,
                label = e.Entity.Label,
                pluralLabel = e.Entity.PluralLabel,
                titleField = e.Entity.TitleFieldKey,
                fields = e.Fields.Select(f => new { key = f.Key, type = f.Type, label = f.Label, required = f.Settings.Required }),
                pipelines = e.Pipelines.Select(p => new { key = p.Key, label = p.Pipeline.Label, stages = p.Stages.Select(s => new { key = s.Key, label = s.Label, probability = s.Probability, kind = s.Kind.ToString().ToLowerInvariant() }) }),
            }));
        });

        api.MapGet("/entities/{entity}/schema", async (string entity, IActorAccessor actors, MetadataStore metadata, CancellationToken ct) =>
        {
            var meta = await metadata.GetAsync(actors.Required.TenantId, ct);
            var e = meta.Entity(entity);
            return e is null || e.Entity.IsArchived ? NotFound(entity) : Results.Text(e.Schema.ToJson(), "application/schema+json");
        });

        api.MapGet("/entities/{entity}/records", async (string entity, int? skip, int? take, string? q, IActorAccessor actors, MetadataStore metadata, ICrmDbContextFactory factory,
            Crm.Core.Permissions.IAccessResolver access, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var meta = await metadata.GetAsync(actor.TenantId, ct);
            var e = meta.Entity(entity);
            if (e is null) return NotFound(entity);
            await using var db = factory.CreateForTenant(actor.TenantId);
            // An API key acts as its maker: the maker's read scope (total included).
            var rights = await access.GetAsync(actor, e.Entity.Id, ct);
            var query = Crm.Core.Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.EntityTypeId == e.Entity.Id), db, rights);
            if (!string.IsNullOrWhiteSpace(q))
            {
                var needle = q.Trim().ToLowerInvariant();
                query = query.Where(r => r.SearchText.Contains(needle));
            }
            var total = await query.CountAsync(ct);
            var page = await query.OrderByDescending(r => r.UpdatedAt).ThenBy(r => r.Id)
                .Skip(Math.Max(0, skip ?? 0)).Take(Math.Clamp(take ?? 50, 1, 500)).ToListAsync(ct);
            return Results.Ok(new { total, items = page.Select(r => Dto(r, e)) });
        });

        api.MapGet("/records/{id:guid}", async (Guid id, HttpContext http, IActorAccessor actors, RecordService records, MetadataStore metadata, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var record = await records.GetAsync(actor, id, ct);
            if (record is null) return NotFound(id.ToString());
            http.Response.Headers.ETag = RecordPrecondition.ETag(record.Version);
            var meta = await metadata.GetAsync(actor.TenantId, ct);
            return Results.Ok(Dto(record, meta.Entity(record.EntityTypeId)!));
        });

        api.MapPost("/entities/{entity}/records", async (string entity, RecordBody body, IActorAccessor actors, RecordService records, MetadataStore metadata, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var result = await records.CreateAsync(actor, entity, new RecordInput(body.Values ?? []) { Pipeline = body.Pipeline }, ct);
            if (!result.Succeeded) return Invalid(result);
            var meta = await metadata.GetAsync(actor.TenantId, ct);
            return Results.Created($"records/{result.Record!.Id}", Dto(result.Record, meta.Entity(result.Record.EntityTypeId)!));
        });

        api.MapMethods("/records/{id:guid}", ["PUT", "PATCH"], async (Guid id, RecordBody body, HttpContext http, IActorAccessor actors, RecordService records, MetadataStore metadata,
            Microsoft.Extensions.Localization.IStringLocalizer<Crm.Core.Resources.CoreStrings> t, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var precondition = RecordPrecondition.Read(http.Request, body.Version, t);
            if (precondition.Refusal is { } refused) return refused;
            var input = new RecordInput(body.Values ?? []) { Pipeline = body.Pipeline, ExpectedVersion = precondition.ExpectedVersion, ReplaceAll = HttpMethods.IsPut(http.Request.Method) };
            var result = await records.UpdateAsync(actor, id, input, ct);
            if (result.NotFound) return NotFound(id.ToString());
            if (!result.Succeeded) return Invalid(result, precondition.FromHeader ? StatusCodes.Status412PreconditionFailed : StatusCodes.Status409Conflict);
            var meta = await metadata.GetAsync(actor.TenantId, ct);
            http.Response.Headers.ETag = RecordPrecondition.ETag(result.Record!.Version);
            return Results.Ok(Dto(result.Record!, meta.Entity(result.Record!.EntityTypeId)!));
        });

        api.MapDelete("/records/{id:guid}", async (Guid id, IActorAccessor actors, RecordService records,
            Microsoft.Extensions.Localization.IStringLocalizer<Crm.Core.Resources.CoreStrings> t, CancellationToken ct) =>
        {
            // Not readable: 404 (no existence leak); readable but outside the delete scope: 403 with the reason.
            var rights = await records.RightsAsync(actors.Required, id, ct);
            if (rights is null) return NotFound(id.ToString());
            if (!rights.CanDelete) throw new ForbiddenException(t["Record.CannotDelete"]);
            return await records.DeleteAsync(actors.Required, [id], ct) == 0 ? NotFound(id.ToString()) : Results.NoContent();
        });
    }

    private static IResult NotFound(string what) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"Not found: {what}");

    private static IResult Invalid(RecordResult result, int conflictStatus = StatusCodes.Status409Conflict)
    {
        if (result.Conflict is { } current)
            return Results.Problem(statusCode: conflictStatus, title: result.Errors.For(RecordWriter.RecordErrorKey).FirstOrDefault(),
                extensions: new Dictionary<string, object?> { ["current"] = new { id = current.Id, version = current.Version, values = JsonNode.Parse(current.Values) } });
        return Results.ValidationProblem(result.Errors.ToDictionary());
    }

    private static object Dto(Record r, EntityMeta e) => new
    {
        id = r.Id,
        entity = e.Key,
        title = r.Title,
        version = r.Version,
        pipeline = e.Pipeline(r.PipelineId ?? Guid.Empty)?.Key,
        values = JsonNode.Parse(r.Values),
        createdAt = r.CreatedAt,
        updatedAt = r.UpdatedAt,
    };
}
