using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
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

    /// <summary>A key as its admins see it; <c>role</c> by name.</summary>
    public sealed record ApiKeyDto(Guid Id, string Name, string Prefix, string Role, string? CreatedBy, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt, DateTime? RevokedAt);

    /// <summary>The new key; <c>key</c> is its secret, shown this once (only its hash is kept).</summary>
    public sealed record ApiKeyCreated(Guid Id, string Name, string Prefix, string Role, DateTime CreatedAt, DateTime? ExpiresAt, string Key);

    public static void Map(RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys");

        keys.MapGet("", async Task<Results<Ok<ApiKeyDto[]>, ForbiddenProblem>> (IActorAccessor actors, ApiKeyService service, IStringLocalizer<CoreStrings> t, CancellationToken ct) =>
        {
            if (RefuseKey(actors.Required, t) is { } refused) return refused;
            return TypedResults.Ok((await service.ListAsync(actors.Required, ct)).Select(Dto).ToArray());
        });

        keys.MapPost("", async Task<Results<Created<ApiKeyCreated>, ForbiddenProblem>> (CreateBody body, IActorAccessor actors, ApiKeyService service, IStringLocalizer<CoreStrings> t, CancellationToken ct) =>
        {
            var actor = actors.Required;
            if (RefuseKey(actor, t) is { } refused) return refused;
            actor.Require(MemberRole.Admin);
            // A missing or unknown role goes in as an undefined value: the service refuses it by name with the other fields.
            var role = ParseRole(body.Role) ?? (MemberRole)(-1);
            var result = await service.CreateAsync(actor, new ApiKeyRequest(body.Name, role, body.ExpiresAt?.UtcDateTime), ct);
            if (!result.Succeeded) throw new ApiValidationException(result.Errors);
            return TypedResults.Created($"api-keys/{result.Key!.Id}", new ApiKeyCreated(result.Key.Id, result.Key.Name, result.Key.Prefix, result.Key.Role.ToString(),
                result.Key.CreatedAt, result.Key.ExpiresAt, result.Secret!));
        });

        keys.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFoundProblem, ForbiddenProblem>> (Guid id, IActorAccessor actors, ApiKeyService service, IStringLocalizer<CoreStrings> t, CancellationToken ct) =>
        {
            if (RefuseKey(actors.Required, t) is { } refused) return refused;
            return await service.RevokeAsync(actors.Required, id, ct)
                ? TypedResults.NoContent()
                : NotFoundProblem.Titled(t["ApiKey.NotFound", id]);
        });
    }

    private static ForbiddenProblem? RefuseKey(Actor actor, IStringLocalizer<CoreStrings> t)
        => actor.ApiKeyId is null ? null : new ForbiddenProblem(t["ApiKey.KeysCannotManageKeys"]);

    /// <summary>A role by name, any case; numbers and unknown names are not roles.</summary>
    private static MemberRole? ParseRole(string? value)
        => value is { Length: > 0 } && !char.IsAsciiDigit(value[0]) && value[0] != '-' && Enum.TryParse<MemberRole>(value.Trim(), ignoreCase: true, out var role) && Enum.IsDefined(role)
            ? role : null;

    private static ApiKeyDto Dto(ApiKeyView k) => new(k.Id, k.Name, k.Prefix, k.Role.ToString(), k.CreatedByName, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt);
}
