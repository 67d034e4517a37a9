using System.Net;
using System.Text.Json;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>Reports over HTTP: the list, a result as JSON and as CSV, filters, and nothing for another workspace.</summary>
public class ReportsApiTests(AppFixture apps) : HttpTestBase(apps)
{
    private static async Task<SignedUp> WithSalesAsync(CrmAppFactory app)
    {
        var a = await app.SignUpAsync();
        var template = app.Services.GetRequiredService<TemplateCatalog>().Find("b2b_sales_funnel")!.Document;
        var installed = await app.Services.GetRequiredService<TemplateInstaller>()
            .InstallAsync(new Actor(a.User.Id, "owner", a.Tenant, MemberRole.Owner), template, new InstallOptions(WithSampleData: true));
        Assert.True(installed.Succeeded, installed.Errors.ToString());
        return a;
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_report_reads_as_json_and_as_csv(string provider)
    {
        var app = await AppAsync(provider);
        var a = await WithSalesAsync(app);
        using var client = await app.SignedInClientAsync(a.User);

        var list = JsonDocument.Parse(await client.GetStringAsync($"/t/{a.Slug}/api/reports")).RootElement;
        Assert.Contains(list.EnumerateArray(), r => r.GetProperty("key").GetString() == "opportunity_funnel" && r.GetProperty("type").GetString() == "funnel");

        var funnel = JsonDocument.Parse(await client.GetStringAsync($"/t/{a.Slug}/api/reports/opportunity_funnel")).RootElement;
        var rows = funnel.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal("identify", rows[0].GetProperty("key").GetString());
        var reached = rows.Select(r => r.GetProperty("values")[0].GetDecimal()).ToList();
        Assert.True(reached[0] > 0);
        Assert.Equal(reached.OrderByDescending(x => x), reached);   // a funnel only narrows

        var csv = await client.GetAsync($"/t/{a.Slug}/api/reports/opportunity_funnel.csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.StartsWith("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(rows.Count + 1, lines.Length);
        Assert.StartsWith("Stage,Reached,Conversion", lines[0]);                  // in the caller's language
        Assert.Equal(reached[0].ToString(System.Globalization.CultureInfo.InvariantCulture), lines[1].Split(',')[1]);

        var empty = JsonDocument.Parse(await client.GetStringAsync($"/t/{a.Slug}/api/reports/pipeline_value?from=2000-01-01&to=2000-01-31")).RootElement;
        Assert.Equal(0m, empty.GetProperty("kpi").GetProperty("value").GetDecimal());

        var bad = await client.GetAsync($"/t/{a.Slug}/api/reports/pipeline_value?from=tomorrow");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/t/{a.Slug}/api/reports/no_such_report")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Another_workspace_cannot_read_the_reports(string provider)
    {
        var app = await AppAsync(provider);
        var a = await WithSalesAsync(app);
        var b = await app.SignUpAsync();
        using var client = await app.SignedInClientAsync(b.User);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/t/{a.Slug}/api/reports/opportunity_funnel.csv")).StatusCode);
        var own = JsonDocument.Parse(await client.GetStringAsync($"/t/{b.Slug}/api/reports")).RootElement;
        Assert.Empty(own.EnumerateArray());
    }
}
