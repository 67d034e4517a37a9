using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Core.Files;

/// <summary>
/// Removes what no record holds, once an hour on one instance (<c>files.sweep</c>): uploads no record took within
/// <see cref="FileStorageOptions.PendingLifetime"/> (row and bytes), then bytes without a row older than
/// <see cref="FileStorageOptions.OrphanAge"/> — those of files a write dropped, of deleted records (their rows go by
/// cascade) and of a crash between storing and saving — and the folders of deleted workspaces. Deleting the bytes
/// after the rows means a failure in between leaves only bytes, which the next run finds.
/// </summary>
public sealed class FileSweep(ICrmDbContextFactory factory, IFileStore store, IOptions<FileStorageOptions> options, ILogger<FileSweep> log)
{
    public async Task<int> RunOnceAsync(DateTime utcNow, CancellationToken ct = default)
    {
        var done = 0;
        HashSet<Guid> tenants;
        await using (var global = factory.CreateGlobal())
            tenants = (await global.Tenants.AsNoTracking().Select(x => x.Id).ToListAsync(ct)).ToHashSet();
        await foreach (var folder in store.FoldersAsync(ct))
        {
            var tenantId = Guid.ParseExact(folder, "N");
            try
            {
                if (!tenants.Contains(tenantId))
                {
                    // Read again right before deleting: a workspace that signed up (and uploaded) after the list was
                    // read is not a deleted one.
                    bool exists;
                    await using (var global = factory.CreateGlobal())
                        exists = await global.Tenants.AsNoTracking().AnyAsync(x => x.Id == tenantId, ct);
                    if (!exists)
                    {
                        await store.DeleteFolderAsync(folder, ct);
                        done++;
                        continue;
                    }
                }
                done += await SweepTenantAsync(tenantId, folder, utcNow, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "File sweep failed for workspace {Tenant}", tenantId);
            }
        }
        return done;
    }

    /// <summary>One workspace: stale uploads, then bytes without a row.</summary>
    public async Task<int> SweepTenantAsync(Guid tenantId, string folder, DateTime utcNow, CancellationToken ct)
    {
        var done = 0;
        await using var db = factory.CreateForTenant(tenantId);
        var staleBefore = utcNow - options.Value.PendingLifetime;
        done += await db.Files.Where(f => f.RecordId == null && f.CreatedAt < staleBefore).ExecuteDeleteAsync(ct);
        var orphanBefore = utcNow - options.Value.OrphanAge;
        var candidates = new List<(string Key, Guid Id)>();
        await foreach (var (key, writtenAt) in store.ListAsync(folder, ct))
            if (writtenAt < orphanBefore && FileKeys.FileIdOf(key) is { } id) candidates.Add((key, id));
        foreach (var chunk in candidates.Chunk(500))
        {
            var ids = chunk.Select(c => c.Id).Distinct().ToList();
            var known = (await db.Files.AsNoTracking().Where(f => ids.Contains(f.Id)).Select(f => f.Id).ToListAsync(ct)).ToHashSet();
            foreach (var (key, id) in chunk.Where(c => !known.Contains(c.Id)))
            {
                await store.DeleteAsync(key, ct);
                done++;
            }
        }
        return done;
    }
}
