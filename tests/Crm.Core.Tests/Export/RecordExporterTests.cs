using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Audit;
using Crm.Core.Export;
using Crm.Core.Lists;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using MiniExcelLibs;

namespace Crm.Core.Tests.Export;

/// <summary>Exports hold what the list shows the person: its filters, sort and columns, their rights, escaped cells.</summary>
public class RecordExporterTests
{
    private static readonly CultureInfo Zh = new("zh-CN");

    private static async Task<Workspace> CompaniesAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        return ws;
    }

    private static async Task<(ExportPlan Plan, List<IReadOnlyList<string>> Rows)> ExportAsync(Workspace ws, Actor actor, ViewDefinition view, ExportFormat format = ExportFormat.Csv)
    {
        var exporter = ws.Get<RecordExporter>();
        var plan = (await exporter.PlanAsync(actor, "company", view, format, Zh))!;
        var rows = new List<IReadOnlyList<string>>();
        await foreach (var row in exporter.RowsAsync(plan)) rows.Add(row);
        return (plan, rows);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_export_follows_the_lists_filters_sort_and_columns(string provider)
    {
        await using var ws = await CompaniesAsync(provider);
        var view = new ViewDefinition
        {
            Columns = ["city", "industry", "name"],
            Filters = [new FilterSpec("industry", "in", new JsonArray("manufacturing", "it_internet"))],
            Sort = [new SortSpec("name", Descending: true)],
        };
        var list = await ws.Get<RecordListService>().QueryAsync(ws.Owner, "company", new RecordQuery { Filters = view.Filters, Sort = view.Sort, Take = 500 });
        Assert.True(list.Total > 1);

        var (plan, rows) = await ExportAsync(ws, ws.Owner, view);

        Assert.Equal(["城市", "行业", "客户名称"], plan.Header);
        Assert.Equal(["city", "industry", "name"], plan.Columns.Select(c => c.Key));
        Assert.Equal(list.Total, plan.Total);
        Assert.Equal(list.Items.Select(i => i.Title), rows.Select(r => r[2]));
        Assert.All(rows, r => Assert.Contains(r[1], new[] { "制造业", "软件与互联网" }));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Hidden_fields_and_records_out_of_scope_are_not_exported(string provider)
    {
        await using var ws = await CompaniesAsync(provider);
        var member = await ws.MemberAsync(MemberRole.Member);
        await ws.RestrictAsync(member, "company", new Dictionary<string, FieldAccessLevel> { ["phone"] = FieldAccessLevel.Hidden });
        var view = new ViewDefinition { Columns = ["name", "phone", "city"], Filters = [new FilterSpec("phone", "notEmpty")] };

        var (plan, rows) = await ExportAsync(ws, member, view);

        Assert.DoesNotContain(plan.Columns, c => c.Key == "phone");
        Assert.Equal(["name", "city"], plan.Columns.Select(c => c.Key));
        // The condition on the hidden field is dropped as the list drops it: every company the member reads.
        var total = await ws.Get<RecordListService>().QueryAsync(member, "company", new RecordQuery());
        Assert.Equal(total.Total, rows.Count);
        Assert.All(rows, r => Assert.Equal(2, r.Count));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Formula_cells_are_escaped_in_csv_and_xlsx_and_the_export_is_audited(string provider)
    {
        await using var ws = await CompaniesAsync(provider);
        var created = await ws.Records.CreateAsync(ws.Owner, "company", new RecordInput(new JsonObject { ["name"] = "=HYPERLINK(\"http://x\")", ["city"] = "+86 上海" }));
        Assert.True(created.Succeeded, created.Errors.ToString());
        var view = new ViewDefinition { Columns = ["name", "city"], Filters = [new FilterSpec("name", "contains", JsonValue.Create("HYPERLINK"))] };

        var exporter = ws.Get<RecordExporter>();
        var plan = (await exporter.PlanAsync(ws.Owner, "company", view, ExportFormat.Csv, Zh))!;
        using var csv = new MemoryStream();
        await SpreadsheetWriter.WriteAsync(ExportFormat.Csv, csv, plan.Header, exporter.RowsAsync(plan));
        var bytes = csv.ToArray();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes[3..]);
        Assert.Equal("客户名称,城市\r\n\"'=HYPERLINK(\"\"http://x\"\")\",'+86 上海\r\n", text);

        var xplan = (await exporter.PlanAsync(ws.Owner, "company", view, ExportFormat.Xlsx, Zh))!;
        using var xlsx = new MemoryStream();
        await SpreadsheetWriter.WriteAsync(ExportFormat.Xlsx, xlsx, xplan.Header, exporter.RowsAsync(xplan));
        xlsx.Position = 0;
        var sheet = xlsx.Query(useHeaderRow: false).Cast<IDictionary<string, object>>().ToList();
        Assert.Equal(2, sheet.Count);
        Assert.Equal("客户名称", sheet[0]["A"]);
        Assert.Equal("'=HYPERLINK(\"http://x\")", sheet[1]["A"]);
        Assert.Equal("'+86 上海", sheet[1]["B"]);

        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.Action == AuditActions.RecordsExported).ToListAsync();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Contains("\"rows\":1", e.Details));
        Assert.Contains(entries, e => e.Details!.Contains("\"format\":\"xlsx\""));
    }

    [Fact]
    public void Cells_that_a_spreadsheet_takes_for_formulas_get_an_apostrophe()
    {
        foreach (var bad in new[] { "=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx" }) Assert.Equal("'" + bad, SpreadsheetText.Neutralise(bad));
        Assert.Equal("a=1", SpreadsheetText.Neutralise("a=1"));
        Assert.Equal("\"a,b\"", SpreadsheetText.CsvCell("a,b"));
        Assert.Equal(["名称", "名称 (2)", "'=x"], SpreadsheetWriter.UniqueHeaders(["名称", "名称", "=x"]));
    }
}
