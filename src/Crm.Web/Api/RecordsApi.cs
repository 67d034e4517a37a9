using System.Text.Json.Nodes;
using Crm.Core;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Crm.Web.Api;

/// <summary>
/// Records and their schema for integrators. Validation is the same as in forms: the entity type's JSON Schema
/// (served at <c>entities/{key}/schema</c>) plus the server's reference checks; errors are keyed by field key.
/// </summary>
public static class RecordsApi
{
    public sealed record RecordBody(JsonObject? Values, string? Pipeline, long? Version);

    /// <summary>An entity type as the caller may use it: the fields they see, which they may write.</summary>
    public sealed record EntityDto(string Key, LocalizedText Label, LocalizedText PluralLabel, string? TitleField, IReadOnlyList<FieldDto> Fields, IReadOnlyList<PipelineDto> Pipelines);

    public sealed record FieldDto(string Key, string Type, LocalizedText Label, bool Required, bool ReadOnly);

    public sealed record PipelineDto(string Key, LocalizedText Label, IReadOnlyList<StageDto> Stages);

    /// <summary><c>kind</c> is open, won or lost.</summary>
    public sealed record StageDto(string Key, LocalizedText Label, int Probability, string Kind);

    /// <summary>A record as the caller may see it: no values of hidden fields, "—" for a hidden title.</summary>
    public sealed record RecordDto(Guid Id, string Entity, string Title, long Version, string? Pipeline, JsonObject Values, DateTime CreatedAt, DateTime UpdatedAt);

