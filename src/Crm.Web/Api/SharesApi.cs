using Crm.Core.Permissions;
using Crm.Core.Security;

namespace Crm.Web.Api;

/// <summary>
/// Sharing one record with a member or a department (<c>records/{id}/shares</c>): list, add (or change the level of)
/// and revoke. A record the caller may not read is a 404; one they may read but not share (not in their edit
/// scope, not an administrator) is a 403.
/// </summary>
public static class SharesApi
{
    /// <summary>Exactly one of <see cref="User"/> and <see cref="Department"/>; <see cref="CanEdit"/> false means read only.</summary>
    public sealed record ShareBody(Guid? User, Guid? Department, bool? CanEdit);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/records/{id:guid}/shares", async (Guid id, IActorAccessor actors, RecordShareService shares, CancellationToken ct)
            => await shares.ListAsync(actors.Required, id, ct) is { } list ? Results.Ok(new { items = list.Select(Dto) }) : NotFound(id));

        api.MapPost("/records/{id:guid}/shares", async (Guid id, ShareBody body, IActorAccessor actors, RecordShareService shares, CancellationToken ct) =>
        {
            var result = await shares.ShareAsync(actors.Required, id, new RecordShareInput(body.User, body.Department, body.CanEdit ?? false), ct);
            if (result.NotFound) return NotFound(id);
            if (!result.Succeeded) return Results.ValidationProblem(result.Errors.ToDictionary());
            return Results.Ok(Dto(result.Share!));
        });

        api.MapDelete("/records/{id:guid}/shares/{shareId:guid}", async (Guid id, Guid shareId, IActorAccessor actors, RecordShareService shares, CancellationToken ct)
            => await shares.RevokeAsync(actors.Required, id, shareId, ct) ? Results.NoContent() : NotFound(shareId));
    }

    private static IResult NotFound(Guid id) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"Not found: {id}");

    private static object Dto(RecordShareItem s) => new
    {
        id = s.Id,
        user = s.UserId,
        department = s.DepartmentId,
        name = s.Name,
        canEdit = s.CanEdit,
        createdAt = s.CreatedAt,
    };
}
