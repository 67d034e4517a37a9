using System.Text.Json.Nodes;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Crm.Core.Import;

public enum DuplicateAction
{
    /// <summary>Keep the existing record (or the file's first row); leave this row out.</summary>
    Skip,
    /// <summary>Write the row's values into the existing record.</summary>
    Update,
    /// <summary>Create a new record anyway.</summary>
    Create,
}

/// <summary>Rows are duplicates when all <see cref="Fields"/> match, normalised (<see cref="DuplicateKeys"/>).</summary>
public sealed record DuplicateRule(IReadOnlyList<string> Fields, DuplicateAction Action);

/// <summary>An import as the person set it up: the file's rows, the mapping, the duplicate rule, whether rules fire.</summary>
public sealed record ImportRequest(string EntityKey, ImportTable Table, ImportMapping Mapping, DuplicateRule? Duplicates = null, bool FireAutomation = true)
{
    /// <summary>The uploaded file's name, kept with the batch.</summary>
    public string FileName { get; init; } = "";
}

public enum RowOutcome { Create, Update, Skip, Error }

/// <summary>A problem with one row: the 1-based data row (the file's line is one more, after the header), the field key (or "_row") and the message.</summary>
public sealed record ImportError(int Row, string Field, string Message);

/// <summary>How far an analysis or a run has come: <paramref name="Done"/> of <paramref name="Total"/> rows in <paramref name="Phase"/>.</summary>
public sealed record ImportProgress(ImportPhase Phase, int Done, int Total);

/// <summary>The phases of an import a progress bar shows.</summary>
public enum ImportPhase { Analysing, Writing, Finished }

/// <summary>One data row as it will be stored: the parsed values, what happens to it and why.</summary>
public sealed record ImportRow(int Row, RowOutcome Outcome, JsonObject Values, Guid? ExistingId, IReadOnlyList<ImportError> Errors)
{
    /// <summary>The validated write; let go once its batch is saved (<see cref="ImportService.RunAsync"/>), so a run does not keep every record to the end.</summary>
    internal RecordDraft? Draft { get; set; }
}

/// <summary>The validation pass over every row, before anything is written.</summary>
public sealed class ImportAnalysis
{
    internal ImportAnalysis(EntityMeta entity, ImportRequest request, IReadOnlyList<ImportRow> rows) => (Entity, Request, Rows) = (entity, request, rows);

    public EntityMeta Entity { get; }
    public ImportRequest Request { get; }
    public IReadOnlyList<ImportRow> Rows { get; }
    public IEnumerable<ImportError> Errors => Rows.SelectMany(r => r.Errors);
    public bool IsValid => Rows.All(r => r.Outcome != RowOutcome.Error);
    public int Creates => Rows.Count(r => r.Outcome == RowOutcome.Create);
    public int Updates => Rows.Count(r => r.Outcome == RowOutcome.Update);
    public int Skips => Rows.Count(r => r.Outcome == RowOutcome.Skip);
    public int ErrorRows => Rows.Count(r => r.Outcome == RowOutcome.Error);

    /// <summary>A run has started writing from this analysis and let its drafts go: running it again analyses again.</summary>
    internal bool Spent { get; set; }
}

/// <summary>What an import did.</summary>
public sealed record ImportResult(bool Succeeded, int Created, int Updated, int Skipped, IReadOnlyList<ImportError> Errors, IReadOnlyList<Guid> CreatedIds, Guid? BatchId = null);

/// <summary>What undoing an import did, or why it could not (<see cref="Problem"/>, in the UI language).</summary>
public sealed record UndoResult(bool Succeeded, int Deleted, int Restored, string? Problem);

