using System.Data.Common;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Files;
using Crm.Core.Import;
using Crm.Core.Jobs;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Data;

/// <summary>
/// Deleting a workspace (wsdel): the Owner's request with the typed slug closes it at once; the queued erasure then
/// removes its rows from every table with a tenant column — found here from the EF model and, on PostgreSQL, the
/// catalog (board totals) — its files folder and its tenants row, exactly once; another workspace keeps everything,
/// and the audit trail stays append-only for it.
/// </summary>
public class TenantDeletionTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Deleting_a_workspace_erases_every_row_of_it_and_nothing_of_another(string provider)
    {
        await using var gone = await WorkspaceWithHistoryAsync(provider);
        await using var kept = await WorkspaceWithHistoryAsync(provider);
        var keptBefore = await CountsAsync(kept);
        var goneBefore = await CountsAsync(gone);
        foreach (var table in (string[])["records", "record_changes", "audit_entries", "import_batches", "import_batch_items", "files", "invitations"])
            Assert.True(goneBefore[table] > 0, $"{table} has no rows to erase");
        if (provider == Providers.Postgres) Assert.True(goneBefore["record_totals"] > 0 && goneBefore["record_totals_slots"] > 0);
        Assert.True(await QueuedJobsOfAsync(gone) > 0);

        var errors = await gone.Get<WorkspaceDeletion>().RequestAsync(gone.Owner, gone.Tenant.Identifier);
        Assert.True(errors.IsEmpty, errors.ToString());

        // Closed at once: unknown to the store, no memberships or API keys left, the erasure queued and recorded.
        var store = gone.Get<ITenantStore>();
        Assert.Null(await store.GetByIdentifierAsync(gone.Tenant.Identifier));
        Assert.Null(await store.GetByIdAsync(gone.Tenant.Id));
        await using (var db = gone.Database.Factory.CreateGlobal())
        {
            Assert.False(await db.Memberships.AnyAsync(m => m.TenantId == gone.Tenant.Id));
            Assert.False(await db.ApiKeys.AnyAsync(k => k.TenantId == gone.Tenant.Id));
            Assert.NotNull((await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == gone.Tenant.Id)).DeletedAt);
            var erasure = await db.WorkspaceErasures.AsNoTracking().SingleAsync(e => e.TenantId == gone.Tenant.Id);
            Assert.Equal((gone.Tenant.Identifier, gone.Owner.UserId, (DateTime?)null), (erasure.Slug, erasure.RequestedBy, erasure.FinishedAt));
        }
        await Assert.ThrowsAsync<ForbiddenException>(() => gone.Database.Factory.RequireCurrentAsync(gone.Owner, MemberRole.Viewer));

        var job = await EraseJobAsync(gone);
        var eraser = gone.Get<WorkspaceEraser>();
        Assert.Equal(WorkspaceEraser.Outcome.Finished, await eraser.EraseAsync(gone.Tenant.Id, job.Id));

        Assert.All(await CountsAsync(gone), c => Assert.True(c.Value == 0, $"{c.Key}: {c.Value} rows of the deleted workspace left"));
        Assert.Equal(1, await QueuedJobsOfAsync(gone)); // only the erasure's own queue row, which the runner completes
        Assert.Equal(keptBefore, await CountsAsync(kept));
        await using (var db = gone.Database.Factory.CreateGlobal())
        {
            Assert.False(await db.Tenants.AnyAsync(t => t.Id == gone.Tenant.Id));
            var erasure = await db.WorkspaceErasures.AsNoTracking().SingleAsync(e => e.TenantId == gone.Tenant.Id);
            Assert.NotNull(erasure.FinishedAt);
            Assert.True(erasure.RowsDeleted >= goneBefore["records"] + goneBefore["audit_entries"]);
        }
        var folders = new List<string>();
        await foreach (var folder in gone.Get<IFileStore>().FoldersAsync()) folders.Add(folder);
        Assert.DoesNotContain(FileKeys.Folder(gone.Tenant.Id), folders);
        Assert.Contains(FileKeys.Folder(kept.Tenant.Id), folders);

        // The other workspace's audit trail is still append-only.
        await using (var db = kept.Database.Factory.CreateForTenant(kept.Tenant.Id))
        {
            await Assert.ThrowsAnyAsync<DbException>(() => db.AuditEntries.ExecuteDeleteAsync());
            await Assert.ThrowsAnyAsync<DbException>(() => db.AuditEntries.ExecuteUpdateAsync(u => u.SetProperty(a => a.Action, "rewritten")));
            if (provider == Providers.Postgres)
                await Assert.ThrowsAnyAsync<DbException>(() => db.Database.ExecuteSqlRawAsync("TRUNCATE audit_entries"));
            Assert.True(await db.AuditEntries.CountAsync() > 0);
        }

        // The slug is free again.
        using var scope = gone.Services.CreateScope();
        Assert.Null(await scope.ServiceProvider.GetRequiredService<WorkspaceService>().CheckSlugAsync(gone.Tenant.Identifier));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_erasure_job_run_twice_erases_once(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel", withSampleData: true);
        Assert.True((await ws.Get<WorkspaceDeletion>().RequestAsync(ws.Owner, ws.Tenant.Identifier)).IsEmpty);
        var job = await EraseJobAsync(ws);
        var eraser = ws.Get<WorkspaceEraser>();

        await eraser.RunAsync(job, CancellationToken.None);
        long deleted;
        DateTime? finished;
        await using (var db = ws.Database.Factory.CreateGlobal())
            (deleted, finished) = await db.WorkspaceErasures.Where(e => e.TenantId == ws.Tenant.Id).Select(e => new ValueTuple<long, DateTime?>(e.RowsDeleted, e.FinishedAt)).SingleAsync();
        Assert.True(deleted > 0);
        Assert.NotNull(finished);

        // A second run of the same queue row (a lease that ran out) finds the erasure finished and does nothing.
        Assert.Equal(WorkspaceEraser.Outcome.AlreadyFinished, await eraser.EraseAsync(ws.Tenant.Id, job.Id));
        await eraser.RunAsync(job, CancellationToken.None);
        await using (var db = ws.Database.Factory.CreateGlobal())
        {
            var after = await db.WorkspaceErasures.AsNoTracking().SingleAsync(e => e.TenantId == ws.Tenant.Id);
            Assert.Equal((deleted, finished), (after.RowsDeleted, after.FinishedAt));
        }
        // A workspace nobody deleted is never erased by a stray job.
        await using var other = await Workspace.CreateAsync(provider);
        Assert.Equal(WorkspaceEraser.Outcome.NotRequested, await eraser.EraseAsync(other.Tenant.Id, null));
        Assert.NotNull(await other.Get<ITenantStore>().GetByIdAsync(other.Tenant.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Only_the_owner_with_the_exact_slug_deletes(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var deletion = ws.Get<WorkspaceDeletion>();
        var admin = await ws.MemberAsync(MemberRole.Admin);
        await Assert.ThrowsAsync<ForbiddenException>(() => deletion.RequestAsync(admin, ws.Tenant.Identifier));
        // The page's copy of the role is not enough: the Owner demoted meanwhile is refused by the database.
        var staleOwner = admin with { Role = MemberRole.Owner };
        await Assert.ThrowsAsync<ForbiddenException>(() => deletion.RequestAsync(staleOwner, ws.Tenant.Identifier));

        var wrong = await deletion.RequestAsync(ws.Owner, ws.Tenant.Identifier.ToUpperInvariant());
        var message = Assert.Single(wrong.For(WorkspaceDeletion.ConfirmField));
        Assert.Contains(ws.Tenant.Identifier, message);
        Assert.Contains("is not this workspace's address", message);
        Assert.Single((await deletion.RequestAsync(ws.Owner, "")).For(WorkspaceDeletion.ConfirmField));

        await using (var db = ws.Database.Factory.CreateGlobal())
        {
            Assert.Null((await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == ws.Tenant.Id)).DeletedAt);
            Assert.False(await db.WorkspaceErasures.AnyAsync(e => e.TenantId == ws.Tenant.Id));
            Assert.False(await db.QueuedJobs.AnyAsync(j => j.TenantId == ws.Tenant.Id));
            Assert.Equal(2, await db.Memberships.CountAsync(m => m.TenantId == ws.Tenant.Id));
        }
        Assert.NotNull(await ws.Get<ITenantStore>().GetByIdentifierAsync(ws.Tenant.Identifier));
    }

    [Fact]
    public async Task The_erasure_empties_every_table_of_the_model_that_names_a_workspace_referencing_tables_first()
    {
        await using var db = (await TestDatabase.GetAsync(Providers.Sqlite)).Factory.CreateGlobal();
        var order = WorkspaceEraser.ModelTables(db.Model).Select(t => t.Table).ToList();
        Assert.Equal(TenantTables(db.Model).OrderBy(t => t), order.OrderBy(t => t));
        Assert.DoesNotContain("tenants", order);
        Assert.DoesNotContain("workspace_erasures", order);
        foreach (var type in db.Model.GetEntityTypes())
            foreach (var fk in type.GetForeignKeys())
                if (type.GetTableName() is { } from && fk.PrincipalEntityType.GetTableName() is { } to && from != to && order.Contains(from) && order.Contains(to))
                    Assert.True(order.IndexOf(from) < order.IndexOf(to), $"{from} references {to} but is emptied after it");
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

        // A file (row and bytes), an API key, an invitation, a queued job and, on PostgreSQL, board totals.
        var company = (await ws.MetadataAsync()).EntityTypes.First(e => e.Key == "company").Entity;
        var fileId = Guid.CreateVersion7();
        await ws.Get<IFileStore>().PutAsync(FileKeys.Content(ws.Tenant.Id, fileId), new MemoryStream("hello"u8.ToArray()));
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            db.Add(new StoredFile { Id = fileId, EntityTypeId = company.Id, FieldKey = "attachments", Name = "a.txt", ContentType = "text/plain", Kind = "text",
                Size = 5, Sha256 = new string('0', 64), StorageKey = FileKeys.Content(ws.Tenant.Id, fileId), CreatedBy = ws.Owner.UserId, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        await ws.Get<InvitationService>().CreateAsync(ws.Owner, TestData.NewEmail(), MemberRole.Member);
        await ws.Get<IApiKeyStore>().CreateAsync(ws.Tenant.Id, "integration", MemberRole.Member, ws.Owner.UserId);
        await ws.Get<JobQueue>().EnqueueAsync("test.never", ws.Tenant.Id, "{}", DateTime.UtcNow.AddYears(1));
        if (provider == Providers.Postgres)
        {
            await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
            await db.Database.ExecuteSqlRawAsync("INSERT INTO record_totals_slots (tenant_id, entity_type_id, slot) VALUES ({0}, {1}, 1)", ws.Tenant.Id, company.Id);
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO record_totals (tenant_id, entity_type_id, slot, value, stage_id, records, amounts, amount)
                SELECT tenant_id, entity_type_id, 1, text1, stage_id, 1, 0, 0 FROM records WHERE tenant_id = {0} AND entity_type_id = {1}
                """, ws.Tenant.Id, company.Id);
        }
        return ws;
    }

    /// <summary>Tables of the model with a tenant column (tenant-owned or global, like memberships), but tenants and erasures.</summary>
    private static IEnumerable<string> TenantTables(IModel model)
        => model.GetEntityTypes()
            .Where(t => !t.IsOwned() && t.GetTableName() is not null && t.FindProperty(nameof(ITenantOwned.TenantId)) is not null
                        && t.ClrType != typeof(TenantInfo) && t.ClrType != typeof(WorkspaceErasure))
            .Select(t => t.GetTableName()!).Distinct();

    /// <summary>Rows of the workspace in every table that names a workspace: the model's, and on PostgreSQL the catalog's.</summary>
    private static async Task<SortedDictionary<string, long>> CountsAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        var tables = TenantTables(db.Model).Where(t => t != "queued_jobs").ToHashSet();
        if (ws.Database.Provider == DatabaseProvider.Postgres)
            foreach (var t in await db.Database.SqlQueryRaw<string>("""
                SELECT c.table_name AS "Value" FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
                WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' AND c.table_schema = current_schema()
                """).ToListAsync())
                if (t is not ("tenants" or "workspace_erasures" or "queued_jobs")) tables.Add(t);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            // Table names from the model or the catalog, not from input.
#pragma warning disable EF1002
            counts[table] = await db.Database.SqlQueryRaw<long>($"SELECT count(*) AS \"Value\" FROM \"{table}\" WHERE tenant_id = {{0}}", ws.Tenant.Id).SingleAsync();
#pragma warning restore EF1002
        }
        return counts;
    }

    private static async Task<int> QueuedJobsOfAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateGlobal();
        return await db.QueuedJobs.CountAsync(j => j.TenantId == ws.Tenant.Id);
    }

    private static async Task<QueuedJob> EraseJobAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateGlobal();
        return await db.QueuedJobs.AsNoTracking().SingleAsync(j => j.TenantId == ws.Tenant.Id && j.Kind == WorkspaceDeletion.JobKind);
    }
}
