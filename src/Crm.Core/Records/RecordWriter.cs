using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using NJsonSchema.Validation;

namespace Crm.Core.Records;

/// <summary>
/// Writes records inside a unit of work (a context and its transaction, owned by the caller): normalises input,
/// validates it against the entity type's JSON Schema and the rules a schema cannot express (lookups, members,
/// unique values, stage of the right pipeline), computes auto-numbers and formulas, projects the typed columns,
/// and appends transitions and the change timeline. Used by <see cref="RecordService"/>, the template installer
/// and imports, so every write path validates the same way.
/// </summary>
public sealed class RecordWriter(CrmDbContext db, TenantMetadata metadata, Actor actor, IStringLocalizer<CoreStrings> t, TimeProvider clock)
{
    public const string RecordErrorKey = "_record";

    public async Task<RecordResult> CreateAsync(string entityKey, RecordInput input, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Member);
        var entity = metadata.Entity(entityKey);
        if (entity is null || entity.Entity.IsArchived) return Fail(RecordErrorKey, t["Record.UnknownEntity", entityKey]);
        var now = input.AsOf ?? clock.GetUtcNow().UtcDateTime;
        var record = new Record { EntityTypeId = entity.Entity.Id, CreatedAt = now, CreatedBy = actor.UserId, Rank = -(now - DateTime.UnixEpoch).TotalSeconds };
        var values = RecordDefaults.For(entity, actor.UserId, now, input.Pipeline is { } pk ? entity.Pipeline(pk) : null);
        return await WriteAsync(entity, record, new JsonObject(), values, input, isNew: true, now, ct);
    }

    public async Task<RecordResult> UpdateAsync(Guid id, RecordInput input, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Member);
        var record = await db.Records.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (record is null) throw new RecordConflictException(null);
        if (input.ExpectedVersion is { } expected && expected != record.Version) throw new RecordConflictException(record);
        var entity = metadata.Entity(record.EntityTypeId)!;
        var before = ParseValues(record.Values);
        var values = input.ReplaceAll ? KeepComputedAndArchived(entity, before) : (JsonObject)before.DeepClone();
        var now = input.AsOf ?? clock.GetUtcNow().UtcDateTime;
        return await WriteAsync(entity, record, before, values, input, isNew: false, now, ct);
    }

    private async Task<RecordResult> WriteAsync(EntityMeta entity, Record record, JsonObject before, JsonObject values, RecordInput input, bool isNew, DateTime now, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        foreach (var (key, raw) in input.Values)
        {
            var field = entity.Field(key);
            if (field is null) { errors.Add(key, t["Record.UnknownField", key]); continue; }
            var type = FieldTypeRegistry.Get(field.Type);
            if (type.IsComputed) continue; // computed by the server; echoing a read value back is harmless
            var normalized = type.Normalize(raw, new FieldContext(field, entity));
            if (normalized is null) values.Remove(key);
            else values[key] = normalized;
        }

        // Pipeline: the one asked for, else the record's, else the default.
        var pipeline = input.Pipeline is { } pk ? entity.Pipeline(pk) : record.PipelineId is { } pid ? entity.Pipeline(pid) : entity.DefaultPipeline;
        if (input.Pipeline is not null && (pipeline is null || pipeline.Pipeline.IsArchived)) errors.Add(entity.Entity.StageFieldKey ?? "pipeline", t["Record.UnknownPipeline", input.Pipeline]);
        if (entity.StageField is { } stageField && pipeline is not null && values[stageField.Key] is null && isNew && pipeline.FirstOpenStage is { } first)
            values[stageField.Key] = first.Key;

        // Unknown fields and a wrong pipeline are reported together with the value errors, all at once.
        new RecordValidator(t).Validate(entity, before, values, pipeline, errors);
        await ValidateReferencesAsync(entity, record.Id, values, errors, ct);
        if (!errors.IsEmpty) return RecordResult.Invalid(errors);

        if (isNew) await AssignAutoNumbersAsync(entity, values, ct);
        ComputeFormulas(entity, values, pipeline);

        var previousStage = record.StageId;
        var previousStatus = record.StatusOptionId;
        Project(entity, record, values, pipeline);
        record.Values = values.ToJsonString(Json.Options);
        record.UpdatedAt = now;
        record.UpdatedBy = actor.UserId;
        if (input.Rank is { } rank) record.Rank = rank;

        if (record.StageId != previousStage && record.StageId is { } toStage)
        {
            db.Transitions.Add(Transition(record, TransitionKind.Stage, previousStage, toStage, record.StageEnteredAt, now));
            record.StageEnteredAt = now;
        }
        if (record.StatusOptionId != previousStatus && record.StatusOptionId is { } toStatus)
        {
            db.Transitions.Add(Transition(record, TransitionKind.Status, previousStatus, toStatus, record.StatusChangedAt, now));
            record.StatusChangedAt = now;
        }

        var changes = Diff(entity, before, values, isNew);
        if (isNew)
        {
            db.Records.Add(record);
        }
        else
        {
            if (changes.Count == 0 && input.Rank is null && record.PipelineId == (pipeline?.Pipeline.Id ?? record.PipelineId))
            {
                // Nothing changed: no new version, no timeline entry.
                db.Entry(record).State = EntityState.Unchanged;
                return new RecordResult(record, errors);
            }
            record.Version++;
        }
        if (changes.Count > 0 || isNew)
            db.RecordChanges.Add(new RecordChange
            {
                RecordId = record.Id,
                Kind = isNew ? RecordChangeKind.Created : RecordChangeKind.Updated,
                At = now,
                ByUserId = actor.UserId,
                Changes = Json.Serialize(changes),
            });
        return new RecordResult(record, errors);
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

    public static JsonObject ParseValues(string json) => JsonNode.Parse(string.IsNullOrEmpty(json) ? "{}" : json) as JsonObject ?? new JsonObject();

    private async Task ValidateReferencesAsync(EntityMeta entity, Guid recordId, JsonObject values, ValidationErrors errors, CancellationToken ct)
    {
        var members = new List<(FieldDefinition Field, Guid Id)>();
        var lookups = new List<(FieldDefinition Field, Guid Id, EntityMeta Target)>();
        foreach (var field in entity.Fields)
        {
            if (values[field.Key] is not JsonValue v || !v.TryGetValue<string>(out var s) || !Guid.TryParse(s, out var id)) continue;
            if (field.Type == "member") members.Add((field, id));
            else if (field.Type == "lookup")
            {
                var target = metadata.Entity(field.Settings.Target ?? "");
                if (target is null) errors.Add(field.Key, t["Validation.Reference", field.Label.Get()]);
                else lookups.Add((field, id, target));
            }
        }
        if (members.Count > 0)
        {
            var ids = members.Select(m => m.Id).Distinct().ToList();
            var found = await db.Memberships.Where(m => m.TenantId == metadata.TenantId && ids.Contains(m.UserId)).Select(m => m.UserId).ToListAsync(ct);
            foreach (var (field, id) in members.Where(m => !found.Contains(m.Id)))
                errors.Add(field.Key, t["Validation.NotAMember", field.Label.Get()]);
        }
        if (lookups.Count > 0)
        {
            var ids = lookups.Select(l => l.Id).Distinct().ToList();
            var found = await db.Records.Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.EntityTypeId }).ToListAsync(ct);
            foreach (var (field, id, target) in lookups)
                if (!found.Any(f => f.Id == id && f.EntityTypeId == target.Entity.Id))
                    errors.Add(field.Key, t["Validation.LookupMissing", field.Label.Get(), target.Entity.Label.Get()]);
        }
        foreach (var field in entity.Fields.Where(f => f.Settings.Unique))
        {
            if (values[field.Key] is not JsonValue v || !v.TryGetValue<string>(out var text)) continue;
            var key = field.Key;
            var taken = await db.Records.AnyAsync(r => r.EntityTypeId == entity.Entity.Id && r.Id != recordId
                && JsonSql.Text(r.Values, EF.Constant(key)) == text, ct);
            if (taken) errors.Add(field.Key, t["Validation.Unique", field.Label.Get(), text]);
        }
    }

    private async Task AssignAutoNumbersAsync(EntityMeta entity, JsonObject values, CancellationToken ct)
    {
        foreach (var field in entity.Fields.Where(f => f.Type == "autonumber"))
        {
            var key = field.Key;
            var counter = await db.Sequences.FirstOrDefaultAsync(s => s.EntityTypeId == entity.Entity.Id && s.FieldKey == key, ct);
            if (counter is null)
            {
                counter = new SequenceCounter { EntityTypeId = entity.Entity.Id, FieldKey = key, NextValue = 1 };
                db.Sequences.Add(counter);
            }
            var number = counter.NextValue;
            counter.NextValue++;
            counter.Version++; // concurrency token: two writers taking the same number fail, not duplicate
            values[key] = AutoNumberField.Format(new FieldContext(field, entity), number);
        }
    }

    /// <summary>Evaluates formula fields in dependency order (a formula may use another formula).</summary>
    public static void ComputeFormulas(EntityMeta entity, JsonObject values, PipelineMeta? pipeline)
    {
        var formulas = entity.AllFields.Where(f => f.Type == "formula" && !string.IsNullOrWhiteSpace(f.Settings.Expression)).ToList();
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
                var result = expr.Evaluate(r => r == FormulaExpression.StageProbability ? probability
                    : r == key ? null
                    : JsonNumbers.AsDecimal(values[r]));
                var field = entity.Field(key)!;
                if (result is { } value)
                    values[key] = JsonValue.Create(Math.Round(value, Math.Clamp(field.Settings.Decimals ?? 2, 0, 10), MidpointRounding.AwayFromZero));
                else
                    values.Remove(key);
                done.Add(key);
            }
        }
    }

    /// <summary>Copies the bound fields into the typed columns (the columns boards and reports use).</summary>
    public void Project(EntityMeta entity, Record record, JsonObject values, PipelineMeta? pipeline)
    {
        var culture = CultureInfo.InvariantCulture;
        string? Text(FieldDefinition? f) => f is not null && values[f.Key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

        var title = entity.TitleField is { } tf && values[tf.Key] is { } tv
            ? FieldTypeRegistry.Get(tf.Type).Display(tv, new FieldContext(tf, entity), new DisplayContext(new CultureInfo("zh-CN"), k => k))
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

    private RecordResult Fail(string key, string message)
    {
        var errors = new ValidationErrors();
        errors.Add(key, message);
        return RecordResult.Invalid(errors);
    }
}
