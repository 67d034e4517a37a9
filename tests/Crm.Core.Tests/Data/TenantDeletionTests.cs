using Crm.Core.Data;
using Crm.Core.Import;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Data;

/// <summary>
/// The tables whose tenant is held by their parent's key instead of a key of their own
/// (<see cref="TenantThroughParentAttribute"/>: timeline entries, stage/status transitions, import undo items) lose
/// their rows with their parents. A <c>tenants</c> row itself cannot be deleted: the audit trail is append-only on
/// both databases (its trigger refuses the cascade's DELETE), and the product has no workspace deletion; so clearing a
/// workspace means deleting its records and import batches, which must take these rows along — and nothing of
/// another workspace.
/// </summary>
public class TenantDeletionTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Clearing_a_workspace_removes_its_timeline_transitions_and_import_undo_items(string provider)
    {
        await using var gone = await WorkspaceWithHistoryAsync(provider);
        await using var kept = await WorkspaceWithHistoryAsync(provider);
        var before = await CountsAsync(kept);
        Assert.All(await CountsAsync(gone), n => Assert.True(n > 0));

        // The tenant row stays: the append-only audit trail refuses the cascade (so the rows above cannot outlive it).
        await using (var global = gone.Database.Factory.CreateGlobal())
            await Assert.ThrowsAnyAsync<Exception>(() => global.Tenants.Where(t => t.Id == gone.Tenant.Id).ExecuteDeleteAsync());

        await using (var db = gone.Database.Factory.CreateForTenant(gone.Tenant.Id))
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await db.Records.ExecuteDeleteAsync();
            await db.ImportBatches.ExecuteDeleteAsync();
            await tx.CommitAsync();
        }

        Assert.All(await CountsAsync(gone), n => Assert.Equal(0, n));
        Assert.Equal(before, await CountsAsync(kept));
    }

    private static async Task<Workspace> WorkspaceWithHistoryAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        var import = ws.Get<ImportService>();
        var table = new ImportTable(["客户名称", "城市"], [["导入甲", "北京"], ["导入乙", "上海"]], "utf-8");
        var analysis = await import.AnalyseAsync(ws.Owner, new ImportRequest("company", table, await import.SuggestAsync(ws.Owner, "company", table.Header)));
        var result = await import.RunAsync(ws.Owner, analysis);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        return ws;
    }

    /// <summary>Records, timeline entries, transitions, import batches and undo items of the workspace, read as the workspace.</summary>
    private static async Task<int[]> CountsAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return [await db.Records.CountAsync(), await db.RecordChanges.CountAsync(), await db.Transitions.CountAsync(),
            await db.ImportBatches.CountAsync(), await db.ImportBatchItems.CountAsync()];
    }
}
