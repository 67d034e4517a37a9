using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using NJsonSchema.Validation;

namespace Crm.Core.Records;

/// <summary>
/// The one place that changes records. Every write — a form, the API, a bulk edit, template sample data, a designer
/// rewrite, a lookup cleared by a delete — goes through the same pipeline:
/// <list type="number">
/// <item><b>validate</b> (<see cref="PrepareCreateAsync"/>/<see cref="PrepareUpdateAsync"/>, user writes only): normalise the input,
/// check it against the JSON Schema and the rules a schema cannot express (lookups, members, unique values, stage of
/// the right pipeline). Reads only, so callers run it before they open the write transaction;</item>
/// <item><b>compute</b>: auto-numbers (new records) and formulas;</item>
/// <item><b>project</b> the typed columns (title, owner, amount, close date, status, pipeline, stage, search text);</item>
/// <item><b>history</b>: stage and status transitions, the version, the timeline entry (<see cref="RecordChange"/>);</item>
/// <item>the <see cref="IRecordWriteStep"/>s, in order (unique values, the webhook outbox), all inside the caller's transaction;</item>
/// <item>after the caller commits, <see cref="Events"/> are published on <see cref="RecordEvents"/>.</item>
/// </list>
/// <see cref="RecordWriteMode.System"/> rewrites (<see cref="RewriteAsync"/>) skip the validation only; the rest is the
/// same code. An architecture test fails when anything else assigns <see cref="Record.Values"/>.
/// </summary>
public sealed class RecordWriter
{
    public const string RecordErrorKey = "_record";

    private readonly CrmDbContext db;
    private readonly TenantMetadata metadata;
    private readonly Actor actor;
    private readonly IStringLocalizer<CoreStrings> t;
    private readonly TimeProvider clock;
    private readonly IReadOnlyList<IRecordWriteStep> steps;
    private readonly List<RecordEvent> events = [];
    private readonly List<RecordWrite> writes = [];
    private readonly Dictionary<Guid, EntityFieldView> fieldViews = [];
    private readonly Dictionary<Guid, Permissions.EntityAccess> rightsByEntity = [];
    private readonly HashSet<Guid> knownMembers = [];
    /// <summary>Records written by this writer and not saved yet (values as written), so that roll-ups over them see this write.</summary>
    private readonly Dictionary<Guid, (Guid EntityTypeId, JsonObject Values)> writtenValues = [];
    private int rollupDepth;
    /// <summary>Per entity type key: the roll-up formulas (of any entity type) that read its records.</summary>
    private readonly Dictionary<string, List<(EntityMeta Parent, FormulaExpression.RollupReference Rollup)>> rollupsOver = new(StringComparer.Ordinal);
    private readonly HashSet<Guid> knownDepartments = [];
    private readonly Dictionary<Guid, Guid> knownRecords = [];
    /// <summary>Unique values looked up ahead for many rows (<see cref="PreloadUniqueAsync"/>): (entity type, field, hash) → the record holding it, or null when free.</summary>
    private readonly Dictionary<(Guid, string, string), Guid?> uniqueAhead = [];
    /// <summary>
    /// How the title displays its field (是/否, option labels): in the workspace's default culture with its words,
    /// whoever writes, so the stored title does not depend on the writer's language (made once per writer).
    /// </summary>
    private DisplayContext? titleDisplay;

    /// <param name="webhooks">
    /// The webhook outbox step, when several writers share one unit of work (the rules of one save share one read of
    /// the enabled webhooks); else a new one.
    /// </param>
    public RecordWriter(CrmDbContext db, TenantMetadata metadata, Actor actor, IStringLocalizer<CoreStrings> t, TimeProvider clock, IEnumerable<IRecordWriteStep>? steps = null,
        Crm.Core.Webhooks.WebhookOutboxStep? webhooks = null)
    {
        (this.db, this.metadata, this.actor, this.t, this.clock) = (db, metadata, actor, t, clock);
        Unique = new UniqueValuesStep();
        Webhooks = webhooks ?? new Crm.Core.Webhooks.WebhookOutboxStep();
        this.steps = [Unique, new IndexCopiesStep(), new Files.FileAttachStep(), Webhooks, .. steps ?? []];
    }

    /// <summary>
    /// The actor's data permissions, checked on user writes (create, edit scope before and after the change). Null
    /// only for writers that never make user writes (system rewrites, sample data installed by an administrator).
    /// </summary>
    public Permissions.IAccessResolver? Access { get; init; }


    /// <summary>The unique values this writer staged (to name the field when the database refuses one).</summary>
    public UniqueValuesStep Unique { get; }

    /// <summary>Writes webhook events into the outbox in the write's transaction (deletes: <see cref="Crm.Core.Webhooks.WebhookOutbox.StageDeletesAsync"/>).</summary>
    public Crm.Core.Webhooks.WebhookOutboxStep Webhooks { get; }

    /// <summary>What was written, to publish on <see cref="RecordEvents"/> once the caller's transaction commits.</summary>
    public IReadOnlyList<RecordEvent> Events => events;

    /// <summary>What was written, with the values before and after: automation rules read it once the caller commits.</summary>
    public IReadOnlyList<RecordWrite> Writes => writes;

    /// <summary>
    /// Whether <see cref="Writes"/> are kept (default). False for a caller that runs no automation on them (an import
    /// with automation off), so 100,000 records' values before and after are not held until the commit.
    /// </summary>
    public bool KeepWrites { get; init; } = true;

    /// <summary>
    /// Whether new rows (records, timeline entries, transitions, and the caller's <see cref="StageNew"/> rows) are
    /// held in lists by type instead of being added to the change tracker, to be written set-wise by
    /// <see cref="SaveBatchAsync"/> (on PostgreSQL one COPY and one INSERT … SELECT per table without EF's
    /// identity map and snapshots; on SQLite added to the context there and saved as before). For callers that save
    /// with <see cref="SaveBatchAsync"/> only (an import); rows written by the steps are tracked as always.
    /// </summary>
    public bool StageNewRows { get; init; }

    /// <summary>New rows held by <see cref="StageNewRows"/>, by type in the order first staged (records first: the others refer to them).</summary>
    private readonly Dictionary<Type, List<object>> staged = [];

    /// <summary>
    /// A new row of the caller's unit of work (an import's undo item): held with the writer's own new rows when
    /// <see cref="StageNewRows"/>, else added to the context. Its keys and foreign keys must be set.
    /// </summary>
    public void StageNew(object row)
    {
        if (!StageNewRows) { db.Add(row); return; }
        if (!staged.TryGetValue(row.GetType(), out var list)) staged[row.GetType()] = list = [];
        list.Add(row);
    }

    // ------------------------------------------------------------------ user writes: validate, then apply

