using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>
/// Upload and download over HTTP: a file uploaded for a field, named in a record, downloaded with a safe
/// Content-Disposition and nosniff; a bad type refused naming the field; another workspace's file id is 404; a
/// member from whom the field is hidden gets 404 too.
/// </summary>
public class FilesApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static readonly byte[] Pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n%%EOF\n");

    private static async Task InstallAsync(CrmAppFactory app, SignedUp a)
    {
        var doc = JsonNode.Parse(Workspace.Catalog.Find("b2b_sales_funnel")!.Json)!.AsObject();
        doc.Remove("sampleData");
        var company = doc["entityTypes"]!.AsArray().Single(e => (string)e!["key"]! == "company")!.AsObject();
        company["fields"]!.AsArray().Add(JsonNode.Parse("""{ "key": "contract", "type": "file", "label": { "zh-CN": "合同", "en": "Contract" }, "fileKinds": ["pdf"] }"""));
        var owner = new Actor(a.User.Id, "Owner", a.Tenant, MemberRole.Owner);
        var result = await app.Services.GetRequiredService<TemplateInstaller>().InstallAsync(owner, doc.ToJsonString(), new InstallOptions(WithSampleData: false));
        Assert.True(result.Succeeded, result.Errors.ToString());
    }

    private static MultipartFormDataContent Form(byte[] bytes, string name)
    {
        var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream"); // the name and this type are not trusted
        form.Add(part, "file", name);
        return form;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_file_is_uploaded_named_in_a_record_and_downloaded_with_the_readers_rights(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        await InstallAsync(app, a);
        using var client = await app.SignedInClientAsync(a.User);

        // A PNG's bytes named .pdf: refused, naming the field.
        var refused = await client.PostAsync($"/t/{a.Slug}/api/entities/company/fields/contract/files", Form([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0], "x.pdf"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Contract", (await JsonAsync(refused)).GetProperty("errors").GetProperty("contract")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/t/{a.Slug}/api/entities/company/fields/name/files", Form(Pdf, "a.pdf"))).StatusCode);

        var uploaded = await client.PostAsync($"/t/{a.Slug}/api/entities/company/fields/contract/files", Form(Pdf, "scans/合同 v2.pdf"));
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var file = await JsonAsync(uploaded);
        var id = file.GetProperty("id").GetGuid();
        Assert.Equal(("application/pdf", "pdf", Pdf.Length), (file.GetProperty("type").GetString(), file.GetProperty("kind").GetString(), file.GetProperty("size").GetInt32()));

        var created = await client.PostAsJsonAsync($"/t/{a.Slug}/api/entities/company/records",
            new { values = new Dictionary<string, object> { ["name"] = "云帆", ["contract"] = new[] { new { id } } } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var values = (await JsonAsync(created)).GetProperty("values");
        Assert.Equal("合同 v2.pdf", values.GetProperty("contract")[0].GetProperty("name").GetString());

        var download = await client.GetAsync($"/t/{a.Slug}/api/files/{id}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(Pdf, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/pdf", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        var disposition = download.Content.Headers.ContentDisposition!;
        Assert.Equal("inline", disposition.DispositionType);
        Assert.Equal("合同 v2.pdf", disposition.FileNameStar);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/t/{a.Slug}/api/files/{id}/thumbnail")).StatusCode); // not an image

        // Another workspace's key: 404, as for an id that does not exist.
        var b = await app.SignUpAsync();
        var keys = app.Services.GetRequiredService<IApiKeyStore>();
        var (_, otherKey) = await keys.CreateAsync(b.Tenant.Id, "b", MemberRole.Owner, b.User.Id);
        using var other = app.CreateBrowserLikeClient();
        other.DefaultRequestHeaders.Add("X-Api-Key", otherKey);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/files/{id}")).StatusCode);

        // A member from whom the field is hidden: 404; one who may read it: 200.
        var hidden = await app.AddMemberAsync(a.Tenant, MemberRole.Member);
        var hiddenActor = new Actor(hidden.Id, "Hidden", a.Tenant, MemberRole.Member);
        var companyType = (await app.Services.GetRequiredService<Crm.Core.Metadata.MetadataStore>().GetAsync(a.Tenant.Id)).Entity("company")!.Entity.Id;
        await FieldRestrictions.RestrictAsync(app.Services.GetRequiredService<Crm.Core.Data.ICrmDbContextFactory>(), a.Tenant.Id, hiddenActor, companyType,
            new Dictionary<string, Crm.Core.Permissions.FieldAccessLevel> { ["contract"] = Crm.Core.Permissions.FieldAccessLevel.Hidden });
        var (_, hiddenKey) = await keys.CreateAsync(a.Tenant.Id, "hidden", MemberRole.Member, hidden.Id);
        using var restricted = app.CreateBrowserLikeClient();
        restricted.DefaultRequestHeaders.Add("X-Api-Key", hiddenKey);
        Assert.Equal(HttpStatusCode.NotFound, (await restricted.GetAsync($"/api/files/{id}")).StatusCode);
        var reader = await app.AddMemberAsync(a.Tenant, MemberRole.Member);
        var (_, readerKey) = await keys.CreateAsync(a.Tenant.Id, "reader", MemberRole.Member, reader.Id);
        using var allowed = app.CreateBrowserLikeClient();
        allowed.DefaultRequestHeaders.Add("X-Api-Key", readerKey);
        Assert.Equal(HttpStatusCode.OK, (await allowed.GetAsync($"/api/files/{id}")).StatusCode);
    }
}
