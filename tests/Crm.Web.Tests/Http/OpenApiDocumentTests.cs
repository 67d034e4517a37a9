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

    /// <summary>
    /// Form rules in the API (formula13b): the document points to each entity type's record schema, and that schema
    /// lists the form rules the server enforces (<c>x-rules</c>), by field and option keys.
    /// </summary>
    [Fact]
    public async Task The_record_schema_the_document_points_to_lists_the_form_rules_by_key()
    {
        var app = await AppAsync(Providers.Sqlite);
        var owner = await app.SignUpAsync();
        var ownerActor = new Crm.Core.Security.Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, Crm.Core.Tenancy.MemberRole.Owner);
        Assert.True((await app.Services.GetRequiredService<Crm.Core.Templates.TemplateInstaller>().InstallAsync(ownerActor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new Crm.Core.Templates.InstallOptions(false))).Succeeded);
        using var client = await app.SignedInClientAsync(owner.User);

        var doc = JsonNode.Parse(await client.GetStringAsync(ApiDocs.DocumentPath))!;
        Assert.Contains("x-rules", (string?)doc["info"]!["description"]);
        const string schemaPath = "/t/{slug}/api/entities/{entity}/schema";
        Assert.NotNull(doc["paths"]![schemaPath]?["get"]);

        var schema = JsonNode.Parse(await client.GetStringAsync(schemaPath.Replace("{slug}", owner.Slug).Replace("{entity}", "opportunity")))!;
        var rule = schema["x-rules"]!.AsArray().Single(r => (string?)r!["key"] == "lost_reason_required")!;
        Assert.Equal("all", (string?)rule["match"]);
        var condition = Assert.Single(rule["when"]!.AsArray())!;
        Assert.Equal(("stage", "eq", "lost"), ((string?)condition["field"], (string?)condition["op"], (string?)condition["value"]));
        Assert.Equal(["lost_reason"], rule["fields"]!.AsArray().Select(f => (string?)f));
        Assert.Equal(["require"], rule["effects"]!.AsArray().Select(f => (string?)f));
        // An entity type without rules has no x-rules.
        Assert.Null(JsonNode.Parse(await client.GetStringAsync(schemaPath.Replace("{slug}", owner.Slug).Replace("{entity}", "company")))!["x-rules"]);
    }

    /// <summary>
    /// Typed results document their answers: every operation has a 2xx response, and one that carries a body (all but
    /// 204) describes it with a schema; every operation declares the problem answers the API's filters give (400, 401,
    /// 403), and the ones that look a thing up by id or key declare their 404.
    /// </summary>
    [Fact]
    public async Task Every_operation_declares_its_success_schema_and_error_responses()
    {
        var app = await AppAsync(Providers.Sqlite);
        using var client = app.CreateBrowserLikeClient();
        var doc = JsonNode.Parse(await client.GetStringAsync(ApiDocs.DocumentPath))!;
        var paths = doc["paths"]!.AsObject();

        var problems = new List<string>();
        var operations = 0;
        foreach (var (path, item) in paths)
        {
            if (!path.StartsWith("/api/", StringComparison.Ordinal) && !path.StartsWith("/t/{slug}/api/", StringComparison.Ordinal)) continue;
            foreach (var (method, operation) in item!.AsObject())
            {
                if (operation?["responses"] is not JsonObject responses) continue;
                operations++;
                var name = $"{method.ToUpperInvariant()} {path}";
                var success = responses.Where(r => r.Key.StartsWith('2')).ToList();
                if (success.Count == 0) problems.Add($"{name}: no 2xx response");
                foreach (var (status, response) in success)
                {
                    if (status == "204") continue;
                    var content = response?["content"] as JsonObject;
                    if (content is null || content.Count == 0 || content.Any(c => c.Value?["schema"] is null))
                        problems.Add($"{name}: {status} has no schema");
                }
                foreach (var status in new[] { "400", "401", "403" })
                    if (responses[status]?["content"]?.AsObject().FirstOrDefault().Value?["schema"] is null)
                        problems.Add($"{name}: {status} not declared with a problem schema");
            }
        }
        Assert.True(operations > 60, $"only {operations} operations found");
        Assert.Empty(problems);

        // A body schema is the DTO, not an empty object: the record's schema names its properties.
        var record = paths["/api/records/{id}"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        var recordSchema = Resolve(doc, record);
        Assert.NotNull(recordSchema["properties"]?["version"]);
        Assert.NotNull(recordSchema["properties"]?["values"]);

        foreach (var (path, method) in new[] { ("/api/records/{id}", "get"), ("/api/records/{id}", "delete"), ("/api/activities/{id}", "patch"), ("/api/reports/{key}", "get"),
                     ("/api/records/{id}/shares", "get"), ("/api/entities/{entity}/schema", "get"), ("/api/entities/{entity}/export", "get"), ("/api/api-keys/{id}", "delete"),
                     ("/api/webhooks/{id}", "get") })
            Assert.True(paths[path]![method]!["responses"]!["404"] is not null, $"{method} {path} declares no 404");
        var put = paths["/api/records/{id}"]!["put"]!["responses"]!.AsObject().Select(r => r.Key).ToList();
        Assert.Contains("409", put);
        Assert.Contains("412", put);
        Assert.Contains("428", put);
        Assert.Contains("text/csv", paths["/api/reports/{key}.csv"]!["get"]!["responses"]!["200"]!["content"]!.AsObject().Select(c => c.Key).First());
    }

    /// <summary>A schema, or the component a <c>$ref</c> points to.</summary>
    private static JsonNode Resolve(JsonNode doc, JsonNode schema)
        => schema["$ref"] is { } reference ? doc["components"]!["schemas"]![((string)reference!).Split('/').Last()]! : schema;

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
