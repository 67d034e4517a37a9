using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Crm.Web.Api;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>The OpenAPI document is generated from the endpoints: every mapped API endpoint is in it, with the API-key scheme.</summary>
public partial class OpenApiDocumentTests(AppFixture apps) : HttpTestBase(apps)
{
    [GeneratedRegex(@"\{(\w+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();

    /// <summary><c>/t/{slug}/api/records/{id:guid}</c> → <c>/t/{slug}/api/records/{id}</c>, as OpenAPI writes paths.</summary>
    private static string Normalize(string pattern) => "/" + RouteParameter().Replace(pattern.Trim('/'), "{$1}").TrimEnd('/');

    [Fact]
    public async Task Every_mapped_api_endpoint_is_in_the_document()
    {
        var app = await AppAsync(Providers.Sqlite);
        using var client = app.CreateBrowserLikeClient();
        var response = await client.GetAsync(ApiDocs.DocumentPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var paths = doc["paths"]!.AsObject();

        var endpoints = app.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<CrmApiEndpoint>() is not null).ToList();
        Assert.True(endpoints.Count > 60, $"only {endpoints.Count} API endpoints found");
        var missing = new List<string>();
        foreach (var e in endpoints)
        {
            var path = Normalize(e.RoutePattern.RawText!);
            foreach (var method in e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                if (paths[path]?[method.ToLowerInvariant()] is null) missing.Add($"{method} {path}");
        }
        Assert.Empty(missing);
        Assert.NotNull(paths["/api/webhooks"]?["post"]);
        Assert.NotNull(paths["/t/{slug}/api/entities/{entity}/schema"]?["get"]);

        // The API-key scheme, required by default; typed results document their answers.
        var scheme = doc["components"]!["securitySchemes"]![ApiDocs.ApiKeyScheme]!;
        Assert.Equal(("apiKey", "header", "X-Api-Key"), ((string?)scheme["type"], (string?)scheme["in"], (string?)scheme["name"]));
        Assert.NotNull(doc["security"]![0]![ApiDocs.ApiKeyScheme]);
        var create = paths["/api/webhooks"]!["post"]!["responses"]!.AsObject();
        Assert.Contains("201", create.Select(r => r.Key));
        Assert.Contains("400", create.Select(r => r.Key));
        Assert.NotNull(doc["components"]!["schemas"]!["WebhookCreated"]);
        Assert.Contains("/schema", (string?)paths["/api/entities/{entity}/records"]!["post"]!["description"]);
    }

    [Fact]
    public async Task The_reference_page_is_served()
    {
        var app = await AppAsync(Providers.Sqlite);
        using var client = app.CreateClient(); // follows Scalar's redirect to the trailing slash
        var page = await client.GetAsync(ApiDocs.ReferencePath);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Crm.Saas API", html);
        Assert.Contains("scalar", html, StringComparison.OrdinalIgnoreCase);
    }
}
