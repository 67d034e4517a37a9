using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Crm.Core.Data;
using Crm.Core.Jobs;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Crm.Core.Import;

/// <summary>What an <see cref="ImportJob"/> keeps to run later: the request without the analysis, and the UI language of the person who queued it.</summary>
public sealed record ImportJobPayload(
    string EntityKey, IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows, string Encoding,
    Dictionary<int, string> Mapping, DuplicateRule? Duplicates, bool FireAutomation, string FileName, string Culture)
{
    public ImportRequest ToRequest() => new(EntityKey, new ImportTable(Header, Rows, Encoding), new ImportMapping(Mapping), Duplicates, FireAutomation) { FileName = FileName };
}

/// <summary>
/// Imports of more than <see cref="ImportOptions.BackgroundRows"/> rows, as background jobs: <see cref="QueueAsync"/>
/// stores the request in <c>import_jobs</c> and enqueues a <see cref="QueuedJob"/> in the same transaction; the job
/// runner (one instance claims it) calls <see cref="RunJobAsync"/>, which moves the job from queued to running in one
/// conditional UPDATE (so a job runs once even if its queue row were run twice), re-reads the person's membership and
/// runs <see cref="ImportService.AnalyseAsync"/> + <see cref="ImportService.RunAsync"/> as them, writing progress to the
/// row every batch and the outcome at the end. A second queue row, due at <see cref="ImportJob.ExpiresAt"/>, discards
/// the payload of a job that never ran.
/// </summary>
public sealed class ImportJobs(ICrmDbContextFactory factory, ImportService import, MetadataStore metadataStore, IAccessResolver access, ITenantStore tenants,
    IStringLocalizer<CoreStrings> t, TimeProvider clock, IOptions<ImportOptions> options)
{
    public const string RunKind = "import.run";
    public const string ExpireKind = "import.expire";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Whether a table is large enough to be imported in the background.</summary>
    public bool IsLarge(ImportTable table) => table.Rows.Count > options.Value.BackgroundRows;

    /// <summary>Queues <paramref name="request"/> as a job of <paramref name="actor"/>'s, after checking they may create (and, to update duplicates, edit) records of the type.</summary>
    public async Task<ImportJob> QueueAsync(Actor actor, ImportRequest request, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(request.EntityKey);
        if (entity is null || entity.Entity.IsArchived) throw new ArgumentException($"No entity type {request.EntityKey}.", nameof(request));
        var fields = await access.FieldViewAsync(actor, entity, ct);
        var label = entity.Entity.Label.Get();
        if (!fields.Access.CanCreate) throw new ForbiddenException(t["Record.CannotCreate", label]);
        if (request.Duplicates is { Action: DuplicateAction.Update } && fields.Access.Edit.IsNone) throw new ForbiddenException(t["Import.CannotUpdate", label]);

        var now = Now;
        var payload = new ImportJobPayload(request.EntityKey, request.Table.Header, request.Table.Rows, request.Table.Encoding,
            request.Mapping.Columns.ToDictionary(), request.Duplicates, request.FireAutomation, request.FileName, CultureInfo.CurrentUICulture.Name);
        var job = new ImportJob
        {
            TenantId = actor.TenantId, EntityTypeId = entity.Entity.Id, FileName = request.FileName.Length > 260 ? request.FileName[..260] : request.FileName,
            Payload = JsonSerializer.Serialize(payload, Json), Status = ImportJobStatus.Queued, Phase = ImportPhase.Analysing, Rows = request.Table.Rows.Count,
            Total = request.Table.Rows.Count, CreatedBy = actor.UserId, CreatedAt = now, ExpiresAt = now + options.Value.JobExpiry,
        };
        db.ImportJobs.Add(job);
        db.QueuedJobs.Add(new QueuedJob { Kind = RunKind, TenantId = actor.TenantId, Payload = job.Id.ToString(), CreatedAt = now, RunAfter = now });
        db.QueuedJobs.Add(new QueuedJob { Kind = ExpireKind, TenantId = actor.TenantId, Payload = job.Id.ToString(), CreatedAt = now, RunAfter = job.ExpiresAt });
        await db.SaveChangesAsync(ct); // one SaveChanges: one transaction
        return job;
    }

    /// <summary>One job of the actor's (an admin sees everyone's), or null.</summary>
    public async Task<ImportJob?> GetAsync(Actor actor, Guid jobId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var job = await db.ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct);
        return job is not null && (job.CreatedBy == actor.UserId || actor.CanAdminister) ? Strip(job) : null;
    }

    /// <summary>The actor's own jobs for an entity type since <paramref name="since"/> (default: the last day), newest first, without payloads.</summary>
    public async Task<IReadOnlyList<ImportJob>> MineAsync(Actor actor, string entityKey, DateTime? since = null, int take = 10, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return [];
        var from = since ?? Now - options.Value.JobExpiry;
        var jobs = await db.ImportJobs.AsNoTracking().Where(j => j.EntityTypeId == entity.Entity.Id && j.CreatedBy == actor.UserId && j.CreatedAt >= from)
            .OrderByDescending(j => j.CreatedAt).Take(take).ToListAsync(ct);
        return jobs.Select(Strip).ToList();
    }

    /// <summary>The stored errors of a job.</summary>
    public static IReadOnlyList<ImportError> ErrorsOf(ImportJob job)
        => job.Errors is null ? [] : JsonSerializer.Deserialize<List<ImportError>>(job.Errors, Json) ?? [];

    private static ImportJob Strip(ImportJob job)
    {
        job.Payload = null;
        return job;
    }

    /// <summary>The handler of <see cref="RunKind"/> queue rows.</summary>
    public Task RunAsync(QueuedJob queued, CancellationToken ct)
        => queued.TenantId is { } tenant && Guid.TryParse(queued.Payload, out var id) ? RunJobAsync(tenant, id, ct) : Task.CompletedTask;

    /// <summary>The handler of <see cref="ExpireKind"/> queue rows: a job still queued at its expiry fails; any payload left is discarded.</summary>
    public async Task ExpireAsync(QueuedJob queued, CancellationToken ct)
    {
        if (queued.TenantId is not { } tenantId || !Guid.TryParse(queued.Payload, out var id)) return;
        var now = Now;
        await using var db = factory.CreateForTenant(tenantId);
        var culture = await db.ImportJobs.Where(j => j.Id == id && j.Status == ImportJobStatus.Queued).Select(j => j.Payload).FirstOrDefaultAsync(ct) is { } p
            ? JsonSerializer.Deserialize<ImportJobPayload>(p, Json)?.Culture : null;
        string message;
        using (UiCulture(culture)) message = t["Import.JobExpired", (int)options.Value.JobExpiry.TotalHours];
        await Finish(db.ImportJobs.Where(j => j.Id == id && j.Status == ImportJobStatus.Queued), [new ImportError(0, ImportService.RowKey, message)], 1, now, ct);
        await db.ImportJobs.Where(j => j.Id == id && j.Payload != null && j.ExpiresAt <= now).ExecuteUpdateAsync(u => u.SetProperty(j => j.Payload, (string?)null), ct);
    }

    /// <summary>Runs a queued job once: claims it (queued → running), then imports as its creator with their current rights.</summary>
    public async Task<ImportJobStatus?> RunJobAsync(Guid tenantId, Guid jobId, CancellationToken ct = default)
    {
        var started = Now;
        await using var db = factory.CreateForTenant(tenantId);
        var claimed = await db.ImportJobs.Where(j => j.Id == jobId && j.Status == ImportJobStatus.Queued && j.Payload != null)
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, ImportJobStatus.Running).SetProperty(j => j.StartedAt, started), ct);
        if (claimed == 0)
        {
            // Already run (or running) elsewhere, expired, or gone. A job left running by an instance that died is
            // failed once its lease-long time is well past: its import was one transaction, so nothing was written.
            await FailInterruptedAsync(db, jobId, ct);
            return (await db.ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct))?.Status;
        }
        var job = await db.ImportJobs.AsNoTracking().FirstAsync(j => j.Id == jobId, ct);
        var payload = JsonSerializer.Deserialize<ImportJobPayload>(job.Payload!, Json)!;
        var mine = db.ImportJobs.Where(j => j.Id == jobId && j.Status == ImportJobStatus.Running);
        using var culture = UiCulture(payload.Culture);
        try
        {
            var actor = await ActorAsync(tenantId, job.CreatedBy, ct);
            var request = payload.ToRequest();
            await mine.ExecuteUpdateAsync(u => u.SetProperty(j => j.Phase, ImportPhase.Analysing).SetProperty(j => j.Done, 0).SetProperty(j => j.Total, job.Rows), ct);
            var analysis = await import.AnalyseAsync(actor, request, ct);
            if (!analysis.IsValid)
            {
                var errors = analysis.Errors.ToList();
                await Finish(mine, errors, errors.Count, Now, ct, analysis.Rows.Count);
                return ImportJobStatus.Failed;
            }
            var toWrite = analysis.Creates + analysis.Updates;
            await mine.ExecuteUpdateAsync(u => u.SetProperty(j => j.Phase, ImportPhase.Writing).SetProperty(j => j.Done, 0).SetProperty(j => j.Total, toWrite)
                .SetProperty(j => j.Skipped, analysis.Skips), ct);
            var progress = new JobProgress(factory, tenantId, jobId);
            var result = await import.RunAsync(actor, analysis, ct, progress);
            await progress.DrainAsync();
            if (!result.Succeeded)
            {
                await Finish(mine, result.Errors, result.Errors.Count, Now, ct);
                return ImportJobStatus.Failed;
            }
            var finished = Now;
            await mine.ExecuteUpdateAsync(u => u
                .SetProperty(j => j.Status, ImportJobStatus.Succeeded).SetProperty(j => j.Phase, ImportPhase.Finished)
                .SetProperty(j => j.Done, toWrite).SetProperty(j => j.Total, toWrite)
                .SetProperty(j => j.Created, result.Created).SetProperty(j => j.Updated, result.Updated).SetProperty(j => j.Skipped, result.Skipped)
                .SetProperty(j => j.BatchId, result.BatchId).SetProperty(j => j.FinishedAt, finished).SetProperty(j => j.Payload, (string?)null), CancellationToken.None);
            return ImportJobStatus.Succeeded;
        }
        catch (Exception e) when (e is ForbiddenException or ImportMappingException or ArgumentException)
        {
            var errors = e is ImportMappingException m
                ? m.Errors.ByField.SelectMany(f => f.Value.Select(msg => new ImportError(0, f.Key, msg))).ToList()
                : [new ImportError(0, ImportService.RowKey, e.Message)];
            await Finish(mine, errors, errors.Count, Now, CancellationToken.None);
            return ImportJobStatus.Failed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await Finish(mine, [new ImportError(0, ImportService.RowKey, t["Import.JobInterrupted"])], 1, Now, CancellationToken.None);
            throw;
        }
    }

    private async Task FailInterruptedAsync(CrmDbContext db, Guid jobId, CancellationToken ct)
    {
        var before = Now - TimeSpan.FromHours(1);
        await Finish(db.ImportJobs.Where(j => j.Id == jobId && j.Status == ImportJobStatus.Running && j.StartedAt < before),
            [new ImportError(0, ImportService.RowKey, t["Import.JobInterrupted"])], 1, Now, ct);
    }

    private Task<int> Finish(IQueryable<ImportJob> job, IReadOnlyList<ImportError> errors, int count, DateTime at, CancellationToken ct, int? total = null)
    {
        var kept = JsonSerializer.Serialize(errors.Take(options.Value.JobErrorLimit), Json);
        return job.ExecuteUpdateAsync(u => u
            .SetProperty(j => j.Status, ImportJobStatus.Failed).SetProperty(j => j.Phase, ImportPhase.Finished)
            .SetProperty(j => j.Done, j => total ?? j.Done)
            .SetProperty(j => j.ErrorCount, count).SetProperty(j => j.Errors, kept)
            .SetProperty(j => j.FinishedAt, at).SetProperty(j => j.Payload, (string?)null), ct);
    }

    /// <summary>The person who queued the job, as they are now: a member no more, and the job fails.</summary>
    private async Task<Actor> ActorAsync(Guid tenantId, Guid userId, CancellationToken ct)
    {
        var tenant = await tenants.GetByIdAsync(tenantId, ct) ?? throw new ForbiddenException(MemberRole.Member, noLongerMember: true);
        await using var global = factory.CreateGlobal();
        var member = await global.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && m.UserId == userId)
            .Select(m => new { m.Role, m.User!.DisplayName, m.User.Email }).FirstOrDefaultAsync(ct);
        if (member is null) throw new ForbiddenException(MemberRole.Member, noLongerMember: true);
        return new Actor(userId, string.IsNullOrWhiteSpace(member.DisplayName) ? member.Email ?? "" : member.DisplayName, tenant, member.Role);
    }

    private static CultureScope UiCulture(string? name) => new(name);

    private sealed class CultureScope : IDisposable
    {
        private readonly CultureInfo _before = CultureInfo.CurrentUICulture;

        public CultureScope(string? name)
        {
            if (!string.IsNullOrEmpty(name)) CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(name);
        }

        public void Dispose() => CultureInfo.CurrentUICulture = _before;
    }

    /// <summary>
    /// Writes the latest progress to the job's row on a connection of its own, one write at a time (a report that
    /// comes while a write is under way is folded into the next). On SQLite the import's transaction holds the only
    /// write lock, so progress inside it is not written there (the phases before and after are).
    /// </summary>
    private sealed class JobProgress(ICrmDbContextFactory factory, Guid tenantId, Guid jobId) : IProgress<ImportProgress>
    {
        private readonly Lock _lock = new();
        private ImportProgress? _pending;
        private Task _writing = Task.CompletedTask;

        public void Report(ImportProgress value)
        {
            if (factory.Provider != DatabaseProvider.Postgres || value.Phase != ImportPhase.Writing) return;
            lock (_lock)
            {
                _pending = value;
                if (_writing.IsCompleted) _writing = Task.Run(WriteAsync);
            }
        }

        public async Task DrainAsync()
        {
            Task writing;
            lock (_lock) writing = _writing;
            try { await writing; } catch (Exception) { /* progress is best effort; the outcome is written next */ }
        }

        private async Task WriteAsync()
        {
            while (true)
            {
                ImportProgress? p;
                lock (_lock) { p = _pending; _pending = null; }
                if (p is null) return;
                await using var db = factory.CreateForTenant(tenantId);
                await db.ImportJobs.Where(j => j.Id == jobId && j.Status == ImportJobStatus.Running)
                    .ExecuteUpdateAsync(u => u.SetProperty(j => j.Done, p.Done).SetProperty(j => j.Total, p.Total));
            }
        }
    }
}
