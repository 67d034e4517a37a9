using Crm.Core.Permissions;
using Crm.Core.Security;
using Microsoft.AspNetCore.Http.HttpResults;

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

    /// <summary>A share: with a member (<c>user</c>) or a department, by its name; <c>canEdit</c> false means read only.</summary>
    public sealed record ShareDto(Guid Id, Guid? User, Guid? Department, string Name, bool CanEdit, DateTime CreatedAt);

    public sealed record ShareList(IReadOnlyList<ShareDto> Items);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/records/{id:guid}/shares", async Task<Results<Ok<ShareList>, NotFoundProblem>> (Guid id, IActorAccessor actors, RecordShareService shares, CancellationToken ct)
            => await shares.ListAsync(actors.Required, id, ct) is { } list ? TypedResults.Ok(new ShareList(list.Select(Dto).ToList())) : NotFound(id));

        api.MapPost("/records/{id:guid}/shares", async Task<Results<Ok<ShareDto>, NotFoundProblem, ValidationProblem>> (Guid id, ShareBody body, IActorAccessor actors, RecordShareService shares, CancellationToken ct) =>
        {
            var result = await shares.ShareAsync(actors.Required, id, new RecordShareInput(body.User, body.Department, body.CanEdit ?? false), ct);
            if (result.NotFound) return NotFound(id);
            if (!result.Succeeded) return TypedResults.ValidationProblem(result.Errors.ToDictionary());
            return TypedResults.Ok(Dto(result.Share!));
        });

        api.MapDelete("/records/{id:guid}/shares/{shareId:guid}", async Task<Results<NoContent, NotFoundProblem>> (Guid id, Guid shareId, IActorAccessor actors, RecordShareService shares, CancellationToken ct)
            => await shares.RevokeAsync(actors.Required, id, shareId, ct) ? TypedResults.NoContent() : NotFound(shareId));
    }

    private static NotFoundProblem NotFound(Guid id) => NotFoundProblem.Of(id);

    private static ShareDto Dto(RecordShareItem s) => new(s.Id, s.UserId, s.DepartmentId, s.Name, s.CanEdit, s.CreatedAt);
}
