using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Api;

/// <summary>
/// The workspace's API keys, for its admins: list, create (the secret is in the answer this once), revoke. Only
/// a signed-in admin may: a key cannot manage keys (a leaked key could otherwise outlive its own revocation).
/// </summary>
public static class ApiKeysApi
{
    /// <summary><c>role</c> is a name (Admin, Member, Viewer); <c>expiresAt</c> is ISO 8601, UTC unless it carries an offset.</summary>
    public sealed record CreateBody(string? Name, string? Role, DateTimeOffset? ExpiresAt);

    public static void Map(RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys");

        keys.MapGet("", async (IActorAccessor actors, ApiKeyService service, IStringLocalizer<CoreStrings> t, CancellationToken ct) =>
        {
            if (RefuseKey(actors.Required, t) is { } refused) return refused;
            return Results.Ok((await service.ListAsync(actors.Required, ct)).Select(Dto));
        });

        keys.MapPost("", async (CreateBody body, IActorAccessor actors, ApiKeyService service, IStringLocalizer<CoreStrings> t, CancellationToken ct) =>
        {
            var actor = actors.Required;
            if (RefuseKey(actor, t) is { } refused) return refused;
            actor.Require(MemberRole.Admin);
            // A missing or unknown role goes in as an undefined value: the service refuses it by name with the other fields.
            var role = ParseRole(body.Role) ?? (MemberRole)(-1);
            var result = await service.CreateAsync(actor, new ApiKeyRequest(body.Name, role, body.ExpiresAt?.UtcDateTime), ct);
            if (!result.Succeeded) throw new ApiValidationException(result.Errors);
            return Results.Created($"api-keys/{result.Key!.Id}", new
            {
                id = result.Key.Id,
                name = result.Key.Name,
                prefix = result.Key.Prefix,
                role = result.Key.Role.ToString(),
                createdAt = result.Key.CreatedAt,
                expiresAt = result.Key.ExpiresAt,
                // Shown this once: only its hash is kept.
                key = result.Secret,
            });
        });

        keys.MapDelete("/{id:guid}", async (Guid id, IActorAccessor actors, ApiKeyService service, IStringLocalizer<CoreStrings> t, CancellationToken ct) =>
        {
            if (RefuseKey(actors.Required, t) is { } refused) return refused;
            return await service.RevokeAsync(actors.Required, id, ct)
                ? Results.NoContent()
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: t["ApiKey.NotFound", id]);
        });
    }

    private static IResult? RefuseKey(Actor actor, IStringLocalizer<CoreStrings> t)
        => actor.ApiKeyId is null ? null : Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: t["ApiKey.KeysCannotManageKeys"]);

    /// <summary>A role by name, any case; numbers and unknown names are not roles.</summary>
    private static MemberRole? ParseRole(string? value)
        => value is { Length: > 0 } && !char.IsAsciiDigit(value[0]) && value[0] != '-' && Enum.TryParse<MemberRole>(value.Trim(), ignoreCase: true, out var role) && Enum.IsDefined(role)
            ? role : null;

    private static object Dto(ApiKeyView k) => new
    {
        id = k.Id,
        name = k.Name,
        prefix = k.Prefix,
        role = k.Role.ToString(),
        createdBy = k.CreatedByName,
        createdAt = k.CreatedAt,
        expiresAt = k.ExpiresAt,
        lastUsedAt = k.LastUsedAt,
        revokedAt = k.RevokedAt,
    };
}
