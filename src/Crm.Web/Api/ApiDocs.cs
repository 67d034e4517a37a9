using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Crm.Web.Api;

/// <summary>
/// The OpenAPI document of the minimal APIs (<c>/openapi/v1.json</c>, generated from the endpoints) and its reference
/// page (Scalar, <c>/api/docs</c>). The document is the same for every workspace: record values are described as an
/// object keyed by field key, and each entity type's exact schema — as the caller may use it, hidden fields left out —
/// is served by <c>GET /api/entities/{entity}/schema</c>, which the record operations link to.
/// </summary>
public static class ApiDocs
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/api/docs";
    public const string ApiKeyScheme = "ApiKey";

    public static IServiceCollection AddCrmApiDocs(this IServiceCollection services)
        => services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info = new OpenApiInfo
                {
                    Title = "Crm.Saas API",
                    Version = "v1",
                    Description = "Send an API key in the X-Api-Key header to /api/…, or use a signed-in session at /t/{slug}/api/…. "
                        + "Record values are keyed by field key; each entity type's JSON Schema is at GET /api/entities/{entity}/schema "
                        + "(its x-rules lists the form rules the server enforces on writes: conditions on field and option keys, and the fields they show, require or make read-only). "
                        + "Webhook payloads and their X-Crm-Signature are described in docs/webhooks.md.",
                };
                doc.Components ??= new OpenApiComponents();
                doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                doc.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = "X-Api-Key",
                    Description = "A workspace API key (Settings → API keys); it acts with its maker's rights, capped by its role.",
                };
                doc.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, doc)] = [] }];
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var route = context.Description.RelativePath ?? "";
                if (route.Contains("records", StringComparison.Ordinal))
                    operation.Description = (operation.Description is null ? "" : operation.Description + " ")
                        + "The `values` object follows the entity type's JSON Schema: GET /api/entities/{entity}/schema.";
                return Task.CompletedTask;
            });
        });

    public static void MapCrmApiDocs(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference(ReferencePath, o => o.WithTitle("Crm.Saas API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
    }
}