    /// <summary>Validates a new record (reads only; no transaction needed). Apply the draft with <see cref="ApplyAsync"/>.</summary>
    public async Task<RecordDraft> PrepareCreateAsync(string entityKey, RecordInput input, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Member);
        var entity = metadata.Entity(entityKey);
        if (entity is null || entity.Entity.IsArchived) return RecordDraft.Failed(Error(RecordErrorKey, t["Record.UnknownEntity", entityKey]));
        if (Access is not null && !(await RightsAsync(entity.Entity.Id, ct)).CanCreate)
            throw new ForbiddenException(t["Record.CannotCreate", entity.Entity.Label.Get()]);
        var started = WriteProfile.Start();
        var now = input.AsOf ?? clock.GetUtcNow().UtcDateTime;
        var record = new Record { EntityTypeId = entity.Entity.Id, CreatedAt = now, CreatedBy = actor.UserId, Rank = -(now - DateTime.UnixEpoch).TotalSeconds };
        var values = RecordDefaults.For(entity, actor.UserId, now, input.Pipeline is { } pk ? entity.Pipeline(pk) : null);
        WriteProfile.Stop("validate: new record + defaults", started);
        return await ValidateAsync(entity, record, new JsonObject(), values, input, isNew: true, now, ct);
    }

    /// <summary>
    /// Validates a change of record <paramref name="id"/> against its current values (reads only). Throws
    /// <see cref="RecordConflictException"/> when it is missing or not at <see cref="RecordInput.ExpectedVersion"/>.
    /// </summary>
    public async Task<RecordDraft> PrepareUpdateAsync(Guid id, RecordInput input, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Member);
        var record = await db.Records.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (record is null) throw new RecordConflictException(null);
        var rights = Access is null ? null : await RightsAsync(record.EntityTypeId, ct);
        var shared = rights is not null && !rights.Edit.IsAll && await Permissions.RecordScope.IsSharedAsync(db, rights, id, edit: true, ct);
        if (rights is not null) await CheckEditableAsync(rights, record, shared, ct);
        if (input.ExpectedVersion is { } expected && expected != record.Version) throw new RecordConflictException(record);
        var entity = metadata.Entity(record.EntityTypeId)!;
        var before = ParseValues(record.Values);
        var values = input.ReplaceAll ? KeepComputedAndArchived(entity, before) : (JsonObject)before.DeepClone();
        var now = input.AsOf ?? clock.GetUtcNow().UtcDateTime;
        var draft = await ValidateAsync(entity, record, before, values, input, isNew: false, now, ct);
        // After the change the record must still be one the actor may edit: a rep cannot hand a record over to
        // someone outside their edit scope (by the owner or an owner member field); a manager whose scope covers
        // both owners can.
        if (rights is not null && draft.Succeeded && !rights.Edit.IsAll)
        {
            var owner = entity.OwnerField is { } of && draft.Values[of.Key] is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) ? g : (Guid?)null;
            if (entity.OwnerField is null) owner = record.OwnerId;
            if (!Permissions.RecordScope.Covers(rights, Permissions.RecordOperation.Edit, owner, draft.Values, shared))
                throw new ForbiddenException(t["Record.CannotMoveOutOfScope"]);
        }
        return draft;
    }

    /// <summary>
    /// The record must be in the actor's edit scope: a record they may not even read is "not found" (as another
    /// workspace's), one they may read but not edit is refused with a message.
    /// </summary>
    private async Task CheckEditableAsync(Permissions.EntityAccess rights, Record record, bool shared, CancellationToken ct)
    {
        if (rights.Edit.IsAll) return;
        if (Permissions.RecordScope.Covers(rights, Permissions.RecordOperation.Edit, record.OwnerId, ParseValues(record.Values), shared)) return;
        var id = record.Id;
        var readable = await Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.Id == id), db, rights).AnyAsync(ct);
        if (!readable) throw new RecordConflictException(null);
        throw new ForbiddenException(t["Record.CannotEdit"]);
    }

    /// <summary>
    /// Writes a validated draft into the context (inside the caller's transaction; the caller saves and commits).
    /// An update re-reads the record: if it changed since the draft was validated, <see cref="RecordStaleException"/>
    /// (validate again) or, when the input named a version, <see cref="RecordConflictException"/>.
    /// </summary>
    public async Task<RecordResult> ApplyAsync(RecordDraft draft, CancellationToken ct = default)
    {
        if (!draft.Errors.IsEmpty) return RecordResult.Invalid(draft.Errors);
        var record = draft.Record;
        if (!draft.IsNew)
        {
            var id = draft.Record.Id;
            record = await db.Records.FirstOrDefaultAsync(r => r.Id == id, ct) ?? throw new RecordConflictException(null);
            if (record.Version != draft.Record.Version)
                throw draft.Input.ExpectedVersion is null ? new RecordStaleException(record) : new RecordConflictException(record);
        }
        await WriteAsync(draft.Entity, record, draft.Before, draft.Values, draft.Pipeline, draft.IsNew, RecordWriteMode.User, draft.Input.Rank, draft.At, ct);
        return new RecordResult(record, new ValidationErrors());
    }

    /// <summary>
    /// Writes many validated drafts into the context, each through the same pipeline as <see cref="ApplyAsync"/>
    /// (compute, project, history, every <see cref="IRecordWriteStep"/>, events): the records of the updates are
    /// read in one query instead of one each. Save with <see cref="SaveBatchAsync"/>. Throws as
    /// <see cref="ApplyAsync"/> does when a record changed since its draft was validated.
    /// </summary>
    public async Task<IReadOnlyList<RecordResult>> ApplyManyAsync(IReadOnlyList<RecordDraft> drafts, CancellationToken ct = default)
    {
        var ids = drafts.Where(d => !d.IsNew && d.Errors.IsEmpty).Select(d => d.Record.Id).Distinct().ToList();
        var current = new Dictionary<Guid, Record>();
        foreach (var chunk in ids.Chunk(500))
            foreach (var r in await db.Records.Where(r => chunk.Contains(r.Id)).ToListAsync(ct)) current[r.Id] = r;
        var results = new List<RecordResult>(drafts.Count);
        foreach (var draft in drafts)
        {
            if (!draft.Errors.IsEmpty) { results.Add(RecordResult.Invalid(draft.Errors)); continue; }
            var record = draft.Record;
            if (!draft.IsNew)
            {
                record = current.GetValueOrDefault(draft.Record.Id) ?? throw new RecordConflictException(null);
                if (record.Version != draft.Record.Version)
                    throw draft.Input.ExpectedVersion is null ? new RecordStaleException(record) : new RecordConflictException(record);
            }
            await WriteAsync(draft.Entity, record, draft.Before, draft.Values, draft.Pipeline, draft.IsNew, RecordWriteMode.User, draft.Input.Rank, draft.At, ct);
            results.Add(new RecordResult(record, new ValidationErrors()));
        }
        return results;
    }

    /// <summary>
    /// Saves what this writer (and its caller) staged on the context, inside the caller's transaction, and clears
    /// the change tracker so the next batch starts empty: on PostgreSQL new rows go by COPY (<see cref="BulkInsert"/>,
    /// rows of every write step included) and the rest by SaveChanges; on SQLite all by SaveChanges.
    /// Changes are detected once per batch, and not on the copied rows: COPY reads each new row's current values
    /// from the object itself (and stamps and checks the tenant), and stops tracking it; then one scan of what is
    /// left (updated records, counters) before SaveChanges, whose tenant guard, access-chart check and EF's own save
    /// use that scan instead of scanning every tracked row again each (four full scans per batch before).
    /// </summary>
    public async Task SaveBatchAsync(CancellationToken ct = default)
    {
        var tracker = db.ChangeTracker;
        var auto = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            var npgsql = db.Database.IsNpgsql();
            // Staged new rows: records first (the tracked rows of the steps and the other staged rows refer to
            // them), the rest after the tracked rows (an undo item refers to its batch, added to the context).
            var records = staged.GetValueOrDefault(typeof(Record));
            var rest = staged.Where(s => s.Key != typeof(Record) && s.Value.Count > 0).ToList();
            bool Copy(Type type) => npgsql && db.Model.FindEntityType(type) is { } t && BulkInsert.CanCopy(t);
            if (records is { Count: > 0 } && Copy(typeof(Record))) await BulkInsert.CopyNewAsync(db, typeof(Record), records, ct);
            else if (records is not null) db.AddRange(records);
            await BulkInsert.CopyAddedAsync(db, ct, detect: false);
            foreach (var (type, rows) in rest)
                if (Copy(type)) await BulkInsert.CopyNewAsync(db, type, rows, ct);
                else db.AddRange(rows); // saved by SaveChanges below
            staged.Clear();
            var started = WriteProfile.Start();
            tracker.DetectChanges();
            await db.SaveChangesAsync(ct);
            WriteProfile.Stop("db: save changes (rest)", started);
        }
        finally { tracker.AutoDetectChangesEnabled = auto; }
        var cleared = WriteProfile.Start();
        tracker.Clear();
        WriteProfile.Stop("client: tracker clear", cleared);
    }

    /// <summary>Validates and writes a new record in the caller's unit of work (a context and its open transaction).</summary>
    public async Task<RecordResult> CreateAsync(string entityKey, RecordInput input, CancellationToken ct = default)
        => await ApplyAsync(await PrepareCreateAsync(entityKey, input, ct), ct);

    /// <summary>Validates and writes a change in the caller's unit of work (a context and its open transaction).</summary>
    public async Task<RecordResult> UpdateAsync(Guid id, RecordInput input, CancellationToken ct = default)
    {
        var draft = await PrepareUpdateAsync(id, input, ct);
        try { return await ApplyAsync(draft, ct); }
        catch (RecordStaleException e) { throw new RecordConflictException(e.Current); }
    }

    // ------------------------------------------------------------------ system rewrites

    /// <summary>
    /// A <see cref="RecordWriteMode.System"/> rewrite of a tracked <paramref name="record"/>: <paramref name="change"/>
    /// edits the values in place and returns false when the record needs no change. Untouched fields are not
    /// validated; formulas, typed columns, transitions, version, timeline and steps are as for any write.
    /// </summary>
    public Task<bool> RewriteAsync(Record record, Func<Record, JsonObject, bool> change, DateTime? at = null, CancellationToken ct = default)
        => RewriteAsync(record, change, reason: null, at, ct);

    /// <summary>
    /// As <see cref="RewriteAsync(Record, Func{Record, JsonObject, bool}, DateTime?, CancellationToken)"/>, with the
    /// <paramref name="reason"/> the timeline shows for it ("returned to pool: 30 days without follow-up").
    /// </summary>
    public async Task<bool> RewriteAsync(Record record, Func<Record, JsonObject, bool> change, string? reason, DateTime? at = null, CancellationToken ct = default)
    {
        var entity = metadata.Entity(record.EntityTypeId);
        if (entity is null) return false;
        var before = ParseValues(record.Values);
        var values = (JsonObject)before.DeepClone();
        if (!change(record, values)) return false;
        var pipeline = record.PipelineId is { } pid ? entity.Pipeline(pid) ?? entity.DefaultPipeline : entity.DefaultPipeline;
        await WriteAsync(entity, record, before, values, pipeline, isNew: false, RecordWriteMode.System, rank: null, at ?? clock.GetUtcNow().UtcDateTime, ct, reason);
        return true;
    }

    // ------------------------------------------------------------------ the pipeline

    private async Task<RecordDraft> ValidateAsync(EntityMeta entity, Record record, JsonObject before, JsonObject values, RecordInput input, bool isNew, DateTime now, CancellationToken ct)
    {
        var started = WriteProfile.Start();
        var errors = new ValidationErrors();
        // Field rights as they are now: a read-only or hidden field keeps its stored value (its default on a new
        // record), never the input's; an input that would change it is refused, naming the field.
        var fields = await FieldsAsync(entity, ct);
        var baseline = isNew ? (JsonObject)values.DeepClone() : before;
        WriteProfile.Stop("validate: rights + baseline clone", started);
        started = WriteProfile.Start();
        if (input.ReplaceAll)
            foreach (var field in entity.AllFields.Where(f => !fields.CanWrite(f.Key) && before[f.Key] is not null))
                values[field.Key] = before[field.Key]!.DeepClone(); // PUT replaces what the actor may write, nothing else
        var refusals = new ValidationErrors();
        foreach (var (key, raw) in input.Values)
        {
            var field = entity.Field(key);
            if (field is null) { errors.Add(key, t["Record.UnknownField", key]); continue; }
            var type = FieldTypeRegistry.Get(field.Type);
            if (type.IsComputed) continue; // computed by the server; echoing a read value back is harmless
            var normalized = type.Normalize(raw, new FieldContext(field, entity));
            if (!fields.CanWrite(key))
            {
                // Sending the value it already has is fine (an API client echoing what it read).
                if (!JsonNode.DeepEquals(normalized, baseline[key]))
                    refusals.Add(key, fields.CanSee(key) ? t["Record.FieldReadOnly", field.Label.Get()] : t["Record.FieldHidden", field.Label.Get()]);
                continue;
            }
            if (normalized is null) values.Remove(key);
            else values[key] = normalized;
        }

        WriteProfile.Stop("validate: normalise input", started);
        started = WriteProfile.Start();
        // Pipeline: the one asked for, else the record's, else the default.
        var pipeline = input.Pipeline is { } pk ? entity.Pipeline(pk) : record.PipelineId is { } pid ? entity.Pipeline(pid) : entity.DefaultPipeline;
        if (input.Pipeline is not null && (pipeline is null || pipeline.Pipeline.IsArchived)) errors.Add(entity.Entity.StageFieldKey ?? "pipeline", t["Record.UnknownPipeline", input.Pipeline]);
        if (entity.StageField is { } stageField && pipeline is not null && values[stageField.Key] is null && isNew && pipeline.FirstOpenStage is { } first)
            values[stageField.Key] = first.Key;
        // Moving a record to another pipeline moves its stage: not for someone who may not change the stage.
        if (!isNew && entity.StageField is { } stage && !fields.CanWrite(stage.Key) && pipeline is not null && record.PipelineId is { } current && pipeline.Pipeline.Id != current)
            refusals.Add(stage.Key, fields.CanSee(stage.Key) ? t["Record.FieldReadOnly", stage.Label.Get()] : t["Record.FieldHidden", stage.Label.Get()]);

        var linkFilled = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        // Linked fields (数据联动): a lookup picked or changed fills the fields its settings name, unless this write
        // gives them a value itself (what the form filled and the user may have edited); then the record picked
        // must be one the lookup offers (its pick filter on the values after the change).
        if (entity.Fields.Any(f => f.Type == FieldTypes.Lookup && LinkedFields.HasLinks(f.Settings)))
        {
            // A value the actor may not write is not theirs to give: such a target is always filled.
            var given = input.Values.Select(v => v.Key).Where(fields.CanWrite).ToHashSet(StringComparer.Ordinal);
            // What the fill gives each target, given or not: a form sends what it filled, and a target a form rule
            // makes read-only may still take it.
            var scratch = (JsonObject)values.DeepClone();
            foreach (var key in await FillLinkedAsync(entity, baseline, scratch, new HashSet<string>(), ct)) linkFilled[key] = scratch[key]?.DeepClone();
            await FillLinkedAsync(entity, baseline, values, given, ct);
            await CheckPickFiltersAsync(entity, record, baseline, values, refusals, ct);
        }
        // The same in line items: a row's lookup picked or changed fills the columns of its row that the row leaves
        // empty (rows matched by "_id"), then the row's formulas are computed again.
        if (entity.Fields.Any(f => f.Type == FieldTypes.Subform && LinkedFields.FillingColumns(f.Settings).Any()))
            await FillRowsLinkedAsync(entity, baseline, values, fields.CanWrite, ct);

        // Form rules (显隐规则) on the values after the change: a field they hide is not required, one they require
        // must be filled in. A field they make read-only cannot be changed while the rule holds on the values both
        // before and after the write (a value typed before the rule took hold in the form stays; see decisions.md).
        // "$today" is the workspace's today (its time zone), "$me" the writer.
        var zone = Tenancy.WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone);
        var rules = FormRuleState.Evaluate(entity, values, actor.UserId, now, record, zone);
        if (entity.Entity.FormRules.Count > 0)
        {
            var rulesBefore = FormRuleState.Evaluate(entity, baseline, actor.UserId, now, record, zone);
            foreach (var (key, _) in input.Values)
                if (rules.IsReadOnly(key) && rulesBefore.IsReadOnly(key) && fields.CanWrite(key) && entity.Field(key) is { } field
                    && !JsonNode.DeepEquals(values[key], baseline[key])
                    && !(linkFilled.TryGetValue(key, out var filled) && JsonNode.DeepEquals(filled, values[key])))
                    refusals.Add(key, t["Record.FieldReadOnlyByRule", field.Label.Get()]);
        }

        // Unknown fields and a wrong pipeline are reported together with the value errors, all at once. A field the
        // actor may not write holds its stored (or default) value: what is wrong with it is not theirs to fix.
        WriteProfile.Stop("validate: pipeline + form rules", started);
        started = WriteProfile.Start();
        var checks = new ValidationErrors();
        new RecordValidator(t).Validate(entity, before, values, pipeline, checks, rules);
        WriteProfile.Stop("validate: value checks (RecordValidator)", started);
        started = WriteProfile.Start();
        await ValidateReferencesAsync(entity, record.Id, values, checks, ct);
        await ValidateFilesAsync(entity, record.Id, before, values, checks, ct);
        WriteProfile.Stop("validate: references + unique", started);
        foreach (var (key, messages) in checks.ByField)
            if (fields.CanWrite(RecordValidator.FieldKeyOf(key)) || entity.Field(RecordValidator.FieldKeyOf(key)) is null)
                foreach (var message in messages) errors.Add(key, message);
        foreach (var (key, messages) in refusals.ByField)
            foreach (var message in messages) errors.Add(key, message);
        return new RecordDraft(entity, record, before, values, pipeline, input, isNew, now, errors);
    }

    /// <summary>
    /// The actor's field rights on <paramref name="entity"/>, read from the database once per writer (one form save,
    /// one API call, one bulk edit), so every write runs with the rights the actor has now.
    /// </summary>
    public async Task<EntityFieldView> FieldsAsync(EntityMeta entity, CancellationToken ct = default)
    {
        if (fieldViews.TryGetValue(entity.Entity.Id, out var view)) return view;
        return fieldViews[entity.Entity.Id] = entity.For(await RightsAsync(entity.Entity.Id, ct));
    }

    /// <summary>
    /// The actor's rights on one entity type, resolved once per writer (a bulk edit of 500 records asks once, not
    /// per record): through <see cref="Access"/> (cached chart) when set, else on this writer's context.
    /// </summary>
    public async Task<Permissions.EntityAccess> RightsAsync(Guid entityTypeId, CancellationToken ct = default)
    {
        if (rightsByEntity.TryGetValue(entityTypeId, out var rights)) return rights;
        rights = Access is not null
            ? await Access.GetAsync(actor, entityTypeId, ct)
            : (await AccessResolver.ResolveAsync(db, actor, [entityTypeId], ct))[entityTypeId];
        return rightsByEntity[entityTypeId] = rights;
    }

    /// <summary>Compute → project → history → steps, for every kind of write.</summary>
    private async Task WriteAsync(EntityMeta entity, Record record, JsonObject before, JsonObject values, PipelineMeta? pipeline, bool isNew, RecordWriteMode mode, double? rank, DateTime now, CancellationToken ct, string? reason = null)
    {
        var started = WriteProfile.Start();
        if (isNew) await AssignAutoNumbersAsync(entity, values, now, ct);
        ComputeFormulas(entity, values, pipeline, await FormulaInputsAsync(entity, record.Id, values, now, isNew, ct));
        WriteProfile.Stop("client: compute", started);
        started = WriteProfile.Start();

        var previousStage = record.StageId;
        var previousStatus = record.StatusOptionId;
        var previousPipeline = record.PipelineId;
        Project(entity, record, values, pipeline);
        WriteProfile.Stop("client: project", started);
        started = WriteProfile.Start();
        record.Values = values.ToJsonString(Json.Options);
        WriteProfile.Stop("client: values json", started);
        started = WriteProfile.Start();
        record.UpdatedAt = now;
        record.UpdatedBy = actor.UserId;
        if (rank is { } r) record.Rank = r;

        RecordTransition? stageMove = null;
        if (record.StageId != previousStage && record.StageId is { } toStage)
        {
            StageNew(stageMove = Transition(record, TransitionKind.Stage, previousStage, toStage, record.StageEnteredAt, now));
            record.StageEnteredAt = now;
        }
        if (record.StatusOptionId != previousStatus && record.StatusOptionId is { } toStatus)
        {
            StageNew(Transition(record, TransitionKind.Status, previousStatus, toStatus, record.StatusChangedAt, now));
            record.StatusChangedAt = now;
        }

        WriteProfile.Stop("client: transitions", started);
        started = WriteProfile.Start();
        var changes = Diff(entity, before, values, isNew);
        WriteProfile.Stop("client: diff", started);
        started = WriteProfile.Start();
        if (isNew)
        {
            StageNew(record);
        }
        else
        {
            if (mode == RecordWriteMode.User && changes.Count == 0 && rank is null && record.PipelineId == previousPipeline)
            {
                // Nothing changed: no new version, no timeline entry.
                db.Entry(record).State = EntityState.Unchanged;
                return;
            }
            record.Version++;
        }
        // A system rewrite always leaves a trace, even when it only moved a value no field shows (kept old values).
        if (changes.Count > 0 || isNew || mode == RecordWriteMode.System)
            StageNew(new RecordChange
            {
                RecordId = record.Id,
                Kind = isNew ? RecordChangeKind.Created : RecordChangeKind.Updated,
                At = now,
                ByUserId = actor.UserId,
                Changes = SerializeChanges(changes),
                Reason = reason is { Length: > 500 } ? reason[..500] : reason,
            });
        WriteProfile.Stop("client: track record + timeline", started);
        started = WriteProfile.Start();

        var write = new RecordWrite(db, metadata, actor, entity, record, before, values, changes, isNew, mode, now) { StageTransition = stageMove };
        foreach (var step in steps)
        {
            await step.OnWriteAsync(write, ct);
            if (WriteProfile.Enabled) { WriteProfile.Stop("client: step " + step.GetType().Name, started); started = WriteProfile.Start(); }
        }
        if (KeepWrites) writes.Add(write with { EnabledWebhooks = Webhooks.Outbox.Known });
        events.Add(new RecordEvent(metadata.TenantId, record.EntityTypeId, record.Id, isNew ? RecordEventKind.Created : RecordEventKind.Updated, record.Version, actor.UserId));
        writtenValues[record.Id] = (record.EntityTypeId, values);
        await RefreshRollupsAsync(entity, before, values, isNew, now, ct);
    }

    /// <summary>
    /// What formulas read beyond the record: today in the workspace's time zone, the looked-up records' fields
    /// (<c>customer.industry</c>, read with the actor's field view: a field they may not see reads as blank) and the
    /// related records of roll-ups (all of them, whoever writes: a stored total must not depend on who saved).
    /// </summary>
    private async Task<FormulaInputs?> FormulaInputsAsync(EntityMeta entity, Guid recordId, JsonObject values, DateTime now, bool isNew, CancellationToken ct)
    {
        var formulas = entity.AllFields.Where(f => f.Type == FieldTypes.Formula && !string.IsNullOrWhiteSpace(f.Settings.Expression)).ToList();
        if (formulas.Count == 0) return null;
        var today = DateOnly.FromDateTime(WorkspaceTimeZone.ToLocal(now, WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone)));
        var linked = new Dictionary<string, object?>(StringComparer.Ordinal);
        var related = new Dictionary<(string, string), IReadOnlyList<IFormulaScope>>();
        foreach (var f in formulas)
        {
            FormulaExpression expr;
            try { expr = FormulaExpression.Parse(f.Settings.Expression!); }
            catch (FormatException) { continue; }
            foreach (var r in expr.References)
            {
                if (r == FormulaExpression.StageProbability || !r.Contains('.') || expr.ListReferences.Contains(r) || linked.ContainsKey(r)) continue;
                linked[r] = null;
                var dot = r.IndexOf('.');
                if (entity.Field(r[..dot]) is not { Type: FieldTypes.Lookup } lookup || metadata.Entity(lookup.Settings.Target ?? "") is not { } target) continue;
                if (values[lookup.Key] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Guid.TryParse(s, out var id)) continue;
                var picked = await PickedAsync([id], ct);
                if (!picked.TryGetValue(id, out var row) || row.EntityTypeId != target.Entity.Id) continue;
                var key = r[(dot + 1)..];
                if (target.Field(key) is not { } source || !(await FieldsAsync(target, ct)).CanSee(key)) continue;
                var sourceValues = writtenValues.TryGetValue(id, out var w) ? w.Values : ParseValues(row.Values);
                linked[r] = FormulaField.Read(sourceValues[key], FieldTypeRegistry.Get(source.Type).KindOf(source.Settings));
            }
            foreach (var rollup in expr.Rollups)
                if (!related.ContainsKey((rollup.Entity, rollup.Lookup)))
                    related[(rollup.Entity, rollup.Lookup)] = await RelatedAsync(rollup.Entity, rollup.Lookup, recordId, isNew, today, ct);
        }
        return new FormulaInputs
        {
            Today = today,
            Linked = r => linked.GetValueOrDefault(r),
            Related = (e, l) => related.TryGetValue((e, l), out var list) ? list : [],
        };
    }

    /// <summary>The records of entity type <paramref name="entityKey"/> whose lookup <paramref name="lookup"/> holds
    /// <paramref name="parentId"/>: stored ones, with this writer's unsaved writes in their place.</summary>
    private async Task<IReadOnlyList<IFormulaScope>> RelatedAsync(string entityKey, string lookup, Guid parentId, bool isNew, DateOnly today, CancellationToken ct)
    {
        if (metadata.Entity(entityKey) is not { } child) return [];
        var childId = child.Entity.Id;
        var idText = parentId.ToString();
        var found = new Dictionary<Guid, JsonObject>();
        if (!isNew)
            foreach (var row in await db.Records.AsNoTracking().Where(r => r.EntityTypeId == childId && JsonSql.Text(r.Values, EF.Constant(lookup)) == idText).Select(r => new { r.Id, r.Values }).ToListAsync(ct))
                found[row.Id] = ParseValues(row.Values);
        foreach (var (id, (entityTypeId, values)) in writtenValues)
        {
            if (entityTypeId != childId) continue;
            if (values[lookup] is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) && g == parentId) found[id] = values;
            else found.Remove(id);
        }
        return found.Values.Select(v => (IFormulaScope)new RecordFormulaScope(child, v, today)).ToList();
    }

    /// <summary>
    /// Roll-ups follow their related records: after a write of a record of this entity type, every record whose
    /// roll-up formula reads it (the old and the new record its lookup points at) is recomputed and, when a value
    /// changed, rewritten through <see cref="RewriteAsync(Record, Func{Record, JsonObject, bool}, string?, DateTime?, CancellationToken)"/>
    /// in this unit of work (same transaction). Only when the lookup or a field the roll-up reads changed.
    /// </summary>
    private async Task RefreshRollupsAsync(EntityMeta entity, JsonObject before, JsonObject values, bool isNew, DateTime now, CancellationToken ct)
    {
        if (rollupDepth > 4) return; // cycles are refused when saved; this only bounds chains of roll-ups of roll-ups
        var parents = new List<(EntityMeta Entity, Guid Id)>();
        foreach (var (parent, rollup) in RollupsOver(entity))
        {
            var touched = isNew || !JsonNode.DeepEquals(before[rollup.Lookup], values[rollup.Lookup])
                || rollup.References.Any(r => !JsonNode.DeepEquals(before[r], values[r]));
            if (!touched) continue;
            foreach (var side in new[] { before[rollup.Lookup], values[rollup.Lookup] })
                if (side is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var id) && !parents.Contains((parent, id)))
                    parents.Add((parent, id));
        }
        await RecomputeParentsAsync(parents, now, ct);
    }

    /// <summary>The roll-ups (with the entity type holding each) that read records of <paramref name="entity"/>.</summary>
    private List<(EntityMeta Parent, FormulaExpression.RollupReference Rollup)> RollupsOver(EntityMeta entity)
    {
        if (rollupsOver.TryGetValue(entity.Entity.Key, out var rollups)) return rollups;
        rollups = [];
        foreach (var parent in metadata.EntityTypes)
            foreach (var f in parent.AllFields.Where(f => f.Type == FieldTypes.Formula && f.Settings.Expression?.Contains("ROLLUP", StringComparison.OrdinalIgnoreCase) == true))
            {
                try { rollups.AddRange(FormulaExpression.Parse(f.Settings.Expression!).Rollups.Where(r => r.Entity == entity.Entity.Key).Select(r => (parent, r))); }
                catch (FormatException) { }
            }
        rollupsOver[entity.Entity.Key] = rollups;
        return rollups;
    }

    /// <summary>
    /// Before a delete: the records whose roll-ups read any of <paramref name="doomedIds"/> (the records their
    /// lookups point at), to be given to <see cref="RefreshRollupsAfterDeleteAsync"/> once the rows are gone.
    /// </summary>
    public async Task<IReadOnlyList<(EntityMeta Entity, Guid Id)>> RollupParentsOfAsync(IReadOnlyCollection<Guid> doomedIds, CancellationToken ct = default)
    {
        var parents = new List<(EntityMeta Entity, Guid Id)>();
        var typesWithRollups = metadata.EntityTypes.Where(e => RollupsOver(e).Count > 0).Select(e => e.Entity.Id).ToList();
        if (typesWithRollups.Count == 0 || doomedIds.Count == 0) return parents;
        var ids = doomedIds.ToList();
        var rows = await db.Records.AsNoTracking().Where(r => ids.Contains(r.Id) && typesWithRollups.Contains(r.EntityTypeId)).Select(r => new { r.Id, r.EntityTypeId, r.Values }).ToListAsync(ct);
        foreach (var row in rows)
        {
            if (metadata.Entity(row.EntityTypeId) is not { } entity) continue;
            var values = writtenValues.TryGetValue(row.Id, out var w) ? w.Values : ParseValues(row.Values);
            foreach (var (parent, rollup) in RollupsOver(entity))
                if (values[rollup.Lookup] is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var id) && !doomedIds.Contains(id) && !parents.Contains((parent, id)))
                    parents.Add((parent, id));
        }
        return parents;
    }

    /// <summary>
    /// After a delete (<c>RecordService.DeleteAsync</c>, in its transaction): the roll-ups of <paramref name="parents"/>
    /// (from <see cref="RollupParentsOfAsync"/>) are recomputed without the deleted records and, when a value changed,
    /// rewritten through <see cref="RewriteAsync(Record, Func{Record, JsonObject, bool}, string?, DateTime?, CancellationToken)"/>
    /// — a system rewrite, so a parent the deleter may not edit follows too (roll-ups count all records).
    /// </summary>
    public async Task RefreshRollupsAfterDeleteAsync(IReadOnlyList<(EntityMeta Entity, Guid Id)> parents, IReadOnlyCollection<Guid> deletedIds, DateTime now, CancellationToken ct = default)
    {
        foreach (var id in deletedIds) writtenValues.Remove(id);
        await RecomputeParentsAsync(parents.Where(p => !deletedIds.Contains(p.Id)).ToList(), now, ct);
    }

    private async Task RecomputeParentsAsync(List<(EntityMeta Entity, Guid Id)> parents, DateTime now, CancellationToken ct)
    {
        foreach (var (parentEntity, id) in parents)
        {
            var parent = db.Records.Local.FirstOrDefault(r => r.Id == id) ?? await db.Records.FirstOrDefaultAsync(r => r.Id == id, ct);
            if (parent is null || parent.EntityTypeId != parentEntity.Entity.Id) continue;
            var current = writtenValues.TryGetValue(id, out var w) ? w.Values : ParseValues(parent.Values);
            var recomputed = (JsonObject)current.DeepClone();
            var pipeline = parent.PipelineId is { } pid ? parentEntity.Pipeline(pid) ?? parentEntity.DefaultPipeline : parentEntity.DefaultPipeline;
            ComputeFormulas(parentEntity, recomputed, pipeline, await FormulaInputsAsync(parentEntity, id, recomputed, now, false, ct));
            if (JsonNode.DeepEquals(recomputed, current)) continue;
            rollupDepth++;
            try { await RewriteAsync(parent, (_, _) => true, at: now, ct: ct); }
            finally { rollupDepth--; }
        }
    }

    private RecordTransition Transition(Record record, TransitionKind kind, Guid? from, Guid to, DateTime? enteredFromAt, DateTime now) => new()
    {
        RecordId = record.Id,
        EntityTypeId = record.EntityTypeId,
        Kind = kind,
        PipelineId = kind == TransitionKind.Stage ? record.PipelineId : null,
        FromId = from,
        ToId = to,
        At = now,
        ByUserId = actor.UserId,
        Amount = record.Amount,
        SecondsInFrom = from is null || enteredFromAt is null ? null : (long)Math.Max(0, (now - enteredFromAt.Value).TotalSeconds),
        SecondsSinceCreated = (long)Math.Max(0, (now - record.CreatedAt).TotalSeconds),
    };

    private static JsonObject KeepComputedAndArchived(EntityMeta entity, JsonObject before)
    {
        var kept = new JsonObject();
        foreach (var (key, value) in before)
        {
            var field = entity.Field(key);
            if (field is null || field.IsArchived || FieldTypeRegistry.Find(field.Type)?.IsComputed == true || key.StartsWith('_'))
                kept[key] = value?.DeepClone();
        }
        return kept;
    }

    /// <summary>
    /// A template upgrade renamed a field key (<see cref="Templates.TemplateMerger"/>): the values under
    /// <paramref name="from"/> move to <paramref name="to"/> in every record of the entity type, in one statement
    /// in the install's transaction (no record is read into memory). Keys are template keys ([a-z][a-z0-9_]*).
    /// The version goes up so that a form opened before the upgrade does not write the old key back.
    /// </summary>
    internal static Task<int> MoveFieldKeyAsync(CrmDbContext db, Guid entityTypeId, string from, string to, CancellationToken ct)
    {
        var tenant = db.TenantId ?? throw new InvalidOperationException("A tenant's context is needed.");
        return db.Database.IsNpgsql()
            ? db.Database.ExecuteSqlRawAsync(
                "UPDATE records SET field_values = jsonb_set(field_values - {2}, ARRAY[{3}], field_values -> {2}), version = version + 1 " +
                "WHERE tenant_id = {0} AND entity_type_id = {1} AND jsonb_exists(field_values, {2})",
                [tenant, entityTypeId, from, to], ct)
            : db.Database.ExecuteSqlRawAsync(
                "UPDATE records SET field_values = json_set(json_remove(field_values, '$.' || {2}), '$.' || {3}, json(field_values -> ('$.' || {2}))), version = version + 1 " +
                "WHERE tenant_id = {0} AND entity_type_id = {1} AND json_type(field_values, '$.' || {2}) IS NOT NULL",
                [tenant, entityTypeId, from, to], ct);
    }

    /// <summary>
    /// A template upgrade renamed an option key of a select (a string) or multi-select (an array of keys) field:
    /// stored values are rewritten in one statement, like <see cref="MoveFieldKeyAsync"/>. A select holding a text
    /// slot (<paramref name="indexSlot"/>, filled or filling) has its typed copy rewritten in the same statement, so
    /// the copy matches the JSON and PostgreSQL's kept board totals (keyed by the slot's value) follow through their
    /// triggers.
    /// </summary>
