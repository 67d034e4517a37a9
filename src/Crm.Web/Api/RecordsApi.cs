using System.Text.Json.Nodes;
using Crm.Core;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
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
        api.MapGet("/entities", async (IActorAccessor actors, MetadataStore metadata, IAccessResolver access, CancellationToken ct) =>
        {
            var meta = await metadata.GetAsync(actors.Required.TenantId, ct);
            var active = meta.EntityTypes.Where(e => !e.Entity.IsArchived).ToList();
            var rights = await access.GetAllAsync(actors.Required, active.Select(e => e.Entity.Id).ToList(), ct);
            return Results.Ok(active.Select(e =>
            {
                var fields = e.For(rights[e.Entity.Id]);
                return new
                {
                    key = e.Key,
                    label = e.Entity.Label,
                    pluralLabel = e.Entity.PluralLabel,
                    titleField = fields.TitleHidden ? null : e.Entity.TitleFieldKey,
                    fields = fields.Fields.Select(f => new { key = f.Key, type = f.Type, label = f.Label, required = f.Settings.Required && fields.CanWrite(f.Key), readOnly = !fields.CanWrite(f.Key) }),
                    pipelines = e.Pipelines.Select(p => new { key = p.Key, label = p.Pipeline.Label, stages = p.Stages.Select(s => new { key = s.Key, label = s.Label, probability = s.Probability, kind = s.Kind.ToString().ToLowerInvariant() }) }),
                };
            }));
        });

        // The schema as the caller may use it: fields hidden from them are not in it, read-only ones say so.
        api.MapGet("/entities/{entity}/schema", async (string entity, IActorAccessor actors, MetadataStore metadata, IAccessResolver access, CancellationToken ct) =>
        {
            var meta = await metadata.GetAsync(actors.Required.TenantId, ct);
            var e = meta.Entity(entity);
            if (e is null || e.Entity.IsArchived) return NotFound(entity);
            var fields = await access.FieldViewAsync(actors.Required, e, ct);
            var schema = fields.IsRestricted ? RecordSchemaCompiler.Compile(e, withPatterns: true, fields) : e.Schema;
            return Results.Text(schema.ToJson(), "application/schema+json");
        });

        api.MapGet("/entities/{entity}/records", async (string entity, int? skip, int? take, string? q, IActorAccessor actors, MetadataStore metadata, IAccessResolver access, ICrmDbContextFactory factory, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var meta = await metadata.GetAsync(actor.TenantId, ct);
            var e = meta.Entity(entity);
            if (e is null) return NotFound(entity);
            var fields = await access.FieldViewAsync(actor, e, ct);
            await using var db = factory.CreateForTenant(actor.TenantId);
            // An API key acts as its maker: the maker's read scope (total included); the search looks only through
            // the fields the caller sees.
            var query = RecordFilters.Search(Crm.Core.Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.EntityTypeId == e.Entity.Id), db, fields.Access), q, fields);
            var total = await query.CountAsync(ct);
            var page = await query.OrderByDescending(r => r.UpdatedAt).ThenBy(r => r.Id)
                .Skip(Math.Max(0, skip ?? 0)).Take(Math.Clamp(take ?? 50, 1, 500)).ToListAsync(ct);
            return Results.Ok(new { total, items = page.Select(r => Dto(r, fields)) });
        });

        api.MapGet("/records/{id:guid}", async (Guid id, HttpContext http, IActorAccessor actors, RecordService records, MetadataStore metadata, IAccessResolver access, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var record = await records.GetAsync(actor, id, ct);
            if (record is null) return NotFound(id.ToString());
            http.Response.Headers.ETag = RecordPrecondition.ETag(record.Version);
            return Results.Ok(await DtoAsync(record, actor, metadata, access, ct));
        });

        api.MapPost("/entities/{entity}/records", async (string entity, RecordBody body, IActorAccessor actors, RecordService records, MetadataStore metadata, IAccessResolver access, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var result = await records.CreateAsync(actor, entity, new RecordInput(body.Values ?? []) { Pipeline = body.Pipeline }, ct);
            if (!result.Succeeded) return Invalid(result);
            return Results.Created($"records/{result.Record!.Id}", await DtoAsync(result.Record, actor, metadata, access, ct));
        });

        api.MapMethods("/records/{id:guid}", ["PUT", "PATCH"], async (Guid id, RecordBody body, HttpContext http, IActorAccessor actors, RecordService records, MetadataStore metadata, IAccessResolver access,
            Microsoft.Extensions.Localization.IStringLocalizer<Crm.Core.Resources.CoreStrings> t, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var precondition = RecordPrecondition.Read(http.Request, body.Version, t);
            if (precondition.Refusal is { } refused) return refused;
            var input = new RecordInput(body.Values ?? []) { Pipeline = body.Pipeline, ExpectedVersion = precondition.ExpectedVersion, ReplaceAll = HttpMethods.IsPut(http.Request.Method) };
            var result = await records.UpdateAsync(actor, id, input, ct);
            if (result.NotFound) return NotFound(id.ToString());
            if (!result.Succeeded)
            {
                var current = result.Conflict is { } c ? await access.FieldViewAsync(actor, (await metadata.GetAsync(actor.TenantId, ct)).Entity(c.EntityTypeId)!, ct) : null;
                return Invalid(result, precondition.FromHeader ? StatusCodes.Status412PreconditionFailed : StatusCodes.Status409Conflict, current);
            }
            http.Response.Headers.ETag = RecordPrecondition.ETag(result.Record!.Version);
            return Results.Ok(await DtoAsync(result.Record!, actor, metadata, access, ct));
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

    private static IResult Invalid(RecordResult result, int conflictStatus = StatusCodes.Status409Conflict, EntityFieldView? fields = null)
    {
        if (result.Conflict is { } current)
            return Results.Problem(statusCode: conflictStatus, title: result.Errors.For(RecordWriter.RecordErrorKey).FirstOrDefault(),
                extensions: new Dictionary<string, object?> { ["current"] = new { id = current.Id, version = current.Version, values = fields is null ? JsonNode.Parse(current.Values) : fields.Visible(RecordWriter.ParseValues(current.Values)) } });
        return Results.ValidationProblem(result.Errors.ToDictionary());
    }

    private static async Task<object> DtoAsync(Record r, Actor actor, MetadataStore metadata, IAccessResolver access, CancellationToken ct)
    {
        var meta = await metadata.GetAsync(actor.TenantId, ct);
        return Dto(r, await access.FieldViewAsync(actor, meta.Entity(r.EntityTypeId)!, ct));
    }

    /// <summary>The record as the caller may see it: no values of hidden fields, "—" for a hidden title.</summary>
    private static object Dto(Record r, EntityFieldView fields) => new
    {
        id = r.Id,
        entity = fields.Entity.Key,
        title = fields.Title(r.Title),
        version = r.Version,
        pipeline = fields.Entity.Pipeline(r.PipelineId ?? Guid.Empty)?.Key,
        values = fields.Visible(RecordWriter.ParseValues(r.Values)),
        createdAt = r.CreatedAt,
        updatedAt = r.UpdatedAt,
    };
}
