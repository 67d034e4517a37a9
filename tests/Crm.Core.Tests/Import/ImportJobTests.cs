using Crm.Core.Data;
using Crm.Core.Import;
using Crm.Core.Jobs;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Core.Tests.Import;

/// <summary>Large imports as background jobs on the job runner, on both databases: once, with persisted progress and outcome, undoable, per workspace.</summary>
public class ImportJobTests
{
    private static void Small(IServiceCollection services) => services.Configure<ImportOptions>(o => { o.BackgroundRows = 5; o.WriteBatch = 4; });

    private static async Task<Workspace> WorkspaceAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider, configure: Small);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: false);
        return ws;
    }

    private static ImportRequest Companies(int count, Func<int, string>? city = null)
    {
        var rows = Enumerable.Range(1, count).Select(i => new[] { $"后台导入公司{i:D3}", city?.Invoke(i) ?? "上海", "2026-03-05" }).ToArray();
        var table = new ImportTable(["客户名称", "城市", "日期"], rows, "utf-8");
        return new ImportRequest("company", table, new ImportMapping(new Dictionary<int, string> { [0] = "name", [1] = "city" }),
            new DuplicateRule(["name"], DuplicateAction.Skip)) { FileName = "大文件.csv" };
    }

    private static async Task<int> CountAsync(Workspace ws)
    {
        var typeId = (await ws.MetadataAsync()).Entity("company")!.Entity.Id;
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.CountAsync(r => r.EntityTypeId == typeId);
    }

    private static async Task<ImportJob> RowAsync(Workspace ws, Guid id)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.ImportJobs.AsNoTracking().SingleAsync(j => j.Id == id);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_queued_job_runs_once_with_two_runners_and_persists_its_progress_and_result(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        await using var second = CoreServices.Create(ws.Database, configure: Small);
        var jobs = ws.Get<ImportJobs>();
        Assert.True(jobs.IsLarge(Companies(6).Table));
        Assert.False(jobs.IsLarge(Companies(5).Table));

        var job = await jobs.QueueAsync(ws.Owner, Companies(10));
        Assert.Equal(ImportJobStatus.Queued, job.Status);
        Assert.Equal(10, job.Total);
        var stored = await RowAsync(ws, job.Id);
        Assert.NotNull(stored.Payload);
        Assert.Equal(job.CreatedAt.AddDays(1), stored.ExpiresAt, TimeSpan.FromSeconds(1));
        await using (var global = ws.Database.Factory.CreateGlobal())
        {
            Assert.Equal(1, await global.QueuedJobs.CountAsync(q => q.Kind == ImportJobs.RunKind && q.Payload == job.Id.ToString()));
            Assert.Equal(1, await global.QueuedJobs.CountAsync(q => q.Kind == ImportJobs.ExpireKind && q.Payload == job.Id.ToString() && q.RunAfter == stored.ExpiresAt));
        }

        // Two instances work the queue at the same moment: the job is claimed by one of them. The queue is shared
        // with other tests (a claim takes a batch, oldest first; another test's runner may hold this row), so they
        // work it in rounds until this job's row is done.
        var runners = new[] { ws.Get<JobRunner>(), second.GetRequiredService<JobRunner>() };
        async Task<bool> RowDoneAsync()
        {
            await using var global = ws.Database.Factory.CreateGlobal();
            return await global.QueuedJobs.AnyAsync(q => q.Kind == ImportJobs.RunKind && q.Payload == job.Id.ToString() && q.CompletedAt != null);
        }
        for (var round = 0; round < 60 && !await RowDoneAsync(); round++)
        {
            var now = DateTime.UtcNow.AddSeconds(1);
            await Task.WhenAll(runners.Select(r => Task.Run(() => r.RunQueuedAsync(now))));
            if (!await RowDoneAsync()) await Task.Delay(250);
        }
        Assert.True(await RowDoneAsync(), "the job's queue row was run");
        // And running its queue row again (a lease that ran out) does nothing: the job is no longer queued.
        Assert.Equal(ImportJobStatus.Succeeded, await second.GetRequiredService<ImportJobs>().RunJobAsync(ws.Tenant.Id, job.Id));

        Assert.Equal(10, await CountAsync(ws));
        var done = await jobs.GetAsync(ws.Owner, job.Id);
        Assert.NotNull(done);
        Assert.Equal(ImportJobStatus.Succeeded, done.Status);
        Assert.Equal(ImportPhase.Finished, done.Phase);
        Assert.Equal((10, 10), (done.Done, done.Total));
        Assert.Equal((10, 0, 0), (done.Created, done.Updated, done.Skipped));
        Assert.NotNull(done.BatchId);
        Assert.NotNull(done.FinishedAt);
        Assert.Null((await RowAsync(ws, job.Id)).Payload); // the uploaded table is not kept after the run
        Assert.Single(await ws.Get<ImportService>().BatchesAsync(ws.Owner, "company"));
        await using (var global = ws.Database.Factory.CreateGlobal())
        {
            var queued = await global.QueuedJobs.SingleAsync(q => q.Kind == ImportJobs.RunKind && q.Payload == job.Id.ToString());
            Assert.NotNull(queued.CompletedAt);
            Assert.Equal(1, queued.Attempts);
        }

        // Coming back to the page: the person's jobs for the entity type, newest first.
        Assert.Equal([job.Id], (await jobs.MineAsync(ws.Owner, "company")).Select(j => j.Id));

        // The job's batch is undone like any import.
        var undo = await ws.Get<ImportService>().UndoAsync(ws.Owner, done.BatchId!.Value);
        Assert.True(undo.Succeeded, undo.Problem);
        Assert.Equal(10, undo.Deleted);
        Assert.Equal(0, await CountAsync(ws));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Progress_is_written_to_the_row_while_the_job_writes(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var jobs = ws.Get<ImportJobs>();
        var job = await jobs.QueueAsync(ws.Owner, Companies(12));
        var seen = new List<(ImportPhase, int, int)>();
        using var cts = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                var row = await RowAsync(ws, job.Id);
                seen.Add((row.Phase, row.Done, row.Total));
                if (row.Status is ImportJobStatus.Succeeded or ImportJobStatus.Failed) return;
                await Task.Delay(5);
            }
        });
        Assert.Equal(ImportJobStatus.Succeeded, await jobs.RunJobAsync(ws.Tenant.Id, job.Id));
        await watcher.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((ImportPhase.Finished, 12, 12), seen[^1]);
        Assert.All(seen, s => Assert.True(s.Item2 <= s.Item3));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_job_with_bad_rows_fails_with_its_errors_and_writes_nothing(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var jobs = ws.Get<ImportJobs>();
        // Every third row has no name (the title field is required).
        var request = Companies(9);
        var rows = request.Table.Rows.Select((r, i) => i % 3 == 2 ? ["", r[1], r[2]] : r).ToArray();
        var job = await jobs.QueueAsync(ws.Owner, request with { Table = request.Table with { Rows = rows } });

        Assert.Equal(ImportJobStatus.Failed, await jobs.RunJobAsync(ws.Tenant.Id, job.Id));
        Assert.Equal(0, await CountAsync(ws));
        var failed = (await jobs.GetAsync(ws.Owner, job.Id))!;
        Assert.Equal(ImportJobStatus.Failed, failed.Status);
        Assert.Null(failed.BatchId);
        Assert.Equal(3, failed.ErrorCount);
        var errors = ImportJobs.ErrorsOf(failed);
        Assert.Equal([3, 6, 9], errors.Select(e => e.Row));
        Assert.All(errors, e => Assert.Equal("name", e.Field));
        Assert.Empty(await ws.Get<ImportService>().BatchesAsync(ws.Owner, "company"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_job_runs_with_the_current_rights_of_whoever_queued_it_and_only_their_workspace_sees_it(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var jobs = ws.Get<ImportJobs>();
        var member = await ws.MemberAsync(MemberRole.Member);
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => jobs.QueueAsync(viewer, Companies(6)));

        var job = await jobs.QueueAsync(member, Companies(6));
        Assert.Null(await jobs.GetAsync(await ws.MemberAsync(MemberRole.Member), job.Id)); // someone else's
        Assert.NotNull(await jobs.GetAsync(ws.Owner, job.Id)); // an admin's
        // The member is removed before the job runs: it fails, nothing written.
        await using (var global = ws.Database.Factory.CreateGlobal())
            await global.Memberships.Where(m => m.TenantId == ws.Tenant.Id && m.UserId == member.UserId).ExecuteDeleteAsync();
        Assert.Equal(ImportJobStatus.Failed, await jobs.RunJobAsync(ws.Tenant.Id, job.Id));
        Assert.Equal(0, await CountAsync(ws));

        await using var other = await WorkspaceAsync(provider);
        var theirs = other.Get<ImportJobs>();
        Assert.Null(await theirs.GetAsync(other.Owner, job.Id));
        Assert.Empty(await theirs.MineAsync(other.Owner, "company", DateTime.UtcNow.AddDays(-1)));
        await using var db = other.Database.Factory.CreateForTenant(other.Tenant.Id);
        Assert.False(await db.ImportJobs.AnyAsync(j => j.Id == job.Id));
        // Running it with the other workspace's id finds nothing to run.
        Assert.Null(await theirs.RunJobAsync(other.Tenant.Id, job.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_job_not_run_by_its_expiry_fails_and_its_payload_is_discarded(string provider)
    {
        await using var ws = await WorkspaceAsync(provider);
        var jobs = ws.Get<ImportJobs>();
        var job = await jobs.QueueAsync(ws.Owner, Companies(6));
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            await db.ImportJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(u => u.SetProperty(j => j.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        await jobs.ExpireAsync(new QueuedJob { Kind = ImportJobs.ExpireKind, TenantId = ws.Tenant.Id, Payload = job.Id.ToString() }, default);

        var row = await RowAsync(ws, job.Id);
        Assert.Equal(ImportJobStatus.Failed, row.Status);
        Assert.Null(row.Payload);
        Assert.NotEmpty(ImportJobs.ErrorsOf(row));
        Assert.Equal(ImportJobStatus.Failed, await jobs.RunJobAsync(ws.Tenant.Id, job.Id));
        Assert.Equal(0, await CountAsync(ws));
    }
}
