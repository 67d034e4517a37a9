using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>
/// Bad input is the caller's mistake: a 400 naming the parameter, in the caller's language, as problem details for
/// the API and a friendly page for pages — never a 500 (issue 10, item 6).
/// </summary>
public class BadInputTests(AppFixture apps) : HttpTestBase(apps)
{
    private const string ProblemJson = "application/problem+json";

    private static async Task<(SignedUp Owner, Guid RecordId, Guid ActivityId)> WorkspaceAsync(CrmAppFactory app)
    {
        var a = await app.SignUpAsync();
        var actor = new Actor(a.User.Id, "owner", a.Tenant, MemberRole.Owner);
        var template = app.Services.GetRequiredService<TemplateCatalog>().Find("b2b_sales_funnel")!.Document;
        var installed = await app.Services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, template, new InstallOptions(WithSampleData: false));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        using var client = await app.SignedInClientAsync(a.User);
        var created = await client.PostAsync($"/t/{a.Slug}/api/entities/company/records", Json("""{"values":{"name":"Sweep Ltd"}}"""));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var recordId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        var activity = await client.PostAsync($"/t/{a.Slug}/api/records/{recordId}/activities", Json("""{"kind":"note","subject":"hello"}"""));
        Assert.True(activity.IsSuccessStatusCode, await activity.Content.ReadAsStringAsync());
        var activityId = JsonDocument.Parse(await activity.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        return (a, recordId, activityId);
    }

    private static ByteArrayContent Json(string json) => Bytes(Encoding.UTF8.GetBytes(json));