    public sealed record RecordPage(int Total, IReadOnlyList<RecordDto> Items);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/entities", async Task<Ok<EntityDto[]>> (IActorAccessor actors, MetadataStore metadata, IAccessResolver access, CancellationToken ct) =>
        {
            var meta = await metadata.GetAsync(actors.Required.TenantId, ct);
            var active = meta.EntityTypes.Where(e => !e.Entity.IsArchived).ToList();
            var rights = await access.GetAllAsync(actors.Required, active.Select(e => e.Entity.Id).ToList(), ct);
            return TypedResults.Ok(active.Select(e =>
            {
                var fields = e.For(rights[e.Entity.Id]);
                return new EntityDto(e.Key, e.Entity.Label, e.Entity.PluralLabel, fields.TitleHidden ? null : e.Entity.TitleFieldKey,
                    fields.Fields.Select(f => new FieldDto(f.Key, f.Type, f.Label, f.Settings.Required && fields.CanWrite(f.Key), !fields.CanWrite(f.Key))).ToList(),
                    e.Pipelines.Select(p => new PipelineDto(p.Key, p.Pipeline.Label,
                        p.Stages.Select(s => new StageDto(s.Key, s.Label, s.Probability, s.Kind.ToString().ToLowerInvariant())).ToList())).ToList());
            }).ToArray());
        });

        // The schema as the caller may use it: fields hidden from them are not in it, read-only ones say so.
        api.MapGet("/entities/{entity}/schema", async Task<Results<ContentHttpResult, NotFoundProblem>> (string entity, IActorAccessor actors, MetadataStore metadata, IAccessResolver access, CancellationToken ct) =>
        {
            var meta = await metadata.GetAsync(actors.Required.TenantId, ct);
            var e = meta.Entity(entity);
            if (e is null || e.Entity.IsArchived) return NotFound(entity);
            var fields = await access.FieldViewAsync(actors.Required, e, ct);
            var schema = fields.IsRestricted ? RecordSchemaCompiler.Compile(e, withPatterns: true, fields) : e.Schema;
            return TypedResults.Text(schema.ToJson(), SchemaContentType);
        }).Produces<JsonObject>(StatusCodes.Status200OK, SchemaContentType);

        api.MapGet("/entities/{entity}/records", async Task<Results<Ok<RecordPage>, NotFoundProblem>> (string entity, int? skip, int? take, string? q, IActorAccessor actors, MetadataStore metadata, IAccessResolver access, ICrmDbContextFactory factory, CancellationToken ct) =>
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
            return TypedResults.Ok(new RecordPage(total, page.Select(r => Dto(r, fields)).ToList()));
        });

        api.MapGet("/records/{id:guid}", async Task<Results<Ok<RecordDto>, NotFoundProblem>> (Guid id, HttpContext http, IActorAccessor actors, RecordService records, MetadataStore metadata, IAccessResolver access, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var record = await records.GetAsync(actor, id, ct);
            if (record is null) return NotFound(id.ToString());
            http.Response.Headers.ETag = RecordPrecondition.ETag(record.Version);
            return TypedResults.Ok(await DtoAsync(record, actor, metadata, access, ct));
        });

        api.MapPost("/entities/{entity}/records", async Task<Results<Created<RecordDto>, ValidationProblem, ConflictProblem>> (string entity, RecordBody body, IActorAccessor actors, RecordService records, MetadataStore metadata, IAccessResolver access, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var result = await records.CreateAsync(actor, entity, new RecordInput(body.Values ?? []) { Pipeline = body.Pipeline }, ct);
            if (!result.Succeeded) return Conflict(result) is { } conflict ? conflict : Invalid(result);
            return TypedResults.Created($"records/{result.Record!.Id}", await DtoAsync(result.Record, actor, metadata, access, ct));
        });

        api.MapMethods("/records/{id:guid}", ["PUT", "PATCH"], async Task<Results<Ok<RecordDto>, NotFoundProblem, ValidationProblem, ConflictProblem, PreconditionProblem>> (Guid id, RecordBody body, HttpContext http, IActorAccessor actors, RecordService records, MetadataStore metadata, IAccessResolver access,
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
                return Conflict(result, precondition.FromHeader ? StatusCodes.Status412PreconditionFailed : StatusCodes.Status409Conflict, current) is { } conflict ? conflict : Invalid(result);
            }
            http.Response.Headers.ETag = RecordPrecondition.ETag(result.Record!.Version);
            return TypedResults.Ok(await DtoAsync(result.Record!, actor, metadata, access, ct));
        });

        api.MapDelete("/records/{id:guid}", async Task<Results<NoContent, NotFoundProblem, ForbiddenProblem>> (Guid id, IActorAccessor actors, RecordService records,
            Microsoft.Extensions.Localization.IStringLocalizer<Crm.Core.Resources.CoreStrings> t, CancellationToken ct) =>
        {
            // Not readable: 404 (no existence leak); readable but outside the delete scope: 403 with the reason.
            var rights = await records.RightsAsync(actors.Required, id, ct);
            if (rights is null) return NotFound(id.ToString());
            if (!rights.CanDelete) return new ForbiddenProblem(t["Record.CannotDelete"]);
            return await records.DeleteAsync(actors.Required, [id], ct) == 0 ? NotFound(id.ToString()) : TypedResults.NoContent();
        });
    }

    public const string SchemaContentType = "application/schema+json";

    private static NotFoundProblem NotFound(string what) => NotFoundProblem.Of(what);

    private static ValidationProblem Invalid(RecordResult result) => TypedResults.ValidationProblem(result.Errors.ToDictionary());

    /// <summary>The write met a newer version: 409 (or 412 for a stale If-Match) with the current one; else null.</summary>
    private static ConflictProblem? Conflict(RecordResult result, int conflictStatus = StatusCodes.Status409Conflict, EntityFieldView? fields = null)
    {
        if (result.Conflict is { } current)
            return new ConflictProblem(conflictStatus, result.Errors.For(RecordWriter.RecordErrorKey).FirstOrDefault(),
                new Dictionary<string, object?> { ["current"] = new { id = current.Id, version = current.Version, values = fields is null ? JsonNode.Parse(current.Values) : fields.Visible(RecordWriter.ParseValues(current.Values)) } });
        return null;
    }

    private static async Task<RecordDto> DtoAsync(Record r, Actor actor, MetadataStore metadata, IAccessResolver access, CancellationToken ct)
    {
        var meta = await metadata.GetAsync(actor.TenantId, ct);
        return Dto(r, await access.FieldViewAsync(actor, meta.Entity(r.EntityTypeId)!, ct));
    }

    private static RecordDto Dto(Record r, EntityFieldView fields)
        => new(r.Id, fields.Entity.Key, fields.Title(r.Title), r.Version, fields.Entity.Pipeline(r.PipelineId ?? Guid.Empty)?.Key,
            fields.Visible(RecordWriter.ParseValues(r.Values)), r.CreatedAt, r.UpdatedAt);
}
