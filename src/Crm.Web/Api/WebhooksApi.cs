using Crm.Core.Security;
using Crm.Core.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Web.Api;

/// <summary>
/// The workspace's webhooks, for signed-in admins (checked with their current role in <see cref="WebhookService"/>;
/// an API key may not manage webhooks). The secret is in the answer of create and rotate only.
/// </summary>
public static class WebhooksApi
{
    public sealed record WebhookBody(string? Url, List<string>? Events, List<string>? EntityTypes, string? Description);

    public sealed record WebhookDto(Guid Id, string Url, string? Description, IReadOnlyList<string> Events, IReadOnlyList<string> EntityTypes,
        bool Enabled, string? DisabledReason, int ConsecutiveFailures, DateTime CreatedAt, DateTime UpdatedAt);

    /// <summary>The new webhook and its signing secret, shown this once.</summary>
    public sealed record WebhookCreated(WebhookDto Webhook, string Secret);

    public sealed record WebhookSecret(string Secret);

    public sealed record DeliveryDto(Guid Id, Guid EventId, string EventType, Guid? RecordId, string Status, int Attempts, int Rounds,
        int? LastStatusCode, string? LastError, DateTime CreatedAt, DateTime? CompletedAt);

    public sealed record AttemptDto(int AttemptNo, DateTime At, int? StatusCode, int DurationMs, string? Error, bool Succeeded);

    public static void Map(RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/webhooks").WithTags("Webhooks");

        hooks.MapGet("", async Task<Ok<WebhookDto[]>> (IActorAccessor actors, WebhookService service, CancellationToken ct)
            => TypedResults.Ok((await service.ListAsync(actors.Required, ct)).Select(Dto).ToArray()));

        hooks.MapPost("", async Task<Results<Created<WebhookCreated>, ValidationProblem>> (WebhookBody body, IActorAccessor actors, WebhookService service, CancellationToken ct) =>
        {
            var result = await service.CreateAsync(actors.Required, Input(body), ct);
            if (!result.Succeeded) return TypedResults.ValidationProblem(result.Errors.ToDictionary());
            return TypedResults.Created($"webhooks/{result.Webhook!.Id}", new WebhookCreated(Dto(result.Webhook), result.Secret!));
        });

        hooks.MapGet("/{id:guid}", async Task<Results<Ok<WebhookDto>, NotFound>> (Guid id, IActorAccessor actors, WebhookService service, CancellationToken ct)
            => await service.GetAsync(actors.Required, id, ct) is { } hook ? TypedResults.Ok(Dto(hook)) : TypedResults.NotFound());

        hooks.MapPut("/{id:guid}", async Task<Results<Ok<WebhookDto>, NotFound, ValidationProblem>> (Guid id, WebhookBody body, IActorAccessor actors, WebhookService service, CancellationToken ct) =>
        {
            if (await service.GetAsync(actors.Required, id, ct) is null) return TypedResults.NotFound();
            var result = await service.UpdateAsync(actors.Required, id, Input(body), ct);
            return result.Succeeded ? TypedResults.Ok(Dto(result.Webhook!)) : TypedResults.ValidationProblem(result.Errors.ToDictionary());
        });

        hooks.MapPost("/{id:guid}/enable", async Task<Results<NoContent, NotFound>> (Guid id, IActorAccessor actors, WebhookService service, CancellationToken ct)
            => await service.SetEnabledAsync(actors.Required, id, true, ct) ? TypedResults.NoContent() : TypedResults.NotFound());

        hooks.MapPost("/{id:guid}/disable", async Task<Results<NoContent, NotFound>> (Guid id, IActorAccessor actors, WebhookService service, CancellationToken ct)
            => await service.SetEnabledAsync(actors.Required, id, false, ct) ? TypedResults.NoContent() : TypedResults.NotFound());

        hooks.MapPost("/{id:guid}/rotate-secret", async Task<Results<Ok<WebhookSecret>, NotFound>> (Guid id, IActorAccessor actors, WebhookService service, CancellationToken ct)
            => await service.RotateSecretAsync(actors.Required, id, ct) is { } secret ? TypedResults.Ok(new WebhookSecret(secret)) : TypedResults.NotFound());

        hooks.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, IActorAccessor actors, WebhookService service, CancellationToken ct)
            => await service.DeleteAsync(actors.Required, id, ct) ? TypedResults.NoContent() : TypedResults.NotFound());

        hooks.MapGet("/{id:guid}/deliveries", async Task<Ok<DeliveryDto[]>> (Guid id, int? take, IActorAccessor actors, WebhookService service, CancellationToken ct)
            => TypedResults.Ok((await service.DeliveriesAsync(actors.Required, id, take ?? 50, ct)).Select(Dto).ToArray()));

        hooks.MapGet("/deliveries/{deliveryId:guid}/attempts", async Task<Ok<AttemptDto[]>> (Guid deliveryId, IActorAccessor actors, WebhookService service, CancellationToken ct)
            => TypedResults.Ok((await service.AttemptsAsync(actors.Required, deliveryId, ct))
                .Select(a => new AttemptDto(a.AttemptNo, a.At, a.StatusCode, a.DurationMs, a.Error, a.Succeeded)).ToArray()));

        hooks.MapPost("/deliveries/{deliveryId:guid}/redeliver", async Task<Results<Accepted<DeliveryDto>, NotFound>> (Guid deliveryId, IActorAccessor actors, WebhookService service, CancellationToken ct)
            => await service.RedeliverAsync(actors.Required, deliveryId, ct) is { } d ? TypedResults.Accepted((string?)null, Dto(d)) : TypedResults.NotFound());
    }

    private static WebhookInput Input(WebhookBody body) => new(body.Url ?? "", body.Events ?? [], body.EntityTypes, body.Description);

    public static WebhookDto Dto(Webhook w) => new(w.Id, w.Url, w.Description, w.Events, w.EntityTypes, w.IsEnabled, w.DisabledReason, w.ConsecutiveFailures, w.CreatedAt, w.UpdatedAt);

    public static DeliveryDto Dto(WebhookDelivery d) => new(d.Id, d.EventId, d.EventType, d.RecordId, d.Status.ToString(), d.Attempts, d.Rounds, d.LastStatusCode, d.LastError, d.CreatedAt, d.CompletedAt);
}
