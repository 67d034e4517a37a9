using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Templates;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>Records and templates over HTTP: schema, field-keyed errors, conflicts, and no way into another workspace.</summary>
public class RecordsApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task InstallAsync(CrmAppFactory app, SignedUp who, string template, bool samples = false)
    {
        var installer = app.Services.GetRequiredService<TemplateInstaller>();
        var actor = new Crm.Core.Security.Actor(who.User.Id, who.User.DisplayName, who.Tenant, Crm.Core.Tenancy.MemberRole.Owner);
        var result = await installer.InstallAsync(actor, Workspace.Catalog.Find(template)!.Document, new InstallOptions(samples));
        Assert.True(result.Succeeded, result.Errors.ToString());
    }

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_schema_is_served_and_the_api_validates_the_same_way(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        await InstallAsync(app, a, "b2b_sales_funnel");
        using var client = await app.SignedInClientAsync(a.User);

        var schema = JsonNode.Parse(await client.GetStringAsync($"/t/{a.Slug}/api/entities/company/schema"))!;
        Assert.Contains("name", schema["required"]!.AsArray().Select(n => n!.GetValue<string>()));

        var bad = await client.PostAsync($"/t/{a.Slug}/api/entities/company/records", JsonBody("""{"values":{"website":"not a url at all","employees":"many"}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        Assert.True(problem.ContainsKey("name"));

        var created = await client.PostAsync($"/t/{a.Slug}/api/entities/company/records", JsonBody("""{"values":{"name":"上海测试有限公司"}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var id = body["id"]!.GetValue<string>();
        var version = body["version"]!.GetValue<long>();

        var updated = await client.PatchAsync($"/t/{a.Slug}/api/records/{id}", JsonBody($$"""{"values":{"name":"上海测试"},"version":{{version}}}"""));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var stale = await client.PatchAsync($"/t/{a.Slug}/api/records/{id}", JsonBody($$"""{"values":{"name":"覆盖"},"version":{{version}}}"""));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("上海测试", JsonNode.Parse(await stale.Content.ReadAsStringAsync())!["current"]!["values"]!["name"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_member_of_A_cannot_read_change_or_delete_Bs_records_by_id(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var b = await app.SignUpAsync();
        await InstallAsync(app, a, "b2b_sales_funnel");
        await InstallAsync(app, b, "b2b_sales_funnel");
        using var clientB = await app.SignedInClientAsync(b.User);
        var created = await clientB.PostAsync($"/t/{b.Slug}/api/entities/company/records", JsonBody("""{"values":{"name":"B 的客户"}}"""));
        var idOfB = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        using var clientA = await app.SignedInClientAsync(a.User);
        Assert.Equal(HttpStatusCode.NotFound, (await clientA.GetAsync($"/t/{a.Slug}/api/records/{idOfB}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clientA.PatchAsync($"/t/{a.Slug}/api/records/{idOfB}", JsonBody("""{"values":{"name":"hijacked"}}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clientA.DeleteAsync($"/t/{a.Slug}/api/records/{idOfB}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await clientA.GetAsync($"/t/{b.Slug}/api/records/{idOfB}")).StatusCode);
        var listA = JsonNode.Parse(await clientA.GetStringAsync($"/t/{a.Slug}/api/entities/company/records"))!;
        Assert.DoesNotContain(listA["items"]!.AsArray(), i => i!["id"]!.GetValue<string>() == idOfB);

        var stillThere = JsonNode.Parse(await clientB.GetStringAsync($"/t/{b.Slug}/api/records/{idOfB}"))!;
        Assert.Equal("B 的客户", stillThere["values"]!["name"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Broken_templates_get_400_with_json_paths_never_500(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        using var client = await app.SignedInClientAsync(a.User);
        var good = Workspace.Catalog.Find("support_tickets")!.Json;
        var broken = new[]
        {
            "not json",
            "{}",
            good.Replace("\"type\": \"autonumber\"", "\"type\": \"barcode\""),
            System.Text.RegularExpressions.Regex.Replace(good, "\"version\": \"[0-9.]+\"", "\"version\": 1"), // whatever version the template ships
            "[1,2,3]",
            new string(' ', TemplateParser.MaxBytes + 10) + "{}",
        };
        foreach (var json in broken)
        {
            var response = await client.PostAsync($"/t/{a.Slug}/api/templates/install", JsonBody(json));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
            Assert.All(errors.Select(e => e.Key), k => Assert.StartsWith("$", k));
        }
        var entities = JsonNode.Parse(await client.GetStringAsync($"/t/{a.Slug}/api/entities"))!.AsArray();
        Assert.Empty(entities);

        var ok = await client.PostAsync($"/t/{a.Slug}/api/templates/install?sampleData=true", JsonBody(good));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("Installed", JsonNode.Parse(await ok.Content.ReadAsStringAsync())!["outcome"]!.GetValue<string>());
        var again = await client.PostAsync($"/t/{a.Slug}/api/templates/install", JsonBody(good));
        Assert.Equal("AlreadyInstalled", JsonNode.Parse(await again.Content.ReadAsStringAsync())!["outcome"]!.GetValue<string>());
    }
}
