using Crm.Core.Accounts;
using Crm.Core.Security;

namespace Crm.Web.Api;

/// <summary>
/// Minimal APIs, one file per area (eShop style). Every handler runs with the actor resolved by the tenant
/// middleware; the same handlers serve both route groups.
/// </summary>
public static class ApiEndpoints
{
    /// <summary>Enums (roles …) travel as their names both ways: <c>"role": "Viewer"</c>, as the responses write them.</summary>
    public static IServiceCollection AddCrmApi(this IServiceCollection services)
        => services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));

    public static void MapCrmApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/t/{slug}/api", "/api" })
        {
            var api = app.MapGroup(prefix).AddEndpointFilter<ApiErrorFilter>().AddEndpointFilter<ApiInputFilter>().DisableAntiforgery()
                .WithMetadata(CrmApiEndpoint.Instance)
                // Every operation may answer these: the filters above refuse a missing actor (401), a role or right too
                // low (403) and input that cannot be stored or is invalid (400), each as problem details.
                .ProducesProblem(StatusCodes.Status401Unauthorized)
                .ProducesProblem(StatusCodes.Status403Forbidden)
                .ProducesValidationProblem();
            WorkspaceApi.Map(api);
            RecordsApi.Map(api);
            TemplatesApi.Map(api);
            ReportsApi.Map(api);
            ActivitiesApi.Map(api);
            SharesApi.Map(api);
            ApiKeysApi.Map(api);
            AuditApi.Map(api);
            ExportApi.Map(api);
            WebhooksApi.Map(api);
            FilesApi.Map(api);
        }
    }
}

/// <summary>Marks the endpoints of <see cref="ApiEndpoints.MapCrmApi"/> (the OpenAPI completeness test finds them by it).</summary>
public sealed class CrmApiEndpoint
{
    public static readonly CrmApiEndpoint Instance = new();
}

/// <summary>Turns the core's exceptions into HTTP answers: no actor 401, role too low 403, validation 400.</summary>
public sealed class ApiErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var actors = context.HttpContext.RequestServices.GetRequiredService<IActorAccessor>();
        if (actors.Current is null) return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in or send an API key.");
        try
        {
            return await next(context);
        }
        catch (ForbiddenException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: e.Message);
        }
        catch (ApiValidationException e)
        {
            return Results.ValidationProblem(e.Errors.ToDictionary(), title: e.Message);
        }
        catch (MembershipException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: e.Problem.ToString());
        }
    }
}

/// <summary>Invalid input from an API call: errors keyed by field name or JSON path.</summary>
public sealed class ApiValidationException(ValidationErrors errors, string message = "The request is not valid.") : Exception(message)
{
    public ValidationErrors Errors { get; } = errors;
}