#pragma warning disable EF1003 // the only text put in is a slot column from IndexSlots.All (text1..text12), never input
    internal static Task<int> RenameOptionAsync(CrmDbContext db, Guid entityTypeId, string field, bool multiple, string from, string to, string? indexSlot, CancellationToken ct)
    {
        var tenant = db.TenantId ?? throw new InvalidOperationException("A tenant's context is needed.");
        // The slot's column name comes from the fixed list of slots ("t9" → text9), never from input.
        var copy = !multiple && IndexSlots.Held(indexSlot) is ['t', .. var n] && IndexSlots.All.Contains("t" + n)
            ? $", text{n} = CASE WHEN text{n} = {{3}} THEN {{4}} ELSE text{n} END"
            : "";
        if (db.Database.IsNpgsql())
            return multiple
                ? db.Database.ExecuteSqlRawAsync(
                    "UPDATE records SET field_values = jsonb_set(field_values, ARRAY[{2}], (SELECT jsonb_agg(CASE WHEN e = to_jsonb({3}::text) THEN to_jsonb({4}::text) ELSE e END) FROM jsonb_array_elements(field_values -> {2}) e)), version = version + 1 " +
                    "WHERE tenant_id = {0} AND entity_type_id = {1} AND jsonb_typeof(field_values -> {2}) = 'array' AND (field_values -> {2}) @> jsonb_build_array({3}::text)",
                    [tenant, entityTypeId, field, from, to], ct)
                : db.Database.ExecuteSqlRawAsync(
                    "UPDATE records SET field_values = jsonb_set(field_values, ARRAY[{2}], to_jsonb({4}::text)), version = version + 1" + copy + " " +
                    "WHERE tenant_id = {0} AND entity_type_id = {1} AND field_values ->> {2} = {3}",
                    [tenant, entityTypeId, field, from, to], ct);
        return multiple
            ? db.Database.ExecuteSqlRawAsync(
                "UPDATE records SET field_values = json_set(field_values, '$.' || {2}, (SELECT json_group_array(CASE WHEN e.value = {3} THEN {4} ELSE e.value END) FROM json_each(field_values, '$.' || {2}) e)), version = version + 1 " +
                "WHERE tenant_id = {0} AND entity_type_id = {1} AND json_type(field_values, '$.' || {2}) = 'array' AND EXISTS (SELECT 1 FROM json_each(field_values, '$.' || {2}) x WHERE x.value = {3})",
                [tenant, entityTypeId, field, from, to], ct)
            : db.Database.ExecuteSqlRawAsync(
                "UPDATE records SET field_values = json_set(field_values, '$.' || {2}, {4}), version = version + 1" + copy + " " +
                "WHERE tenant_id = {0} AND entity_type_id = {1} AND json_extract(field_values, '$.' || {2}) = {3}",
                [tenant, entityTypeId, field, from, to], ct);
    }
