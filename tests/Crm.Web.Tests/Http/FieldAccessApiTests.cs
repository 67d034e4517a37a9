using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>
/// Field access over the API: a member whose role hides 地址 (address) and locks 城市 (city) of companies gets
/// neither the hidden value nor the field in the schema, cannot change the locked one, and a PUT of what they
/// read keeps the hidden value.
/// </summary>
public class FieldAccessApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(SignedUp Owner, HttpClient Rep, HttpClient OwnerClient, string Id)> SetUpAsync(CrmAppFactory app)
    {
        var owner = await app.SignUpAsync();
        var installer = app.Services.GetRequiredService<TemplateInstaller>();
        var ownerActor = new Actor(owner.User.Id, owner.User.DisplayName, owner.Tenant, MemberRole.Owner);
        Assert.True((await installer.InstallAsync(ownerActor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(false))).Succeeded);
        var repUser = await app.AddMemberAsync(owner.Tenant, MemberRole.Member);
        var repActor = new Actor(repUser.Id, repUser.DisplayName, owner.Tenant, MemberRole.Member);
        var company = (await app.Services.GetRequiredService<MetadataStore>().GetAsync(owner.Tenant.Id)).Entity("company")!;
        await FieldRestrictions.RestrictAsync(app.Database.Factory, owner.Tenant.Id, repActor, company.Entity.Id,
            new Dictionary<string, FieldAccessLevel> { ["city"] = FieldAccessLevel.ReadOnly, ["address"] = FieldAccessLevel.Hidden });

        var ownerClient = await app.SignedInClientAsync(owner.User);
        var created = await ownerClient.PostAsync($"/t/{owner.Slug}/api/entities/company/records",
            JsonBody("""{"values":{"name":"华东贸易","city":"上海","address":"浦东新区 1 号","notes":"老客户"}}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        return (owner, await app.SignedInClientAsync(repUser), ownerClient, id);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_put_of_what_the_member_read_keeps_the_hidden_value_and_the_json_never_shows_it(string provider)
    {
        var app = await AppAsync(provider);
        var (owner, rep, ownerClient, id) = await SetUpAsync(app);
        using var _ = rep;
        using var __ = ownerClient;

        var read = JsonNode.Parse(await rep.GetStringAsync($"/t/{owner.Slug}/api/records/{id}"))!;
        var values = read["values"]!.AsObject();
        Assert.False(values.ContainsKey("address"));
        Assert.Equal("上海", values["city"]!.GetValue<string>());
        var list = JsonNode.Parse(await rep.GetStringAsync($"/t/{owner.Slug}/api/entities/company/records"))!;
        Assert.All(list["items"]!.AsArray(), i => Assert.False(i!["values"]!.AsObject().ContainsKey("address")));
        // The quick search of the list does not match through the hidden value; it does through a visible one.
        Assert.Equal(0, JsonNode.Parse(await rep.GetStringAsync($"/t/{owner.Slug}/api/entities/company/records?q=浦东"))!["total"]!.GetValue<int>());
        Assert.Equal(1, JsonNode.Parse(await rep.GetStringAsync($"/t/{owner.Slug}/api/entities/company/records?q=老客户"))!["total"]!.GetValue<int>());
        Assert.Equal(1, JsonNode.Parse(await ownerClient.GetStringAsync($"/t/{owner.Slug}/api/entities/company/records?q=浦东"))!["total"]!.GetValue<int>());

        // PUT back what was read, with one change and the read-only city unchanged: accepted, the address kept.
        values["notes"] = "续约";
        var put = await rep.PutAsync($"/t/{owner.Slug}/api/records/{id}", JsonBody(new JsonObject { ["values"] = values.DeepClone(), ["version"] = read["version"]!.GetValue<long>() }.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.False(JsonNode.Parse(await put.Content.ReadAsStringAsync())!["values"]!.AsObject().ContainsKey("address"));
        var stored = JsonNode.Parse(await ownerClient.GetStringAsync($"/t/{owner.Slug}/api/records/{id}"))!["values"]!;
        Assert.Equal("浦东新区 1 号", stored["address"]!.GetValue<string>());
        Assert.Equal("续约", stored["notes"]!.GetValue<string>());

        // Changing the read-only city is refused, naming it.
        var locked = await rep.PatchAsync($"/t/{owner.Slug}/api/records/{id}", JsonBody("""{"values":{"city":"北京"}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, locked.StatusCode);
        Assert.Contains("City", JsonNode.Parse(await locked.Content.ReadAsStringAsync())!["errors"]!["city"]![0]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_schema_and_the_entity_list_leave_out_hidden_fields_and_mark_read_only_ones(string provider)
    {
        var app = await AppAsync(provider);
        var (owner, rep, ownerClient, _) = await SetUpAsync(app);
        using var __ = rep;
        using var ___ = ownerClient;

        var schema = JsonNode.Parse(await rep.GetStringAsync($"/t/{owner.Slug}/api/entities/company/schema"))!["properties"]!.AsObject();
        Assert.False(schema.ContainsKey("address"));
        Assert.Equal("readOnly", schema["city"]!["x-access"]!.GetValue<string>());
        Assert.Null(schema["notes"]!["x-access"]);
        Assert.True(JsonNode.Parse(await ownerClient.GetStringAsync($"/t/{owner.Slug}/api/entities/company/schema"))!["properties"]!.AsObject().ContainsKey("address"));

        var entities = JsonNode.Parse(await rep.GetStringAsync($"/t/{owner.Slug}/api/entities"))!.AsArray();
        var fields = entities.Single(e => e!["key"]!.GetValue<string>() == "company")!["fields"]!.AsArray();
        Assert.DoesNotContain(fields, f => f!["key"]!.GetValue<string>() == "address");
        Assert.True(fields.Single(f => f!["key"]!.GetValue<string>() == "city")!["readOnly"]!.GetValue<bool>());
    }
}
