using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
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

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_report_narrows_to_select_field_values_and_refuses_unknown_fields_and_options(string provider)
    {
        var app = await AppAsync(provider);
        var a = await WithSalesAsync(app);
        using var client = await app.SignedInClientAsync(a.User);

        // Hand-computed: the amount of each stage of the report's pipeline over opportunities from the two most common sources.
        var opportunity = (await app.Services.GetRequiredService<MetadataStore>().GetAsync(a.Tenant.Id)).Entity("opportunity")!;
        var b2b = opportunity.Pipeline("b2b")!.Pipeline.Id;
        await using var db = app.Services.GetRequiredService<ICrmDbContextFactory>().CreateForTenant(a.Tenant.Id);
        var records = (await db.Records.AsNoTracking().Where(r => r.EntityTypeId == opportunity.Entity.Id && r.PipelineId == b2b).ToListAsync())
            .Select(r => (r.StageId, r.Amount, Source: RecordWriter.ParseValues(r.Values)["source"]?.GetValue<string>())).ToList();
        var sources = records.Where(r => r.Source is not null).GroupBy(r => r.Source!).OrderByDescending(g => g.Count()).Take(2).Select(g => g.Key).ToList();
        Assert.Equal(2, sources.Count);
        var kept = records.Where(r => sources.Contains(r.Source!)).ToList();
        Assert.InRange(kept.Count, 1, records.Count - 1); // the filter must leave some out to prove anything
        var expected = kept.Where(r => r.StageId is not null).GroupBy(r => opportunity.AllPipelines.SelectMany(p => p.AllStages).First(s => s.Id == r.StageId).Key)
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Amount ?? 0m));

        var report = JsonNode.Parse(await client.GetStringAsync($"/t/{a.Slug}/api/reports/opportunity_amount_by_stage?field.source={sources[0]},{sources[1]}"))!;
        var actual = report["rows"]!.AsArray().Select(r => (Key: r!["key"]!.GetValue<string>(), Sum: r["values"]![0]!.GetValue<decimal>()))
            .Where(r => r.Sum != 0).ToDictionary(r => r.Key, r => r.Sum);
        Assert.Equal(expected.Where(e => e.Value != 0).OrderBy(e => e.Key), actual.OrderBy(e => e.Key));
        // Repeating the parameter means the same as listing the keys.
        var repeated = await client.GetStringAsync($"/t/{a.Slug}/api/reports/opportunity_amount_by_stage.csv?field.source={sources[0]}&field.source={sources[1]}");
        Assert.Equal(await client.GetStringAsync($"/t/{a.Slug}/api/reports/opportunity_amount_by_stage.csv?field.source={sources[0]},{sources[1]}"), repeated);

        async Task<JsonObject> ErrorsAsync(string query)
        {
            var response = await client.GetAsync($"/t/{a.Slug}/api/reports/opportunity_amount_by_stage.csv?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        }
        Assert.Contains("not a select, status or stage field", (await ErrorsAsync("field.no_such_field=x"))["field.no_such_field"]![0]!.GetValue<string>());
        Assert.Contains("not a select, status or stage field", (await ErrorsAsync("field.amount=5"))["field.amount"]![0]!.GetValue<string>());
        var unknown = (await ErrorsAsync($"field.source={sources[0]},no_such_source"))["field.source"]![0]!.GetValue<string>();
        Assert.Contains("'no_such_source'", unknown);
        Assert.Contains(sources[0], unknown); // the known keys are listed
        Assert.NotNull((await ErrorsAsync("from=2026-03-01&to=2026-02-01"))["to"]);
    }
}