    private static ByteArrayContent Bytes(byte[] bytes, string type = "application/json")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type) { CharSet = type == "application/json" ? "utf-8" : null };
        return content;
    }

    /// <summary>Values that broke something once or could: the issue's list plus the usual suspects.</summary>
    private static readonly string[] BadTexts =
    [
        "", " ", "%00", "a%00b", "%0D%0ASet-Cookie:%20x=1", "%ED%A0%80", "%FF%FE", "9999-12-31", "0001-01-01", "-1", "99999999999999999999",
        "1e400", "NaN", "$today+99999999", "%27;DROP%20TABLE%20records;--", new string('x', 5000), "..%2F..%2Fetc", "%F0%9F%98%80",
    ];

    private static readonly string[] KnownQueryNames = ["skip", "take", "q", "from", "to", "owner", "completed", "sampleData", "dryRun", "field.stage", "field.nope", "actor", "action", "targetType", "target"];

    /// <summary>Bodies for POST/PUT/PATCH: broken encodings, NUL, lone surrogates, huge numbers, deep nesting, wrong types.</summary>
    private static IEnumerable<(string Name, Func<HttpContent> Body)> BadBodies()
    {
        yield return ("invalid UTF-8", () => Bytes([(byte)'{', (byte)'"', (byte)'v', (byte)'a', (byte)'l', (byte)'u', (byte)'e', (byte)'s', (byte)'"', (byte)':', (byte)'{', (byte)'"', (byte)'n', (byte)'a', (byte)'m', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, 0xFF, (byte)'"', (byte)'}', (byte)'}']));
        yield return ("invalid UTF-8 outside strings", () => Bytes([0xFF, 0xFE, 0x00, (byte)'{']));
        yield return ("lone surrogate", () => Json("""{"values":{"name":"a\ud800b"},"subject":"x\udc00","email":"\ud800@example.test","kind":"note","title":"\ud800"}"""));
        yield return ("NUL", () => Json("""{"values":{"name":"a\u0000b","notes":"\u0000"},"subject":"x\u0000","content":"\u0000","email":"a\u0000@example.test","kind":"note"}"""));
        yield return ("NUL in a property name", () => Json("""{"values":{"na\u0000me":"x"}}"""));
        yield return ("huge numbers", () => Json("""{"values":{"name":"n","amount":1e400,"employees":99999999999999999999999999999999},"version":99999999999999999999,"dueAt":"9999-12-31T23:59:59Z"}"""));
        yield return ("deep nesting", () => Json(new string('[', 5000) + new string(']', 5000)));
        yield return ("deep object", () => Json("""{"values":""" + string.Concat(Enumerable.Repeat("""{"a":""", 200)) + "1" + new string('}', 200) + "}"));
        yield return ("wrong types", () => Json("""{"values":5,"pipeline":[],"version":"x","kind":7,"subject":{},"dueAt":true,"role":"King","email":[]}"""));
        yield return ("an array", () => Json("[1,2,3]"));
        yield return ("a string", () => Json("\"hello\""));
        yield return ("null", () => Json("null"));
        yield return ("empty", () => Bytes([]));
        yield return ("truncated", () => Json("""{"values":{"name":"""));
        yield return ("not JSON content type", () => Bytes("name=x"u8.ToArray(), "text/plain"));
        yield return ("dates out of range", () => Json("""{"values":{"name":"d","expected_close":"9999-12-31","created":"0001-01-01"},"dueAt":"0001-01-01T00:00:00Z","kind":"task","subject":"s"}"""));
        yield return ("template sample dates", () => Json("""{"id":"t","version":"1","name":{"en":"t"},"entityTypes":[],"sampleData":[{"entity":"x","createdDaysAgo":5000000,"values":{"d":"$today+99999999"}}]}"""));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Every_api_route_answers_bad_values_without_a_5xx_and_as_problem_details(string provider)
    {
        var app = await AppAsync(provider);
        var (a, recordId, activityId) = await WorkspaceAsync(app);
        using var client = await app.SignedInClientAsync(a.User);

        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/t/{slug}/api", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern)))
            .OrderBy(r => r.Method == "DELETE")   // deletes last: the other routes still find the record
            .ToList();
        Assert.True(routes.Count >= 20, $"only {routes.Count} API routes found");

        var failures = new List<string>();
        var requests = 0;
        async Task SendAsync(string method, string url, Func<HttpContent>? body, string what)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = body?.Invoke() };
            using var response = await client.SendAsync(request);
            requests++;
            var type = response.Content.Headers.ContentType?.MediaType;
            if ((int)response.StatusCode >= 500)
                failures.Add($"{method} {url} [{what}] → {(int)response.StatusCode}: {Truncate(await response.Content.ReadAsStringAsync())}");
            else if ((int)response.StatusCode >= 400 && type != ProblemJson)
                failures.Add($"{method} {url} [{what}] → {(int)response.StatusCode} as {type ?? "no body"}");
        }

        foreach (var (method, pattern) in routes)
        {
            string Url(Func<RoutePatternParameterPart, string?> value)
                => "/" + string.Join("/", pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
                {
                    RoutePatternLiteralPart l => l.Content,
                    RoutePatternSeparatorPart sep => sep.Content,
                    RoutePatternParameterPart { Name: "slug" } => a.Slug,
                    RoutePatternParameterPart par => value(par) ?? Good(par),
                    _ => "",
                }))));
            string Good(RoutePatternParameterPart p) => p.Name switch
            {
                "id" when pattern.RawText!.Contains("/activities/{id") => activityId.ToString(),
                "id" => recordId.ToString(),
                "shareId" => Guid.NewGuid().ToString(),
                "entity" => "company",
                "key" => "opportunity_funnel",
                _ => "x",
            };
            var hasBody = method is "POST" or "PUT" or "PATCH";

            // Route values: every bad text in every free-text parameter (typed ones only match well-formed values).
            // A NUL in the path never reaches the app: Kestrel answers 400 itself (and the test server refuses to send it).
            foreach (var part in pattern.Parameters.Where(p => p.Name != "slug" && p.ParameterPolicies.Count == 0))
                foreach (var bad in BadTexts.Where(b => b.Length > 0 && !b.Contains("%00")))
                    await SendAsync(method, Url(p => p.Name == part.Name ? bad : null), hasBody ? () => Json("{}") : null, $"route {part.Name}");
            if (pattern.Parameters.Any(p => p.Name == "id")) await SendAsync(method, Url(p => p.Name == "id" ? Guid.NewGuid().ToString() : null), hasBody ? () => Json("{}") : null, "unknown id");

            // Query strings: every known parameter name with every bad value.
            foreach (var name in KnownQueryNames)
                foreach (var bad in BadTexts)
                    await SendAsync(method, Url(_ => null) + "?" + Uri.EscapeDataString(name) + "=" + bad, hasBody ? () => Json("{}") : null, $"query {name}");

            if (!hasBody) continue;
            foreach (var (name, body) in BadBodies())
                await SendAsync(method, Url(_ => null), body, $"body: {name}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} requests failed:\n" + string.Join("\n", failures.Take(40)));
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_report_range_to_the_end_of_the_calendar_is_a_400_naming_to_in_the_callers_language(string provider)
    {
        var app = await AppAsync(provider);
        var (a, _, _) = await WorkspaceAsync(app);
        using var en = await app.SignedInClientAsync(a.User, "en");
        using var zh = await app.SignedInClientAsync(a.User, "zh-CN");

        var problem = await ProblemAsync(await en.GetAsync($"/t/{a.Slug}/api/reports/opportunity_funnel?to=9999-12-31"));
        Assert.Contains("between 1900-01-01 and 2999-12-31", problem.GetProperty("errors").GetProperty("to")[0].GetString());
        var chinese = await ProblemAsync(await zh.GetAsync($"/t/{a.Slug}/api/reports/opportunity_funnel.csv?from=0001-01-01"));
        Assert.Contains("之间的日期", chinese.GetProperty("errors").GetProperty("from")[0].GetString());
        Assert.Equal(HttpStatusCode.OK, (await en.GetAsync($"/t/{a.Slug}/api/reports/opportunity_funnel?from=1900-01-01&to=2999-12-31")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sample_dates_far_from_today_are_template_errors_naming_their_path(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        using var client = await app.SignedInClientAsync(a.User);
        var template = System.Text.Json.JsonSerializer.SerializeToNode(app.Services.GetRequiredService<TemplateCatalog>().Find("b2b_sales_funnel")!.Document, Crm.Core.Json.Options)!;
        var samples = template["sampleData"]!;
        samples["company"]![0]!["createdDaysAgo"] = 5_000_000;
        samples["opportunity"]![0]!["values"]!["expected_close"] = "$today+99999999";

        var problem = await ProblemAsync(await client.PostAsync($"/t/{a.Slug}/api/templates/install?sampleData=true", Json(template.ToJsonString())));

        var errors = problem.GetProperty("errors");
        Assert.Contains("36500", errors.GetProperty("$.sampleData.company[0].createdDaysAgo")[0].GetString());
        Assert.True(errors.TryGetProperty("$.sampleData.opportunity[0].values.expected_close", out _), errors.ToString());
        var huge = await ProblemAsync(await client.PostAsync($"/t/{a.Slug}/api/templates/install", Json(template.ToJsonString().Replace("\"version\":", "\"big\":99999999999999999999999999999999,\"version\":"))));
        Assert.True(huge.GetProperty("errors").TryGetProperty("$.big", out _), huge.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Nul_and_lone_surrogates_are_refused_by_name_and_search_ignores_them(string provider)
    {
        var app = await AppAsync(provider);
        var (a, recordId, _) = await WorkspaceAsync(app);
        using var client = await app.SignedInClientAsync(a.User, "zh-CN");

        var nul = await ProblemAsync(await client.PostAsync($"/t/{a.Slug}/api/entities/company/records", Json("""{"values":{"name":"A\u0000B"}}""")));
        Assert.Contains("NUL", Error(nul, "$.values.name").GetString());
        var surrogate = await ProblemAsync(await client.PostAsync($"/t/{a.Slug}/api/records/{recordId}/activities", Json("""{"kind":"note","subject":"\ud83d"}""")));
        Assert.Contains("$.subject", surrogate.GetProperty("detail").GetString()); // a string property: the JSON reader refuses it by path
        Assert.Equal("请求无效。", surrogate.GetProperty("title").GetString());

        var search = await client.GetAsync($"/t/{a.Slug}/api/entities/company/records?q=Sweep%00");
        var query = await ProblemAsync(search);
        Assert.Contains("q", Error(query, "q").GetString());

        // Core normalisation is the second wall: forms and imports never hand the database a NUL.
        await using var scope = app.Services.CreateAsyncScope();
        var records = scope.ServiceProvider.GetRequiredService<RecordService>();
        var actor = new Actor(a.User.Id, "owner", a.Tenant, MemberRole.Owner);
        var created = await records.CreateAsync(actor, "company", new RecordInput(new System.Text.Json.Nodes.JsonObject { ["name"] = "Nul\0 Corp\ud800" }));
        Assert.True(created.Succeeded, created.Errors.ToString());
        Assert.Equal("Nul Corp\ufffd", created.Record!.Title);
        var lists = scope.ServiceProvider.GetRequiredService<Crm.Core.Lists.RecordListService>();
        var found = await lists.QueryAsync(actor, "company", new Crm.Core.Lists.RecordQuery { Search = "nul\0 corp" });
        Assert.Equal(1, found.Total);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_body_that_is_not_json_is_a_400_naming_the_parameter(string provider)
    {
        var app = await AppAsync(provider);
        var (a, _, _) = await WorkspaceAsync(app);
        using var client = await app.SignedInClientAsync(a.User);

        var broken = await ProblemAsync(await client.PostAsync($"/t/{a.Slug}/api/entities/company/records", Json("""{"values":{"name":""")));
        Assert.Contains("\"body\"", broken.GetProperty("detail").GetString());
        var wrongType = await ProblemAsync(await client.PostAsync($"/t/{a.Slug}/api/invitations", Json("""{"email":"x@example.test","role":"King"}""")));
        Assert.Contains("$.role", wrongType.GetProperty("detail").GetString());
        var notFound = await ProblemAsync(await client.GetAsync("/t/nope-nope/api/workspace"), HttpStatusCode.NotFound);
        Assert.Equal(404, notFound.GetProperty("status").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Pages_answer_bad_input_with_a_friendly_400_and_never_follow_a_return_url_with_control_characters(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        using var client = await app.SignedInClientAsync(a.User);

        var culture = await client.GetAsync("/culture/set?culture=en&returnUrl=/t/x%0D%0ASet-Cookie:%20a=b");
        Assert.Equal(HttpStatusCode.Redirect, culture.StatusCode);
        Assert.Equal("/", culture.Headers.Location?.OriginalString);
        var nul = await client.GetAsync("/culture/set?culture=en&returnUrl=/a%00b");
        Assert.Equal("/", nul.Headers.Location?.OriginalString);

        var logout = await client.PostAsync("/account/logout", new FormUrlEncodedContent([new("returnUrl", "/")]));
        Assert.True(logout.StatusCode == HttpStatusCode.BadRequest, $"{(int)logout.StatusCode}: " + Truncate(await logout.Content.ReadAsStringAsync()));
        Assert.Equal("text/html", logout.Content.Headers.ContentType?.MediaType);
        var page = await TextAsync(logout);
        Assert.Contains("data-status=\"400\"", page);
        Assert.Contains("The request could not be handled", page);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/t/{a.Slug}/api/workspace")).StatusCode); // still signed in
    }

    private static string Truncate(string s) => s.Length > 3000 ? s[..3000] + "…" : s;

    private static JsonElement Error(JsonElement problem, string key)
        => problem.TryGetProperty("errors", out var all) && all.TryGetProperty(key, out var e) ? e[0] : throw new Xunit.Sdk.XunitException($"no error for {key}: {problem}");
}