#pragma warning restore EF1003

    public static JsonObject ParseValues(string json) => JsonNode.Parse(string.IsNullOrEmpty(json) ? "{}" : json) as JsonObject ?? new JsonObject();

    private async Task ValidateReferencesAsync(EntityMeta entity, Guid recordId, JsonObject values, ValidationErrors errors, CancellationToken ct)
    {
        var members = new List<(FieldDefinition Field, Guid Id, string Path)>();
        var lookups = new List<(FieldDefinition Field, Guid Id, EntityMeta Target, string Path)>();
        var departments = new List<(FieldDefinition Field, Guid Id)>();
        foreach (var field in entity.Fields)
            if (field.Type == FieldTypes.Department)
                foreach (var id in FieldTypeRegistry.Get(field.Type).ReferencedIds(values[field.Key])) departments.Add((field, id));
        foreach (var field in entity.Fields)
        {
            if (values[field.Key] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Guid.TryParse(s, out var id)) continue;
            var type = FieldTypeRegistry.Get(field.Type);
            if (type.NamesMembers) members.Add((field, id, field.Key));
            else if (type.LinksRecords)
            {
                var target = metadata.Entity(field.Settings.Target ?? "");
                if (target is null) errors.Add(field.Key, t["Validation.Reference", field.Label.Get()]);
                else lookups.Add((field, id, target, field.Key));
            }
        }
        // Lookup and member cells of subform rows, checked as fields are; a problem is keyed by the cell's path
        // ("items/1/product") and names the cell ("产品明细[2].产品").
        var cells = new List<(string Path, FieldDefinition Cell, Guid Id, EntityMeta? Target)>();
        foreach (var subform in entity.Fields.Where(f => f.Type == FieldTypes.Subform))
        {
            if (values[subform.Key] is not JsonArray rows) continue;
            var columns = (subform.Settings.Columns ?? []).Where(c => c.Type is FieldTypes.Lookup or FieldTypes.Member).ToList();
            if (columns.Count == 0) continue;
            for (var i = 0; i < rows.Count; i++)
                foreach (var column in columns)
                {
                    if (rows[i] is not JsonObject row || row[column.Key] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Guid.TryParse(s, out var id)) continue;
                    var path = $"{subform.Key}/{i}/{column.Key}";
                    var cell = SubformField.CellField(subform, column, i);
                    if (column.Type == FieldTypes.Member) members.Add((cell, id, path));
                    else if (metadata.Entity(column.Settings.Target ?? "") is { } target) lookups.Add((cell, id, target, path));
                    else errors.Add(path, t["Validation.Reference", cell.Label.Get()]);
                }
        }
        // References found once are remembered for this writer's life (one save, one bulk edit, one import's
        // validation pass), so 100,000 imported rows naming the same two owners ask the database once, not per row.
        if (members.Count > 0)
        {
            List<Guid>? unknown = null;
            foreach (var (_, id, _) in members)
                if (!knownMembers.Contains(id) && !(unknown ??= []).Contains(id)) unknown.Add(id);
            if (unknown is { } ids)
                knownMembers.UnionWith(await db.Memberships.Where(m => m.TenantId == metadata.TenantId && ids.Contains(m.UserId)).Select(m => m.UserId).ToListAsync(ct));
            foreach (var (field, id, path) in members)
                if (!knownMembers.Contains(id)) errors.Add(path, t["Validation.NotAMember", field.Label.Get()]);
        }
        if (departments.Count > 0)
        {
            var ids = departments.Select(d => d.Id).Where(id => !knownDepartments.Contains(id)).Distinct().ToList();
            if (ids.Count > 0) knownDepartments.UnionWith(await db.Departments.Where(d => ids.Contains(d.Id)).Select(d => d.Id).ToListAsync(ct));
            foreach (var field in departments.Where(d => !knownDepartments.Contains(d.Id)).Select(d => d.Field).Distinct())
                errors.Add(field.Key, t["Validation.DepartmentMissing", field.Label.Get()]);
        }
        if (lookups.Count > 0)
        {
            var ids = lookups.Select(l => l.Id).Where(id => !knownRecords.ContainsKey(id)).Distinct().ToList();
            if (ids.Count > 0)
                foreach (var f in await db.Records.Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.EntityTypeId }).ToListAsync(ct)) knownRecords[f.Id] = f.EntityTypeId;
            foreach (var (field, id, target, path) in lookups)
                if (!knownRecords.TryGetValue(id, out var typeId) || typeId != target.Entity.Id)
                    errors.Add(path, t["Validation.LookupMissing", field.Label.Get(), target.Entity.Label.Get()]);
        }
        // A friendly early answer; the unique index (UniqueValuesStep) is what holds under concurrency. The JSON
        // query also finds values of records saved before the index existed.
        var entityId = entity.Entity.Id;
        foreach (var field in entity.Fields)
        {
            if (!field.Settings.Unique || RecordUniqueValue.KeyOf(values[field.Key]) is not { } hash) continue;
            var key = field.Key;
            bool taken;
            if (uniqueAhead.TryGetValue((entityId, key, hash), out var holder)) taken = holder is { } h && h != recordId;
            else
            {
                taken = await db.UniqueValues.AnyAsync(u => u.EntityTypeId == entityId && u.FieldKey == key && u.ValueHash == hash && u.RecordId != recordId, ct);
                if (!taken && values[key] is JsonValue v && v.TryGetValue<string>(out var text))
                    taken = await db.Records.AnyAsync(r => r.EntityTypeId == entityId && r.Id != recordId && JsonSql.Text(r.Values, EF.Constant(key)) == text, ct);
            }
            if (taken) errors.Add(key, UniqueError(field, values[key]));
        }
    }

    /// <summary>
    /// Files named by file and image fields whose value changed: each must be a file uploaded for this field of this
    /// entity type, either held by this record already or uploaded by the actor and held by no record yet (so no one
    /// can take another record's or another person's file by its id; another workspace's is not even found). The value
    /// is rewritten from the stored rows (name, size, content type), in the order given.
    /// </summary>
    private async Task ValidateFilesAsync(EntityMeta entity, Guid recordId, JsonObject before, JsonObject values, ValidationErrors errors, CancellationToken ct)
    {
        foreach (var field in entity.Fields)
        {
            if (FieldTypeRegistry.Get(field.Type) is not FileFieldBase || values[field.Key] is not JsonArray) continue;
            if (JsonNode.DeepEquals(values[field.Key], before[field.Key])) continue;
            var ids = FileFieldBase.FileIds(values[field.Key]);
            if (ids.Count == 0) continue; // the shape check names the problem
            var entityId = entity.Entity.Id;
            var key = field.Key;
            var rows = await db.Files.AsNoTracking().Where(f => ids.Contains(f.Id)).ToDictionaryAsync(f => f.Id, ct);
            var ok = ids.All(id => rows.TryGetValue(id, out var f) && f.EntityTypeId == entityId && f.FieldKey == key
                && (f.RecordId == recordId || (f.RecordId is null && f.CreatedBy == actor.UserId)));
            if (!ok) { errors.Add(key, t["Validation.FileMissing", field.Label.Get()]); continue; }
            values[key] = new JsonArray(ids.Select(id => (JsonNode)FileFieldBase.Entry(rows[id])).ToArray());
        }
    }

    /// <summary>
    /// Linked fields on a write that sets lookups (a form, the API, an import, automation's set field, quick create):
    /// every lookup with <see cref="FieldSettings.Fill"/> whose value differs from <paramref name="before"/> fills
    /// its targets from the record picked (<see cref="LinkedFields.Fill"/>), except the targets in
    /// <paramref name="given"/> (the write sets them itself) and from source fields the actor may not read. A lookup
    /// cleared leaves its targets as they are. The picked records are read in one query (of this workspace only).
    /// Returns the keys filled.
    /// </summary>
    public async Task<List<string>> FillLinkedAsync(EntityMeta entity, JsonObject before, JsonObject values, IReadOnlySet<string> given, CancellationToken ct = default)
    {
        var changed = new List<(FieldDefinition Lookup, EntityMeta Target, Guid Id)>();
        foreach (var lookup in entity.Fields.Where(f => f.Type == FieldTypes.Lookup && f.Settings.Fill is { Count: > 0 }))
        {
            if (JsonNode.DeepEquals(values[lookup.Key], before[lookup.Key])) continue;
            if (values[lookup.Key] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Guid.TryParse(s, out var id)) continue;
            if (metadata.Entity(lookup.Settings.Target ?? "") is not { } target) continue;
            changed.Add((lookup, target, id));
        }
        var filled = new List<string>();
        if (changed.Count == 0) return filled;
        var picked = await PickedAsync(changed.Select(c => c.Id), ct);
        foreach (var (lookup, target, id) in changed)
        {
            if (!picked.TryGetValue(id, out var record) || record.EntityTypeId != target.Entity.Id) continue;
            var readable = await FieldsAsync(target, ct);
            filled.AddRange(LinkedFields.Fill(entity, lookup, target, ParseValues(record.Values), values, k => !given.Contains(k), readable.CanSee));
        }
        return filled;
    }

    /// <summary>
    /// Linked fields in subform rows: for every row of a subform the actor may write whose lookup column with
    /// <see cref="FieldSettings.Fill"/> differs from the stored row with the same "_id" (a new row: has a value), the
    /// columns its fill names that the row leaves empty take the picked record's values (a cell the write gives
    /// keeps its value, as a given field does above); source fields the actor may not read are not copied. The
    /// row's formulas are then computed again (小计 = 数量 × 单价 after 单价 was filled). Picked records are read in
    /// one query. Returns the paths filled ("items/0/price").
    /// </summary>
    public async Task<List<string>> FillRowsLinkedAsync(EntityMeta entity, JsonObject before, JsonObject values, Func<string, bool> canWrite, CancellationToken ct = default)
    {
        var changed = new List<(FieldDefinition Subform, int Index, JsonObject Row, SubformColumn Column, EntityMeta Target, Guid Id)>();
        foreach (var subform in entity.Fields.Where(f => f.Type == FieldTypes.Subform && canWrite(f.Key)))
        {
            var columns = LinkedFields.FillingColumns(subform.Settings).ToList();
            if (columns.Count == 0 || values[subform.Key] is not JsonArray rows) continue;
            var stored = (before[subform.Key] as JsonArray ?? []).OfType<JsonObject>()
                .Select(r => (Id: r[SubformField.RowId] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null, Row: r))
                .Where(x => x.Id is not null).GroupBy(x => x.Id!).ToDictionary(g => g.Key, g => g.First().Row, StringComparer.Ordinal);
            for (var i = 0; i < rows.Count; i++)
            {
                if (rows[i] is not JsonObject row) continue;
                var old = row[SubformField.RowId] is JsonValue rv && rv.TryGetValue<string>(out var rowId) ? stored.GetValueOrDefault(rowId) : null;
                foreach (var column in columns)
                {
                    if (JsonNode.DeepEquals(row[column.Key], old?[column.Key])) continue;
                    if (row[column.Key] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Guid.TryParse(s, out var id)) continue;
                    if (metadata.Entity(column.Settings.Target ?? "") is not { } target) continue;
                    changed.Add((subform, i, row, column, target, id));
                }
            }
        }
        var filled = new List<string>();
        if (changed.Count == 0) return filled;
        var picked = await PickedAsync(changed.Select(c => c.Id), ct);
        foreach (var (subform, index, row, column, target, id) in changed)
        {
            if (!picked.TryGetValue(id, out var record) || record.EntityTypeId != target.Entity.Id) continue; // the reference check says "missing"
            var readable = await FieldsAsync(target, ct);
            var empty = (column.Settings.Fill ?? []).Select(p => p.To).Where(k => row[k] is null).ToHashSet(StringComparer.Ordinal);
            foreach (var key in LinkedFields.Fill(entity, column.AsField(), target, ParseValues(record.Values), row, empty.Contains, readable.CanSee, LinkedFields.RowFields(subform.Settings)))
                filled.Add($"{subform.Key}/{index}/{key}");
            SubformField.ComputeRow(subform.Settings.Columns ?? [], row);
        }
        return filled;
    }

    /// <summary>
    /// Refuses, naming the field, a lookup whose picked record is outside its pick filter: checked when the lookup
    /// or a form field the filter reads changed (a record picked before the filter, or before the course closed,
    /// stays). On a user write the record must also be one the actor may read (the picker offers only those).
    /// </summary>
    private async Task CheckPickFiltersAsync(EntityMeta entity, Record record, JsonObject before, JsonObject values, ValidationErrors refusals, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var lookup in entity.Fields.Where(f => f.Type == FieldTypes.Lookup && f.Settings.PickFilter is { Count: > 0 }))
        {
            var reads = LinkedFields.FormFieldsRead(lookup.Settings).Append(lookup.Key);
            if (reads.All(k => JsonNode.DeepEquals(values[k], before[k]))) continue;
            if (values[lookup.Key] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Guid.TryParse(s, out var id)) continue;
            if (metadata.Entity(lookup.Settings.Target ?? "") is not { } target) continue;
            var picked = await PickedAsync([id], ct);
            if (!picked.TryGetValue(id, out var row) || row.EntityTypeId != target.Entity.Id) continue; // the reference check says "missing"
            var filter = LinkedFields.ResolveFilter(lookup, values);
            var ok = LinkedFields.Offers(filter, target, row, ParseValues(row.Values), actor.UserId, now, Tenancy.WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone));
            if (ok && Access is not null)
            {
                var rights = await RightsAsync(target.Entity.Id, ct);
                ok = rights.Read.IsAll || await Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.Id == id), db, rights).AnyAsync(ct);
            }
            if (!ok) refusals.Add(lookup.Key, t["Validation.LookupFiltered", lookup.Label.Get(), row.Title]);
        }
    }

    private readonly Dictionary<Guid, Record> pickedRecords = [];

    /// <summary>Records picked by lookups, read once per writer (this workspace's only: the context is the tenant's).</summary>
    private async Task<IReadOnlyDictionary<Guid, Record>> PickedAsync(IEnumerable<Guid> ids, CancellationToken ct)
    {
        var wanted = ids.Distinct().ToList();
        var missing = wanted.Where(id => !pickedRecords.ContainsKey(id)).ToList();
        if (missing.Count > 0)
            foreach (var r in await db.Records.AsNoTracking().Where(r => missing.Contains(r.Id)).ToListAsync(ct)) pickedRecords[r.Id] = r;
        return wanted.Where(pickedRecords.ContainsKey).ToDictionary(id => id, id => pickedRecords[id]);
    }

    /// <summary>
    /// Looks up, for many rows at once, which of their unique field values records already hold — a query per chunk
    /// of 500 values per field (the unique value index, then the JSON values of records saved before it) instead of
    /// two per row — so that validating each row (<see cref="PrepareCreateAsync"/>, <see cref="PrepareUpdateAsync"/>)
    /// asks the database nothing for them. Values not preloaded are checked per row as before.
    /// </summary>
    public async Task PreloadUniqueAsync(EntityMeta entity, IEnumerable<JsonObject> rows, CancellationToken ct = default)
    {
        var entityId = entity.Entity.Id;
        var list = rows as IReadOnlyList<JsonObject> ?? rows.ToList();
        foreach (var field in entity.Fields.Where(f => f.Settings.Unique))
        {
            var key = field.Key;
            var byHash = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var row in list)
                if (RecordUniqueValue.KeyOf(row[key]) is { } hash)
                    byHash.TryAdd(hash, row[key] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null);
            void Hold(string hash, Guid id)
            {
                var at = (entityId, key, hash);
                uniqueAhead[at] = uniqueAhead.TryGetValue(at, out var other) && other is { } o && o != id ? Guid.Empty : id; // Guid.Empty: held by several
            }
            foreach (var chunk in byHash.Keys.Chunk(500))
            {
                foreach (var hash in chunk) uniqueAhead.TryAdd((entityId, key, hash), null);
                foreach (var u in await db.UniqueValues.AsNoTracking().Where(u => u.EntityTypeId == entityId && u.FieldKey == key && chunk.Contains(u.ValueHash)).Select(u => new { u.ValueHash, u.RecordId }).ToListAsync(ct))
                    Hold(u.ValueHash, u.RecordId);
            }
            var texts = byHash.Where(p => p.Value is not null).ToDictionary(p => p.Value!, p => p.Key, StringComparer.Ordinal);
            foreach (var chunk in texts.Keys.Chunk(500))
                foreach (var r in await db.Records.AsNoTracking().Where(r => r.EntityTypeId == entityId && chunk.Contains(JsonSql.Text(r.Values, EF.Constant(key))))
                             .Select(r => new { r.Id, Value = JsonSql.Text(r.Values, EF.Constant(key)) }).ToListAsync(ct))
                    if (r.Value is not null && texts.TryGetValue(r.Value, out var hash)) Hold(hash, r.Id);
        }
    }

    /// <summary>The field's "already exists" message.</summary>
    public string UniqueError(FieldDefinition field, JsonNode? value) => t["Validation.Unique", field.Label.Get(), RecordUniqueValue.Display(value)];

    /// <summary>
    /// Numbers the auto-number fields of a new record from their sequence counters (one per field, or per field and
    /// period when the numbers reset daily, monthly or yearly; the period is the creation day in the workspace's time
    /// zone). Concurrent creates wait for each other rather than take the same number or fail: on PostgreSQL the
    /// counter row is locked (<c>FOR UPDATE</c>) until this transaction commits, a missing counter being made by an
    /// insert that yields to a racing one (<c>ON CONFLICT DO NOTHING</c>); SQLite transactions hold the database's
    /// write lock from their start. A counter already taken in this unit of work (an import batch) is locked already.
    /// </summary>
    private async Task AssignAutoNumbersAsync(EntityMeta entity, JsonObject values, DateTime now, CancellationToken ct)
    {
        DateTime? localDay = null;
        foreach (var field in entity.Fields.Where(f => FieldTypeRegistry.Get(f.Type).NumbersRecords))
        {
            var ctx = new FieldContext(field, entity);
            localDay ??= Tenancy.WorkspaceTimeZone.ToLocal(now, Tenancy.WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone));
            var key = AutoNumberField.CounterKey(ctx, localDay.Value);
            var entityId = entity.Entity.Id;
            var counter = db.Sequences.Local.FirstOrDefault(s => s.EntityTypeId == entityId && s.FieldKey == key);
            if (counter is null)
            {
                if (db.Database.IsNpgsql())
                {
                    await db.Database.ExecuteSqlRawAsync(
                        "INSERT INTO sequence_counters (tenant_id, id, entity_type_id, field_key, next_value, version) VALUES ({0}, {1}, {2}, {3}, 1, 0) ON CONFLICT (tenant_id, entity_type_id, field_key) DO NOTHING",
                        [metadata.TenantId, Guid.CreateVersion7(), entityId, key], ct);
                    await db.Database.ExecuteSqlRawAsync(
                        "SELECT 1 FROM sequence_counters WHERE tenant_id = {0} AND entity_type_id = {1} AND field_key = {2} FOR UPDATE",
                        [metadata.TenantId, entityId, key], ct);
                }
                counter = await db.Sequences.FirstOrDefaultAsync(s => s.EntityTypeId == entityId && s.FieldKey == key, ct);
                if (counter is null)
                {
                    counter = new SequenceCounter { EntityTypeId = entityId, FieldKey = key, NextValue = 1 };
                    db.Sequences.Add(counter);
                }
            }
            var number = counter.NextValue;
            counter.NextValue++;
            counter.Version++; // concurrency token: a writer outside a transaction fails rather than duplicate
            values[field.Key] = AutoNumberField.Format(ctx, number, localDay.Value);
        }
    }

    /// <summary>
    /// Evaluates formula fields in dependency order (a formula may use another formula) and stores each as its
    /// result type. Without <paramref name="inputs"/> (the live form) a formula that reads a looked-up record or
    /// related records keeps the value it has (the server computes it on save); TODAY() is today in UTC then.
    /// </summary>
    public static void ComputeFormulas(EntityMeta entity, JsonObject values, PipelineMeta? pipeline, FormulaInputs? inputs = null)
    {
        var formulas = entity.AllFields.Where(f => FieldTypeRegistry.Get(f.Type).ReadsOtherFields && !string.IsNullOrWhiteSpace(f.Settings.Expression)).ToList();
        if (formulas.Count == 0) return;
        var stageKey = entity.StageField is { } sf && values[sf.Key] is JsonValue sv && sv.TryGetValue<string>(out var sk) ? sk : null;
        var probability = pipeline?.Stage(stageKey)?.Probability;
        var parsed = new Dictionary<string, FormulaExpression>();
        foreach (var f in formulas)
        {
            try { parsed[f.Key] = FormulaExpression.Parse(f.Settings.Expression!); }
            catch (FormatException) { values.Remove(f.Key); }
        }
        var done = new HashSet<string>();
        for (var pass = 0; pass < parsed.Count && done.Count < parsed.Count; pass++)
        {
            foreach (var (key, expr) in parsed)
            {
                if (done.Contains(key) || expr.References.Any(r => parsed.ContainsKey(r) && !done.Contains(r) && r != key)) continue;
                done.Add(key);
                if (inputs is null && (expr.Rollups.Count > 0 || expr.References.Any(r => r != FormulaExpression.StageProbability && r.Contains('.') && !expr.ListReferences.Contains(r))))
                    continue;
                var result = expr.Evaluate(new RecordFormulaScope(entity, values, inputs?.Today ?? DateOnly.FromDateTime(DateTime.UtcNow), key, probability, inputs));
                if (FormulaField.Store(result, entity.Field(key)!.Settings) is { } stored) values[key] = stored;
                else values.Remove(key);
            }
        }
    }

    /// <summary>Copies the bound fields into the typed columns (the columns boards and reports use).</summary>
    public void Project(EntityMeta entity, Record record, JsonObject values, PipelineMeta? pipeline)
    {
        var culture = CultureInfo.InvariantCulture;
        string? Text(FieldDefinition? f) => f is not null && values[f.Key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

        var title = entity.TitleField is { } tf && values[tf.Key] is { } tv
            ? FieldTypeRegistry.Get(tf.Type).Display(tv, new FieldContext(tf, entity), titleDisplay ??= Export.LocalizerCulture.WorkspaceDisplay(t, actor.Tenant))
            : "";
        record.Title = title.Length > 500 ? title[..500] : title;
        record.OwnerId = Guid.TryParse(Text(entity.OwnerField), out var owner) ? owner : null;
        record.Amount = entity.AmountField is { } af ? JsonNumbers.AsDecimal(values[af.Key]) : null;
        record.CloseDate = Text(entity.CloseDateField) is { } cd && DateOnly.TryParseExact(cd, DateField.Format, culture, DateTimeStyles.None, out var close) ? close : null;
        record.StatusOptionId = entity.StatusField is { } stf && metadata.StatusList(stf.Settings.StatusList)?.Option(Text(stf)) is { } option ? option.Id : null;
        if (entity.StageField is not null && pipeline is not null)
        {
            record.PipelineId = pipeline.Pipeline.Id;
            record.StageId = pipeline.Stage(Text(entity.StageField))?.Id;
        }
        var search = new List<string> { record.Title };
        foreach (var f in entity.Fields)
            if (FieldTypeRegistry.Get(f.Type).IsSearchable && Text(f) is { } s && s != record.Title) search.Add(s);
        var joined = string.Join(" ", search).ToLowerInvariant();
        record.SearchText = joined.Length > 2000 ? joined[..2000] : joined;
    }

    /// <summary>
    /// A timeline entry's changes as JSON, exactly as <c>Json.Serialize(changes)</c> writes them (camelCase names,
    /// null old or new values left out, the product's encoder), with one writer instead of the serializer's
    /// per-object contract (it showed in the import profile: 12 changes per imported row).
    /// </summary>
    public static string SerializeChanges(IReadOnlyList<FieldChange> changes)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 + 48 * changes.Count);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = Json.Options.Encoder, SkipValidation = true }))
        {
            writer.WriteStartArray();
            foreach (var change in changes)
            {
                writer.WriteStartObject();
                writer.WriteString("field", change.Field);
                if (change.Old is not null) { writer.WritePropertyName("old"); change.Old.WriteTo(writer, Json.Options); }
                if (change.New is not null) { writer.WritePropertyName("new"); change.New.WriteTo(writer, Json.Options); }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static List<FieldChange> Diff(EntityMeta entity, JsonObject before, JsonObject after, bool isNew)
    {
        var changes = new List<FieldChange>();
        foreach (var field in entity.AllFields)
        {
            var old = before[field.Key];
            var now = after[field.Key];
            if (JsonNode.DeepEquals(old, now)) continue;
            if (isNew && now is null) continue;
            changes.Add(new FieldChange(field.Key, old?.DeepClone(), now?.DeepClone()));
        }
        return changes;
    }

    private static ValidationErrors Error(string key, string message)
    {
        var errors = new ValidationErrors();
        errors.Add(key, message);
        return errors;
    }
}
