using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Templates;
using Crm.Core.Views;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MiniExcelLibs;

namespace Crm.Web.Tests.Http;

/// <summary>The list export over HTTP: the list's state as JSON in, a CSV or .xlsx file out, bad parameters named.</summary>
public class ExportApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task InstallAsync(CrmAppFactory app, SignedUp who)
    {
        var installer = app.Services.GetRequiredService<TemplateInstaller>();
        var actor = new Crm.Core.Security.Actor(who.User.Id, who.User.DisplayName, who.Tenant, Crm.Core.Tenancy.MemberRole.Owner);
        var result = await installer.InstallAsync(actor, Workspace.Catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(true));
        Assert.True(result.Succeeded, result.Errors.ToString());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_list_state_exports_as_csv_and_xlsx_and_bad_parameters_are_named(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        await InstallAsync(app, a);
        using var client = await app.SignedInClientAsync(a.User);
        var view = new ViewDefinition
        {
            Columns = ["name", "industry"],
            Filters = [new FilterSpec("industry", "eq", JsonValue.Create("manufacturing"))],
            Sort = [new SortSpec("name")],
        };
        var def = Uri.EscapeDataString(Crm.Core.Json.Serialize(view));

        var csv = await client.GetAsync($"/t/{a.Slug}/api/entities/company/export?format=csv&def={def}");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(".csv", csv.Content.Headers.ContentDisposition?.FileNameStar ?? csv.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines[0].Split(',').Length);
        Assert.True(lines.Length > 1);
        Assert.All(lines.Skip(1), l => Assert.True(l.EndsWith(",Manufacturing") || l.EndsWith(",制造业"), l));

        var xlsx = await client.GetAsync($"/t/{a.Slug}/api/entities/company/export?format=xlsx&def={def}");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType?.MediaType);
        using var sheet = new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync());
        var rows = sheet.Query(useHeaderRow: false).Cast<IDictionary<string, object>>().ToList();
        Assert.Equal(lines.Length, rows.Count);

        var badFormat = await client.GetAsync($"/t/{a.Slug}/api/entities/company/export?format=pdf");
        Assert.Equal(HttpStatusCode.BadRequest, badFormat.StatusCode);
        Assert.Contains("\"format\"", await badFormat.Content.ReadAsStringAsync());
        var badDef = await client.GetAsync($"/t/{a.Slug}/api/entities/company/export?def=%7Bnot-json");
        Assert.Equal(HttpStatusCode.BadRequest, badDef.StatusCode);
        Assert.Contains("\"def\"", await badDef.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/t/{a.Slug}/api/entities/nothing/export")).StatusCode);

        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/t/{a.Slug}/api/entities/company/export")).StatusCode);
    }
}
