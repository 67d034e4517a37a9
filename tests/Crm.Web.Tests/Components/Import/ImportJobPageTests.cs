using System.Text;
using Bunit;
using Crm.Core;
using Crm.Core.Import;
using Crm.Core.Jobs;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Import;
using Crm.Web.Tenancy;
using Crm.Web.Tests.Components.Lists;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Import;

/// <summary>A file above the background threshold: "Import" queues a job, and the page shows its persisted progress and result, also after leaving and coming back.</summary>
public class ImportJobPageTests
{
    public ImportJobPageTests() => ListContext.UseCulture("en");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_large_file_is_queued_and_the_page_shows_the_jobs_progress_and_result_from_its_row(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: false);
        var database = ws.Database;
        await using var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(database.Provider, database.ConnectionString);
            services.Configure<ImportOptions>(o => { o.BackgroundRows = 5; o.JobPollInterval = TimeSpan.FromMilliseconds(50); });
        });
        var session = new TenantSession(ws.Tenant, ws.Owner);
        context.Bunit.Render<MudPopoverProvider>(p => p.AddCascadingValue(session));
        context.Bunit.Render<MudSnackbarProvider>();
        IRenderedComponent<ImportPage> Open()
        {
            var page = context.Bunit.Render<ImportPage>(p => p.Add(x => x.Slug, ws.Tenant.Identifier).Add(x => x.Entity, "company").AddCascadingValue(session));
            page.WaitForAssertion(() => Assert.Equal("true", page.Find("#import-page").GetAttribute("data-ready")));
            return page;
        }

        var cut = Open();
        var csv = "客户名称,城市\n" + string.Concat(Enumerable.Range(1, 8).Select(i => $"后台公司{i},上海\n"));
        await cut.InvokeAsync(() => cut.Instance.LoadAsync(Encoding.UTF8.GetBytes(csv), "big.csv"));
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Mapping, cut.Instance.Current));
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-next]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-analyse]").Click());
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Preview, cut.Instance.Current));
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-run]").Click());

        // Queued, not run in the page: nothing is written yet, and the page says it runs in the background.
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Running, cut.Instance.Current));
        Assert.NotEmpty(cut.FindAll("[data-testid=import-job-queued]"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=import-job]")));
        var jobId = Guid.Parse(cut.Find("[data-testid=import-running]").GetAttribute("data-job")!);
        Assert.Equal("Queued", cut.Find($"[data-testid=import-job][data-job='{jobId}']").GetAttribute("data-status"));
        Assert.Empty(await TitlesAsync(ws));

        // The person leaves; a progress the runner wrote to the row shows when they come back.
        cut.Dispose();
        await using (var db = database.Factory.CreateForTenant(ws.Tenant.Id))
            await db.ImportJobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, ImportJobStatus.Running)
                .SetProperty(j => j.Phase, ImportPhase.Writing).SetProperty(j => j.Done, 3).SetProperty(j => j.Total, 8));
        var back = Open();
        back.WaitForAssertion(() =>
        {
            var row = back.Find("[data-testid=import-job]");
            Assert.Equal(("Running", "3", "8"), (row.GetAttribute("data-status"), row.GetAttribute("data-done"), row.GetAttribute("data-total")));
            Assert.Contains("3 of 8", row.TextContent);
        });
        Assert.NotEmpty(back.FindAll("[data-testid=import-job-progress]"));

        // The runner takes the job (back to queued, as it was) and finishes it; the page's polling shows the result and Undo.
        await using (var db = database.Factory.CreateForTenant(ws.Tenant.Id))
            await db.ImportJobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, ImportJobStatus.Queued));
        await context.Bunit.Services.GetRequiredService<JobRunner>().RunQueuedAsync(DateTime.UtcNow.AddSeconds(1));
        back.WaitForAssertion(() => Assert.Equal("Succeeded", back.Find("[data-testid=import-job]").GetAttribute("data-status")));
        Assert.Contains("8 created", back.Find("[data-testid=import-job]").TextContent);
        Assert.Equal(8, (await TitlesAsync(ws)).Count);

        await back.InvokeAsync(() => back.Find("[data-testid=import-job-undo]").Click());
        back.WaitForAssertion(() => Assert.Empty(back.FindAll("[data-testid=import-job-undo]")));
        Assert.Empty(await TitlesAsync(ws));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_page_left_open_shows_the_jobs_result_when_it_finishes(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: false);
        var database = ws.Database;
        await using var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(database.Provider, database.ConnectionString);
            services.Configure<ImportOptions>(o => { o.BackgroundRows = 5; o.JobPollInterval = TimeSpan.FromMilliseconds(50); });
        });
        var session = new TenantSession(ws.Tenant, ws.Owner);
        context.Bunit.Render<MudPopoverProvider>(p => p.AddCascadingValue(session));
        context.Bunit.Render<MudSnackbarProvider>();
        var cut = context.Bunit.Render<ImportPage>(p => p.Add(x => x.Slug, ws.Tenant.Identifier).Add(x => x.Entity, "company").AddCascadingValue(session));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("#import-page").GetAttribute("data-ready")));
        var csv = "客户名称,城市\n" + string.Concat(Enumerable.Range(1, 6).Select(i => $"留在页面公司{i},北京\n"));
        await cut.InvokeAsync(() => cut.Instance.LoadAsync(Encoding.UTF8.GetBytes(csv), "big.csv"));
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Mapping, cut.Instance.Current));
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-next]").Click());
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-analyse]").Click());
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Preview, cut.Instance.Current));
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-run]").Click());
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Running, cut.Instance.Current));
        Assert.Contains("Waiting", cut.Find("[data-testid=import-progress-text]").TextContent);

        await context.Bunit.Services.GetRequiredService<JobRunner>().RunQueuedAsync(DateTime.UtcNow.AddSeconds(1));
        cut.WaitForAssertion(() => Assert.Equal(ImportPage.Step.Result, cut.Instance.Current));
        // The poll sets the step before it renders: wait for the outcome's markup, not only for the step.
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=import-result-counts], [data-testid=import-failed]")));
        if (cut.FindAll("[data-testid=import-failed]").Count > 0)
        {
            await using var global = ws.Database.Factory.CreateGlobal();
            var queueErrors = await global.QueuedJobs.Where(q => q.Kind == ImportJobs.RunKind && q.LastError != null).Select(q => q.LastError).Take(5).ToListAsync();
            Assert.Fail("the job failed: " + string.Join(" | ", cut.FindAll("[data-testid=import-failed]").Select(e => e.TextContent)) + " / queue: " + string.Join(" | ", queueErrors));
        }
        var result = cut.Find("[data-testid=import-result-counts]");
        Assert.Equal(("6", "0", "0"), (result.GetAttribute("data-created"), result.GetAttribute("data-updated"), result.GetAttribute("data-skipped")));
        Assert.Equal(6, (await TitlesAsync(ws)).Count);
        await cut.InvokeAsync(() => cut.Find("[data-testid=import-undo]").Click());
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=import-undone]")));
        Assert.Empty(await TitlesAsync(ws));
    }

    private static async Task<List<string>> TitlesAsync(Workspace ws)
    {
        var typeId = (await ws.MetadataAsync()).Entity("company")!.Entity.Id;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.Where(r => r.EntityTypeId == typeId).Select(r => r.Title).ToListAsync();
    }
}