/// <summary>
/// Imports rows into an entity type through the record writer — the form's own validation, history, unique values,
/// events and (optionally) automation. Two passes: <see cref="AnalyseAsync"/> parses every row
/// (<see cref="ImportValueParsers"/>), finds duplicates within the file and against existing records (in SQL, a
/// chunk of keys at a time) and validates each row as the form would, writing nothing; <see cref="RunAsync"/>
/// writes only an analysis without errors, all rows in one transaction (a failure leaves nothing written).
/// Rights are checked on the server with the actor's current rights: create on the entity type (and edit, for
/// updates); a hidden or read-only field cannot be mapped.
/// </summary>
public sealed class ImportService(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock, RecordEvents events,
    IAccessResolver access, AuditTrail audit, Automation.AutomationEngine automation, RecordService records, IOptions<ImportOptions> options)
{
    public const string RowKey = "_row";
    private const int Chunk = 500;

    /// <summary>The input an import's drafts keep: what applying a draft reads of it (version, rank) is what an import sets (nothing).</summary>
    private static readonly RecordInput AppliedInput = new([]);

    public ImportOptions Options => options.Value;

    /// <summary>Reads an uploaded file; a file that cannot be read is an <see cref="ImportFileException"/> (see <see cref="Message"/>).</summary>
    public Task<ImportTable> ReadAsync(Stream stream, string fileName, string? encoding = null, CancellationToken ct = default)
        => ImportFileReader.ReadAsync(stream, fileName, options.Value, encoding, ct);

    /// <summary>The message of a file problem in the current UI language.</summary>
    public string Message(ImportFileException e) => t[e.Key, e.Args];

    /// <summary>The suggested mapping for the file's header, as this actor may import.</summary>
    public async Task<ImportMapping> SuggestAsync(Actor actor, string entityKey, IReadOnlyList<string> header, CancellationToken ct = default)
    {
        var entity = (await metadataStore.GetAsync(actor.TenantId, ct)).Entity(entityKey) ?? throw new ArgumentException($"No entity type {entityKey}.", nameof(entityKey));
        return ImportMappingSuggester.Suggest(await access.FieldViewAsync(actor, entity, ct), header);
    }

    /// <summary>Saves (or replaces, by name) a mapping for reuse: header texts, normalised, to field keys.</summary>
    public async Task<ImportMappingPreset> SaveMappingAsync(Actor actor, string entityKey, string name, IReadOnlyList<string> header, ImportMapping mapping, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey) ?? throw new ArgumentException($"No entity type {entityKey}.", nameof(entityKey));
        name = string.IsNullOrWhiteSpace(name) ? entity.Entity.Label.Get() : name.Trim();
        if (name.Length > 100) name = name[..100];
        var preset = await db.ImportMappingPresets.FirstOrDefaultAsync(p => p.EntityTypeId == entity.Entity.Id && p.Name == name, ct);
        if (preset is null) db.ImportMappingPresets.Add(preset = new ImportMappingPreset { EntityTypeId = entity.Entity.Id, Name = name, CreatedBy = actor.UserId });
        preset.Columns = mapping.Columns.Where(c => c.Key < header.Count && ImportMappingSuggester.Normalise(header[c.Key]).Length > 0)
            .GroupBy(c => ImportMappingSuggester.Normalise(header[c.Key])).ToDictionary(g => g.Key, g => g.First().Value);
        preset.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return preset;
    }

    /// <summary>The saved mappings of an entity type, by name.</summary>
    public async Task<IReadOnlyList<ImportMappingPreset>> MappingsAsync(Actor actor, string entityKey, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return [];
        return await db.ImportMappingPresets.AsNoTracking().Where(p => p.EntityTypeId == entity.Entity.Id).OrderBy(p => p.Name).ToListAsync(ct);
    }

    /// <summary>A saved mapping applied to a file's header: columns whose normalised header it knows, if the actor may still write the field.</summary>
    public async Task<ImportMapping> ApplyMappingAsync(Actor actor, string entityKey, ImportMappingPreset preset, IReadOnlyList<string> header, CancellationToken ct = default)
    {
        var columns = new Dictionary<int, string>();
        for (var i = 0; i < header.Count; i++)
            if (preset.Columns.TryGetValue(ImportMappingSuggester.Normalise(header[i]), out var key)) columns[i] = key;
        var entity = (await metadataStore.GetAsync(actor.TenantId, ct)).Entity(entityKey) ?? throw new ArgumentException($"No entity type {entityKey}.", nameof(entityKey));
        return ImportMappingSuggester.Suggest(await access.FieldViewAsync(actor, entity, ct), header, new ImportMapping(columns));
    }

    public async Task<ImportAnalysis> AnalyseAsync(Actor actor, ImportRequest request, CancellationToken ct = default)
    {
        var started = WriteProfile.Start();
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var entity = metadata.Entity(request.EntityKey);
        if (entity is null || entity.Entity.IsArchived) throw new ArgumentException($"No entity type {request.EntityKey}.", nameof(request));
        var fields = await access.FieldViewAsync(actor, entity, ct);
        var label = entity.Entity.Label.Get();
        if (!fields.Access.CanCreate) throw new ForbiddenException(t["Record.CannotCreate", label]);
        if (request.Duplicates is { Action: DuplicateAction.Update } && fields.Access.Edit.IsNone) throw new ForbiddenException(t["Import.CannotUpdate", label]);

        var mapping = CheckMapping(request, entity, fields);
        var lookups = await LookupsAsync(db, actor, metadata, entity, request, mapping, ct);
        var writer = new RecordWriter(db, metadata, actor, t, clock) { Access = access };
        WriteProfile.Stop("analyse: 0 setup (rights, mapping, members, lookups)", started);

        // 1. Cells → values.
        started = WriteProfile.Start();
        var profile = WriteProfile.Enabled;
        var cellTicks = profile ? new long[mapping.Count] : null;
        var parsers = mapping.Select(m => ImportValueParsers.Column(new FieldContext(m.Field, entity), lookups)).ToArray();
        var parsed = new List<(int Row, JsonObject Values, List<ImportError> Errors)>(request.Table.Rows.Count);
        for (var i = 0; i < request.Table.Rows.Count; i++)
        {
            var cells = request.Table.Rows[i];
            var values = new JsonObject();
            var errors = new List<ImportError>();
            for (var m = 0; m < mapping.Count; m++)
            {
                var (column, field) = mapping[m];
                var cellStarted = profile ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                var cell = parsers[m](column < cells.Length ? cells[column] : null);
                if (cell.Failed) errors.Add(new ImportError(i + 1, field.Key, t[cell.ErrorKey!, cell.Args ?? []]));
                else values[field.Key] = cell.Value;
                if (profile) cellTicks![m] += System.Diagnostics.Stopwatch.GetTimestamp() - cellStarted;
            }
            parsed.Add((i + 1, values, errors));
        }
        if (profile)
            for (var m = 0; m < mapping.Count; m++)
                WriteProfile.Add($"analyse: 1 parse {mapping[m].Field.Type} ({mapping[m].Field.Key})", cellTicks![m] * 1000d / System.Diagnostics.Stopwatch.Frequency, parsed.Count);
        WriteProfile.Stop("analyse: 1 parse cells (all)", started, parsed.Count);

        // 2. Duplicates within the file and against existing records.
        var outcomes = new (RowOutcome Outcome, Guid? Existing)[parsed.Count];
        if (request.Duplicates is { Fields.Count: > 0 } rule)
        {
            started = WriteProfile.Start();
            var ruleFields = rule.Fields.Select(k => entity.Field(k)).OfType<FieldDefinition>().ToList();
            var keys = parsed.Select(p => DuplicateKeys.Key(ruleFields, p.Values)).ToList();
            WriteProfile.Stop("analyse: 2 duplicate keys", started, parsed.Count);
            started = WriteProfile.Start();
            var existing = await DuplicateKeys.FindExistingAsync(db, entity, fields.Access, ruleFields, keys.OfType<string>().Distinct().ToList(), ct);
            WriteProfile.Stop("analyse: 2 duplicates in the database", started);
            started = WriteProfile.Start();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < parsed.Count; i++)
            {
                if (keys[i] is not { } key) continue;
                var inFile = !seen.Add(key);
                if (existing.TryGetValue(key, out var id))
                    outcomes[i] = rule.Action switch
                    {
                        DuplicateAction.Update when !inFile => (RowOutcome.Update, id),
                        DuplicateAction.Create => (RowOutcome.Create, null),
                        _ => (RowOutcome.Skip, id),
                    };
                else if (inFile && rule.Action != DuplicateAction.Create) outcomes[i] = (RowOutcome.Skip, null);
            }
            WriteProfile.Stop("analyse: 2 duplicate outcomes", started, parsed.Count);
        }

        // 3. Each row validated as the form validates it (reads only); unique values looked up ahead, a chunk at a time.
        started = WriteProfile.Start();
        await writer.PreloadUniqueAsync(entity, parsed.Where((p, i) => p.Errors.Count == 0 && outcomes[i].Outcome != RowOutcome.Skip).Select(p => p.Values).ToList(), ct);
        WriteProfile.Stop("analyse: 3 preload unique values", started);
        var validateStarted = WriteProfile.Start();
        var rows = new List<ImportRow>(parsed.Count);
        for (var i = 0; i < parsed.Count; i++)
        {
            var (row, values, errors) = parsed[i];
            var (outcome, existingId) = outcomes[i];
            if (errors.Count > 0) { rows.Add(new ImportRow(row, RowOutcome.Error, values, existingId, errors)); continue; }
            if (outcome == RowOutcome.Skip) { rows.Add(new ImportRow(row, outcome, values, existingId, [])); continue; }
            try
            {
                // The parsed values are the input as they are (not a copy): validation only reads an input, and
                // they are kept only for a row that fails, whose draft is dropped.
                var input = new RecordInput(values);
                var draft = outcome == RowOutcome.Update ? await writer.PrepareUpdateAsync(existingId!.Value, input, ct) : await writer.PrepareCreateAsync(entity.Key, input, ct);
                if (!draft.Succeeded)
                {
                    var rowErrors = draft.Errors.ByField.SelectMany(e => e.Value.Select(m => new ImportError(row, e.Key == RecordWriter.RecordErrorKey ? RowKey : e.Key, m))).ToList();
                    rows.Add(new ImportRow(row, RowOutcome.Error, values, existingId, rowErrors));
                }
                // The draft without the parsed input: applying it reads only the input's version and rank (neither
                // set by an import), and the parsed values need not live until the run.
                else rows.Add(new ImportRow(row, outcome, draft.Values, existingId, []) { Draft = draft with { Input = AppliedInput } });
            }
            catch (ForbiddenException e)
            {
                rows.Add(new ImportRow(row, RowOutcome.Error, values, existingId, [new ImportError(row, RowKey, e.Message)]));
            }
            catch (RecordConflictException)
            {
                rows.Add(new ImportRow(row, RowOutcome.Error, values, existingId, [new ImportError(row, RowKey, t["Record.NotFound"])]));
            }
        }
        WriteProfile.Stop("analyse: 4 validate rows (all)", validateStarted, rows.Count);
        return new ImportAnalysis(entity, request, rows);
    }

    /// <summary>
    /// Writes an analysed import: nothing when any row has an error; else every create and update in one
    /// transaction (saved in batches of <see cref="ImportOptions.WriteBatch"/>), audited, then events and — unless
    /// the person chose not to — automation rules, after the commit.
    /// </summary>
    public async Task<ImportResult> RunAsync(Actor actor, ImportAnalysis analysis, CancellationToken ct = default, IProgress<ImportProgress>? progress = null)
    {
        if (!analysis.IsValid) return new ImportResult(false, 0, 0, 0, analysis.Errors.ToList(), []);
        // A run lets each batch's drafts go once saved; another run of the same analysis (after a failed one)
        // validates the file again against the records as they are now.
        if (analysis.Spent)
        {
            analysis = await AnalyseAsync(actor, analysis.Request, ct);
            if (!analysis.IsValid) return new ImportResult(false, 0, 0, 0, analysis.Errors.ToList(), []);
        }
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var writer = new RecordWriter(db, metadata, actor, t, clock) { Access = access, KeepWrites = analysis.Request.FireAutomation, StageNewRows = true };
        var created = new List<Guid>();
        var updated = 0;
        var batch = new ImportBatch
        {
            EntityTypeId = analysis.Entity.Entity.Id, FileName = analysis.Request.FileName.Length > 260 ? analysis.Request.FileName[..260] : analysis.Request.FileName,
            CreatedBy = actor.UserId, CreatedAt = clock.GetUtcNow().UtcDateTime, Skipped = analysis.Skips,
        };
        db.ImportBatches.Add(batch);
        var todo = analysis.Rows.Where(r => r.Draft is not null).ToList();
        analysis.Spent = true;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            // A batch at a time through the writer's batch path: every row gets the form's pipeline (history, unique
            // values, webhook outbox, every write step), the batch's rows are saved together (COPY on PostgreSQL)
            // and the change tracker starts empty again. One transaction for all: a failing batch leaves nothing.
            foreach (var chunk in todo.Chunk(Math.Max(1, options.Value.WriteBatch)))
            {
                IReadOnlyList<RecordResult> results;
                var started = WriteProfile.Start();
                try { results = await writer.ApplyManyAsync(chunk.Select(r => r.Draft!).ToList(), ct); }
                catch (Exception e) when (e is RecordStaleException or RecordConflictException)
                {
                    var row = chunk.FirstOrDefault(r => r.ExistingId == ((e as RecordStaleException)?.Current?.Id ?? (e as RecordConflictException)?.Current?.Id)) ?? chunk[0];
                    return new ImportResult(false, 0, 0, 0, [new ImportError(row.Row, RowKey, t["Import.ChangedMeanwhile"])], []);
                }
                WriteProfile.Stop("run: apply (client pipeline)", started, chunk.Length);
                started = WriteProfile.Start();
                for (var i = 0; i < chunk.Length; i++)
                {
                    var (row, result) = (chunk[i], results[i]);
                    if (!result.Succeeded) return new ImportResult(false, 0, 0, 0, result.Errors.ByField.SelectMany(e => e.Value.Select(m => new ImportError(row.Row, e.Key, m))).ToList(), []);
                    if (row.Outcome == RowOutcome.Create) created.Add(result.Record!.Id); else updated++;
                    // The before-image of an update (null for a created record): what undo restores.
                    writer.StageNew(new ImportBatchItem { BatchId = batch.Id, RecordId = result.Record!.Id, Before = row.Outcome == RowOutcome.Create ? null : row.Draft!.Before.ToJsonString() });
                }
                WriteProfile.Stop("run: undo items", started, chunk.Length);
                started = WriteProfile.Start();
                try { await writer.SaveBatchAsync(ct); }
                catch (DbUpdateException e) when (UniqueValuesStep.IsViolation(e))
                {
                    return new ImportResult(false, 0, 0, 0, [new ImportError(0, RowKey, t["Import.UniqueMeanwhile"])], []);
                }
                catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation && e.TableName == "record_unique_values")
                {
                    return new ImportResult(false, 0, 0, 0, [new ImportError(0, RowKey, t["Import.UniqueMeanwhile"])], []);
                }
                WriteProfile.Stop("run: save batch", started, chunk.Length);
                // Saved: the batch's records, values and before-images need not be held while the next batches are
                // written (each garbage collection would mark them all again).
                foreach (var row in chunk) row.Draft = null;
                progress?.Report(new ImportProgress(ImportPhase.Writing, created.Count + updated, todo.Count));
            }
            if (db.Entry(batch).State == EntityState.Detached) db.ImportBatches.Attach(batch); // saved with the first batch, then cleared
            batch.Created = created.Count;
            batch.Updated = updated;
            var details = new JsonObject { ["batch"] = batch.Id.ToString(), ["entity"] = analysis.Entity.Key, ["created"] = created.Count, ["updated"] = updated, ["skipped"] = analysis.Skips, ["rows"] = analysis.Rows.Count };
            audit.Stage(db, actor, new AuditEvent(AuditActions.RecordsImported, AuditActions.Targets.EntityType, analysis.Entity.Entity.Id.ToString(), analysis.Entity.Entity.PluralLabel.Get(), details));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (UniqueValuesStep.IsViolation(e))
            {
                return new ImportResult(false, 0, 0, 0, [new ImportError(0, RowKey, t["Import.UniqueMeanwhile"])], []);
            }
            await tx.CommitAsync(ct);
        }
        foreach (var e in writer.Events) events.Publish(e);
        if (analysis.Request.FireAutomation) await automation.AfterCommitAsync(actor, metadata, writer.Writes, ct);
        progress?.Report(new ImportProgress(ImportPhase.Finished, created.Count + updated, created.Count + updated));
        return new ImportResult(true, created.Count, updated, analysis.Skips, [], created, batch.Id);
    }

    /// <summary>The person's (or, for admins, everyone's) imports into <paramref name="entityKey"/>, newest first.</summary>
    public async Task<IReadOnlyList<ImportBatch>> BatchesAsync(Actor actor, string entityKey, int take = 20, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null) return [];
        var query = db.ImportBatches.AsNoTracking().Where(b => b.EntityTypeId == entity.Entity.Id);
        if (!actor.CanAdminister) query = query.Where(b => b.CreatedBy == actor.UserId);
        return await query.OrderByDescending(b => b.CreatedAt).Take(take).ToListAsync(ct);
    }

    /// <summary>Whether <paramref name="batch"/> can still be undone by <paramref name="actor"/>.</summary>
    public bool CanUndo(Actor actor, ImportBatch batch)
        => batch.State == ImportBatchState.Completed && (batch.CreatedBy == actor.UserId || actor.CanAdminister)
           && clock.GetUtcNow().UtcDateTime - batch.CreatedAt <= options.Value.UndoWindow;

    /// <summary>
    /// Undoes an import within <see cref="ImportOptions.UndoWindow"/>, by its importer or an admin: the records it
    /// created are deleted through the record service's delete (lookups to them cleared, events, within the actor's
    /// delete scope), then the records it updated get their values from before the import back (a system rewrite:
    /// history and a new version), and the batch is marked undone, in one transaction with its audit entry.
    /// </summary>
    public async Task<UndoResult> UndoAsync(Actor actor, Guid batchId, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        ImportBatch? batch;
        List<Guid> createdIds;
        await using (var read = factory.CreateForTenant(actor.TenantId))
        {
            batch = await read.ImportBatches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == batchId, ct);
            if (batch is null || (batch.CreatedBy != actor.UserId && !actor.CanAdminister)) return new UndoResult(false, 0, 0, t["Import.UndoNotFound"]);
            if (batch.State == ImportBatchState.Undone) return new UndoResult(false, 0, 0, t["Import.AlreadyUndone"]);
            if (!CanUndo(actor, batch)) return new UndoResult(false, 0, 0, t["Import.UndoExpired", options.Value.UndoWindow.Days]);
            createdIds = await read.ImportBatchItems.AsNoTracking().Where(i => i.BatchId == batchId && i.Before == null).Select(i => i.RecordId).ToListAsync(ct);
        }

        var deleted = 0;
        foreach (var chunk in createdIds.Chunk(Chunk)) deleted += await records.DeleteAsync(actor, chunk, ct);

        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var writer = new RecordWriter(db, metadata, actor, t, clock);
        var restored = 0;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var updates = await db.ImportBatchItems.AsNoTracking().Where(i => i.BatchId == batchId && i.Before != null).ToListAsync(ct);
            foreach (var chunk in updates.Chunk(Chunk))
            {
                var ids = chunk.Select(i => i.RecordId).ToList();
                var tracked = await db.Records.Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
                foreach (var item in chunk)
                {
                    if (!tracked.TryGetValue(item.RecordId, out var record)) continue;
                    var before = RecordWriter.ParseValues(item.Before!);
                    if (await writer.RewriteAsync(record, (_, values) =>
                        {
                            var changed = false;
                            foreach (var key in values.Select(p => p.Key).Union(before.Select(p => p.Key)).ToList())
                            {
                                if (JsonNode.DeepEquals(values[key], before[key])) continue;
                                values[key] = before[key]?.DeepClone();
                                changed = true;
                            }
                            return changed;
                        }, "import-undone", ct: ct)) restored++;
                }
                await db.SaveChangesAsync(ct);
            }
            var tracked2 = await db.ImportBatches.FirstAsync(b => b.Id == batchId, ct);
            tracked2.State = ImportBatchState.Undone;
            tracked2.UndoneAt = clock.GetUtcNow().UtcDateTime;
            tracked2.UndoneBy = actor.UserId;
            var entity = metadata.Entity(batch.EntityTypeId);
            audit.Stage(db, actor, new AuditEvent(AuditActions.ImportUndone, AuditActions.Targets.EntityType, batch.EntityTypeId.ToString(), entity?.Entity.PluralLabel.Get(),
                new JsonObject { ["batch"] = batchId.ToString(), ["deleted"] = deleted, ["restored"] = restored }));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        foreach (var e in writer.Events) events.Publish(e);
        return new UndoResult(true, deleted, restored, null);
    }


    /// <summary>The mapped columns as fields: each must be a field the actor sees and may write, of an importable type, mapped once.</summary>
    private List<(int Column, FieldDefinition Field)> CheckMapping(ImportRequest request, EntityMeta entity, EntityFieldView fields)
    {
        var errors = new Accounts.ValidationErrors();
        var result = new List<(int, FieldDefinition)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (column, key) in request.Mapping.Columns.OrderBy(c => c.Key))
        {
            var path = $"mapping/{column}";
            var field = fields.Field(key);
            if (column < 0 || column >= request.Table.Header.Count) errors.Add(path, t["Import.NoSuchColumn", column + 1]);
            else if (field is null || field.IsArchived) errors.Add(path, t["Import.UnknownField", key]);
            else if (field.Type == FieldTypes.Subform) errors.Add(path, t["Validation.SubformImport", field.Label.Get()]); // rows are not read from one cell in this pass
            else if (FieldTypeRegistry.Get(field.Type) is Fields.Types.FileFieldBase) errors.Add(path, t["Validation.FileImport", field.Label.Get()]); // files are uploaded, not named in a cell
            else if (!fields.CanWrite(key) || !ImportValueParsers.CanImport(field.Type)) errors.Add(path, t["Import.ReadOnlyField", field.Label.Get()]);
            else if (!used.Add(key)) errors.Add(path, t["Import.MappedTwice", field.Label.Get()]);
            else result.Add((column, field));
        }
        if (result.Count == 0 && errors.IsEmpty) errors.Add("mapping", t["Import.NothingMapped"]);
        if (!errors.IsEmpty) throw new ImportMappingException(errors);
        return result;
    }

    /// <summary>Members by name and e-mail; for each mapped lookup, the target records whose title or unique text value appears in the file (chunks of keys, in SQL).</summary>
    private async Task<ImportLookups> LookupsAsync(CrmDbContext db, Actor actor, TenantMetadata metadata, EntityMeta entity, ImportRequest request, List<(int Column, FieldDefinition Field)> mapping, CancellationToken ct)
    {
        var lookups = new ImportLookups();
        if (mapping.Any(m => m.Field.Type == "member"))
        {
            await using var global = factory.CreateGlobal();
            foreach (var m in await global.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId).Select(m => new { m.UserId, m.User!.DisplayName, m.User.Email }).ToListAsync(ct))
                lookups.AddMember(m.UserId, m.DisplayName, m.Email);
        }
        if (mapping.Any(m => m.Field.Type == FieldTypes.Department))
            lookups.AddDepartments((await db.Departments.AsNoTracking().Select(d => new { d.Id, d.Name, d.ParentId }).ToListAsync(ct)).Select(d => (d.Id, d.Name, d.ParentId)));
        foreach (var (column, field) in mapping.Where(m => m.Field.Type == "lookup"))
        {
            if (metadata.Entity(field.Settings.Target ?? "") is not { } target) continue;
            var texts = request.Table.Rows.Select(r => column < r.Length ? r[column].Trim() : "").Where(s => s.Length > 0 && !Guid.TryParse(s, out _)).Distinct().ToList();
            var typeId = target.Entity.Id;
            var uniqueKeys = target.Fields.Where(f => f.Settings.Unique && f.Type is "text" or "email" or "phone" && f.Key != target.Entity.TitleFieldKey).Select(f => f.Key).ToList();
            foreach (var chunk in texts.Chunk(Chunk))
            {
                var lower = chunk.Select(s => s.ToLowerInvariant()).ToList();
                foreach (var r in await db.Records.AsNoTracking().Where(r => r.EntityTypeId == typeId && lower.Contains(r.Title.ToLower())).Select(r => new { r.Id, r.Title }).ToListAsync(ct))
                    lookups.AddRecord(target.Key, r.Title, r.Id);
                foreach (var key in uniqueKeys)
                    foreach (var r in await db.Records.AsNoTracking().Where(r => r.EntityTypeId == typeId && lower.Contains(JsonSql.Text(r.Values, EF.Constant(key))!.ToLower()))
                                 .Select(r => new { r.Id, Value = JsonSql.Text(r.Values, EF.Constant(key)) }).ToListAsync(ct))
                        lookups.AddRecord(target.Key, r.Value, r.Id);
            }
        }
        return lookups;
    }
}

/// <summary>A mapping that cannot be used: errors keyed by <c>mapping/{column}</c>.</summary>
public sealed class ImportMappingException(Accounts.ValidationErrors errors) : Exception("The column mapping is not valid.")
{
    public Accounts.ValidationErrors Errors { get; } = errors;
}
