using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Design;

/// <summary>
/// The no-code designer's server side: saves entity types (labels, icon, sections, fields, bindings), status lists
/// and pipelines from drafts. Each save is one transaction that validates everything first (nothing changes on an
/// error), applies the change, moves records off deleted options and stages (with timeline and transitions), and
/// bumps the metadata version. Only Owners and Admins may design.
/// </summary>
public sealed class MetadataDesigner(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock, RecordValidator validator, AuditTrail audit)
{
    // Without arguments the text is returned as written: field types format some of their messages themselves.
    private string T(string key, object[] args) => args.Length == 0 ? t[key] : t[key, args];

    public async Task<EntityDraft?> LoadEntityAsync(Actor actor, string entityKey, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var metadata = await metadataStore.GetAsync(actor.TenantId, ct);
        return metadata.Entity(entityKey) is { } entity ? EntityDraft.From(entity) : null;
    }

    // ---------------------------------------------------------------- entity types

    public async Task<DesignResult> SaveEntityAsync(Actor actor, EntityDraft draft, CancellationToken ct = default)
    {
        draft = draft.Clone();
        await using var db = factory.CreateForTenant(actor.TenantId);
        // The rights check on the save's own connection (not one of its own): one round trip less per save.
        await db.Database.OpenConnectionAsync(ct);
        await db.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        // The cached snapshot when it is current (the designer that made the draft just read it): no reload.
        var current = await metadataStore.CommittedAsync(db, ct);
        var stored = current.Entity(draft.Key);
        if (!draft.IsNew && stored is not null && draft.BaseUpdatedAt is { } seen && !SameInstant(seen, stored.Entity.UpdatedAt))
            return ConflictResult();

        var errors = new EntityDraftValidator(draft, current, T, validator).Validate();
        if (!errors.IsEmpty) return new DesignResult(errors);

        // Options of select fields that disappear: records that use them need a place to go.
        var moves = new List<(FieldDefinition Field, string From, string? To)>();
        if (stored is not null)
        {
            foreach (var field in stored.AllFields.Where(f => FieldTypeRegistry.Get(f.Type).OwnsOptions))
            {
                var drafted = draft.Field(field.Key);
                if (drafted is null || drafted.Type != field.Type) continue;
                var remaining = (drafted.Settings.Options ?? []).Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
                foreach (var removed in (field.Settings.Options ?? []).Where(o => !remaining.Contains(o.Key)))
                {
                    var path = $"fields/{field.Key}/options";
                    var used = await CountOptionUsageAsync(db, stored, field, removed.Key, ct);
                    var move = draft.OptionMoves.FirstOrDefault(m => m.FieldKey == field.Key && m.FromKey == removed.Key);
                    if (move is null)
                    {
                        if (used > 0) errors.Add(path, T("Design.OptionInUse", [drafted.Label.Get(), removed.Label.Get(), used]));
                        else moves.Add((field, removed.Key, null));
                        continue;
                    }
                    if (drafted.Settings.Options!.FirstOrDefault(o => o.Key == move.ToKey) is not { IsArchived: false })
                        errors.Add(path, T("Design.MoveTarget", [drafted.Label.Get(), move.ToKey]));
                    else moves.Add((field, removed.Key, move.ToKey));
                }
            }
        }
        var uniqueScans = await UniqueChangesAsync(db, stored, draft, errors, ct);
        if (!errors.IsEmpty) return new DesignResult(errors);

        var entity = draft.IsNew ? null : await db.EntityTypes.Include(e => e.Fields).FirstAsync(e => e.Key == draft.Key, ct);
        if (entity is null)
        {
            entity = new EntityType
            {
                Key = draft.Key,
                SortOrder = current.EntityTypes.Count == 0 ? 0 : current.EntityTypes.Max(e => e.Entity.SortOrder) + 1,
                CreatedAt = now,
            };
            db.EntityTypes.Add(entity);
        }
        entity.Label = draft.Label;
        entity.PluralLabel = draft.PluralLabel;
        entity.Icon = draft.Icon;
        entity.Sections = draft.Sections.Select(s => s.ToSection()).ToList();
        entity.TitleFieldKey = draft.TitleFieldKey;
        entity.AmountFieldKey = draft.AmountFieldKey;
        entity.CloseDateFieldKey = draft.CloseDateFieldKey;
        entity.OwnerFieldKey = draft.OwnerFieldKey;
        entity.StatusFieldKey = draft.StatusFieldKey;
        entity.StageFieldKey = draft.StageFieldKey;
        entity.LostReasonFieldKey = draft.LostReasonFieldKey;
        entity.FormRules = [.. draft.FormRules];
        entity.UpdatedAt = now;

        var order = 0;
        var (shownInList, hiddenFromList) = (new List<string>(), new List<string>());
        foreach (var f in draft.Fields)
        {
            var field = entity.Fields.FirstOrDefault(x => x.Key == f.Key);
            if (field is null)
            {
                field = new FieldDefinition { EntityTypeId = entity.Id, Key = f.Key, Type = f.Type, CreatedAt = now };
                entity.Fields.Add(field);
            }
            var wasShown = field.Settings.ShowInList == true;
            if (f.Settings.ShowInList == true && !wasShown) shownInList.Add(f.Key);
            if (f.Settings.ShowInList == false && wasShown) hiddenFromList.Add(f.Key);
            var before = Json.Serialize(field);
            field.Label = f.Label;
            field.HelpText = f.HelpText;
            field.SectionKey = f.SectionKey;
            field.SortOrder = order;
            field.IsArchived = f.IsArchived;
            field.Settings = DefaultsAfterMoves(f, moves);
            if (Json.Serialize(field) != before) field.UpdatedAt = now;
            order += 10;
        }
        // Stored fields a draft left out are kept (a field is archived, never deleted): after the others.
        foreach (var field in entity.Fields.Where(x => draft.Field(x.Key) is null).OrderBy(x => x.SortOrder))
        {
            field.SortOrder = order;
            order += 10;
        }
        if (!draft.IsNew && (shownInList.Count > 0 || hiddenFromList.Count > 0))
            await ApplyShowInListAsync(db, entity.Id, shownInList, hiddenFromList, now, ct);

        var storedKeys = stored?.AllFields.Select(f => f.Key).ToHashSet(StringComparer.Ordinal) ?? [];
        void Audit(int recordsChanged) => audit.Stage(db, actor, new AuditEvent(AuditActions.EntityTypeSaved, AuditActions.Targets.EntityType, entity.Key, entity.Label.Get(),
            new JsonObject
            {
                ["created"] = draft.IsNew,
                ["fieldsAdded"] = Keys(entity.Fields.Where(f => !storedKeys.Contains(f.Key)).Select(f => f.Key)),
                ["fieldsChanged"] = Keys(entity.Fields.Where(f => storedKeys.Contains(f.Key) && f.UpdatedAt == now).Select(f => f.Key)),
                ["recordsChanged"] = recordsChanged,
            }));
        // Without records to move the audit row goes with the metadata rows (one statement batch less).
        var rewrites = moves.Any(m => m.To is not null);
        if (!rewrites) Audit(0);
        await db.SaveChangesAsync(ct);
        var bumped = await MetadataStore.BumpVersionAsync(db, ct);
        foreach (var (fieldKey, scan) in uniqueScans)
            if (scan is null) await UniqueValueIndex.DropAsync(db, entity.Id, fieldKey, ct);
            else await UniqueValueIndex.RebuildAsync(db, scan, entity.Id, fieldKey, ct);
        var changed = 0;
        if (rewrites)
        {
            var updated = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, ct), ct);
            var rewriter = new RecordRewriter(db, updated, actor, t, now);
            foreach (var (field, from, to) in moves.Where(m => m.To is not null))
                changed += await rewriter.RewriteAsync(UsingOption(db, entity.Id, field, from), (_, values) => ReplaceOption(values, field, from, to!), ct);
            Audit(changed);
            await db.SaveChangesAsync(ct);
        }
        // This save holds the only metadata it changed (the entity type and its fields, slots assigned): when no
        // other save committed since `current` was read, the new snapshot is `current` with them, at our version.
        // The bump returned it on PostgreSQL (its row is locked by the bump until the commit): one read less.
        var version = bumped ?? await MetadataStore.CurrentVersionAsync(db, ct);
        await tx.CommitAsync(ct);
        if (version == current.Version + 1) metadataStore.Warm(MetadataStore.With(current, version, entity, entity.Fields));
        else await metadataStore.WarmAsync(actor.TenantId, ct);
        return DesignResult.Ok(changed);
    }

    /// <summary>
    /// Fields of a stored entity that become unique (their values are scanned; records sharing a value refuse the
    /// save) or stop being unique (null: their unique value rows are dropped).
    /// </summary>
    private async Task<List<(string FieldKey, UniqueValueIndex.Scan? Scan)>> UniqueChangesAsync(CrmDbContext db, EntityMeta? stored, EntityDraft draft, ValidationErrors errors, CancellationToken ct)
    {
        var result = new List<(string, UniqueValueIndex.Scan?)>();
        if (stored is null) return result;
        foreach (var field in stored.AllFields)
        {
            var was = field.Settings.Unique && !field.IsArchived;
            var drafted = draft.Field(field.Key);
            var now = drafted is not null ? drafted.Settings.Unique && !drafted.IsArchived : was;
            if (was == now) continue;
            if (!now) { result.Add((field.Key, null)); continue; }
            var scan = await UniqueValueIndex.ScanAsync(db, stored.Entity.Id, field.Key, ct);
            if (scan.DuplicateValue is { } value)
                errors.Add($"fields/{field.Key}/unique", T("Design.UniqueDuplicates", [drafted!.Label.Get(), value, scan.DuplicateCount]));
            else result.Add((field.Key, scan));
        }
        return result;
    }

    /// <summary>A default naming a deleted option follows its records to the new option (or is cleared).</summary>
    private static FieldSettings DefaultsAfterMoves(FieldDraft f, List<(FieldDefinition Field, string From, string? To)> moves)
    {
        var settings = f.Settings;
        foreach (var (field, from, to) in moves.Where(m => m.Field.Key == f.Key))
        {
            if (settings.Default is JsonValue v && v.TryGetValue<string>(out var key) && key == from)
                settings = settings with { Default = to is null ? null : JsonValue.Create(to) };
            else if (settings.Default is JsonArray a && a.Any(n => n?.GetValue<string>() == from))
                settings = settings with { Default = new JsonArray(a.Select(n => n?.GetValue<string>() == from ? to : n?.GetValue<string>()).Where(k => k is not null).Distinct().Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()) };
        }
        return settings;
    }

    private static IQueryable<Record> UsingOption(CrmDbContext db, Guid entityTypeId, FieldDefinition field, string option)
    {
        var key = field.Key;
        var records = db.Records.Where(r => r.EntityTypeId == entityTypeId);
        if (FieldTypeRegistry.Get(field.Type).KindOf(field.Settings) == FieldValueKind.Choices)
        {
            // The value is a JSON array of keys: look for the quoted key in its text (exact, keys cannot contain quotes).
            var quoted = "\"" + option + "\"";
            return records.Where(r => JsonSql.Text(r.Values, EF.Constant(key))!.Contains(quoted));
        }
        return records.Where(r => JsonSql.Text(r.Values, EF.Constant(key)) == option);
    }

    private static bool ReplaceOption(JsonObject values, FieldDefinition field, string from, string to)
    {
        switch (values[field.Key])
        {
            case JsonValue v when v.TryGetValue<string>(out var key) && key == from:
                values[field.Key] = to;
                return true;
            case JsonArray a when a.Any(n => n?.GetValue<string>() == from):
                var keys = a.Select(n => n?.GetValue<string>()).Select(k => k == from ? to : k).Where(k => k is not null).Distinct().ToList();
                values[field.Key] = new JsonArray(keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());
                return true;
            default:
                return false;
        }
    }

    private static Task<int> CountOptionUsageAsync(CrmDbContext db, EntityMeta entity, FieldDefinition field, string option, CancellationToken ct)
        => UsingOption(db, entity.Entity.Id, field, option).CountAsync(ct);

    /// <summary>How many records of the entity type use a select or multi-select option (asked before deleting it).</summary>
    public async Task<int> CountOptionUsageAsync(Actor actor, string entityKey, string fieldKey, string optionKey, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity?.Field(fieldKey) is not { } field || !FieldTypeRegistry.Get(field.Type).OwnsOptions) return 0;
        return await CountOptionUsageAsync(db, entity, field, optionKey, ct);
    }

    // ---------------------------------------------------------------- status lists

    /// <summary>How many records (of every entity type with a status field on this list) have the status.</summary>
    public async Task<int> CountStatusUsageAsync(Actor actor, string listKey, string optionKey, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var total = 0;
        foreach (var (entity, field) in StatusFields(metadata, listKey))
            total += await UsingStatus(db, entity, field, optionKey).CountAsync(ct);
        return total;
    }

    private static IEnumerable<(EntityMeta Entity, FieldDefinition Field)> StatusFields(TenantMetadata metadata, string listKey)
        => metadata.EntityTypes.SelectMany(e => e.AllFields.Where(f => f.Type == "status" && f.Settings.StatusList == listKey).Select(f => (e, f)));

    private static IQueryable<Record> UsingStatus(CrmDbContext db, EntityMeta entity, FieldDefinition field, string option)
    {
        var key = field.Key;
        var id = entity.Entity.Id;
        return db.Records.Where(r => r.EntityTypeId == id && JsonSql.Text(r.Values, EF.Constant(key)) == option);
    }

    public async Task<DesignResult> SaveStatusListAsync(Actor actor, StatusListDraft draft, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        draft = draft.Clone();
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var current = await metadataStore.CommittedAsync(db, ct);
        var stored = current.StatusList(draft.Key);
        if (!draft.IsNew && stored is null) return DesignResult.Fail(DesignResult.GeneralKey, T("Design.StatusListNotFound", [draft.Key]));
        if (!draft.IsNew && draft.BaseUpdatedAt is { } seen && !SameInstant(seen, stored!.List.UpdatedAt)) return ConflictResult();

        var errors = new ValidationErrors();
        draft.Label = DesignRules.Tidy(draft.Label);
        if (draft.IsNew)
        {
            if (!MetadataKeys.IsValid(draft.Key)) errors.Add("key", T("Design.KeyInvalid", [T("Design.Element.StatusList", []), draft.Key]));
            else if (stored is not null) errors.Add("key", T("Design.KeyTaken", [T("Design.Element.StatusList", []), draft.Key]));
        }
        if (DesignRules.IsEmpty(draft.Label)) errors.Add("label", T("Design.LabelRequired", [T("Design.Element.StatusList", [])]));
        else if (DesignRules.IsTooLong(draft.Label)) errors.Add("label", T("Design.LabelTooLong", [draft.Label.Get(), DesignRules.MaxLabelLength]));
        var groupKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in draft.Groups)
        {
            g.Label = DesignRules.Tidy(g.Label);
            var name = g.Label.Get().Length > 0 ? g.Label.Get() : g.Key;
            if (!MetadataKeys.IsValid(g.Key)) errors.Add($"groups/{g.Key}/key", T("Design.KeyInvalid", [name, g.Key]));
            else if (!groupKeys.Add(g.Key)) errors.Add($"groups/{g.Key}/key", T("Design.KeyTaken", [name, g.Key]));
            if (DesignRules.IsEmpty(g.Label)) errors.Add($"groups/{g.Key}/label", T("Design.LabelRequired", [T("Design.Element.Group", [])]));
            if (g.Color is not null && !ChoicePalette.IsValid(g.Color)) errors.Add($"groups/{g.Key}/color", T("Design.Color", [name]));
        }
        CheckChoices(draft.Options.Select(o => (o.Key, o.Label, (string?)o.Color, o.IsArchived, o.IsNew)).ToList(),
            stored?.AllOptions.Select(o => o.Key) ?? [], "options", "Design.NoOptions", errors, T("Design.Element.Status", []));
        foreach (var o in draft.Options)
        {
            o.Label = DesignRules.Tidy(o.Label);
            if (o.GroupKey is { Length: > 0 } gk && !groupKeys.Contains(gk)) errors.Add($"options/{o.Key}/group", T("Design.GroupMissing", [o.Label.Get()]));
            if (o.GroupKey is { Length: 0 }) o.GroupKey = null;
        }

        var removed = stored?.AllOptions.Where(o => draft.Options.All(x => x.Key != o.Key)).ToList() ?? [];
        var fields = StatusFields(current, draft.Key).ToList();
        foreach (var option in removed)
        {
            var used = 0;
            foreach (var (entity, field) in fields) used += await UsingStatus(db, entity, field, option.Key).CountAsync(ct);
            CheckMove(draft.Moves, draft.Label.Get(), option.Key, option.Label, used, draft.Options.Select(o => (o.Key, o.IsArchived)), "options", errors);
        }
        if (!errors.IsEmpty) return new DesignResult(errors);

        var list = draft.IsNew ? null : await db.StatusLists.Include(l => l.Options).FirstAsync(l => l.Key == draft.Key, ct);
        if (list is null)
        {
            list = new StatusList { Key = draft.Key };
            db.StatusLists.Add(list);
        }
        list.Label = draft.Label;
        list.Groups = draft.Groups.Select(g => new StatusGroup(g.Key, g.Label, g.Color, g.Description)).ToList();
        list.UpdatedAt = now;
        for (var i = 0; i < draft.Options.Count; i++)
        {
            var o = draft.Options[i];
            var option = list.Options.FirstOrDefault(x => x.Key == o.Key);
            if (option is null)
            {
                option = new StatusOption { StatusListId = list.Id, Key = o.Key };
                list.Options.Add(option);
            }
            option.Label = o.Label;
            option.GroupKey = o.GroupKey;
            option.Color = o.Color;
            option.Description = o.Description;
            option.IsArchived = o.IsArchived;
            option.SortOrder = i * 10;
        }
        // Deleted options stay (archived) until their records have moved; then they go, unless history names them.
        foreach (var option in list.Options.Where(x => removed.Any(r => r.Key == x.Key))) option.IsArchived = true;
        await FollowDefaultsAsync(db, "status", f => f.Settings.StatusList == draft.Key, draft.Moves, removed.Select(r => r.Key), now, ct);
        await db.SaveChangesAsync(ct);
        await MetadataStore.BumpVersionAsync(db, ct);

        var changed = 0;
        if (removed.Count > 0)
        {
            var updated = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, ct), ct);
            var rewriter = new RecordRewriter(db, updated, actor, t, now);
            foreach (var option in removed)
            {
                if (!draft.Moves.TryGetValue(option.Key, out var to)) continue;
                foreach (var (entity, field) in fields)
                    changed += await rewriter.RewriteAsync(UsingStatus(db, entity, field, option.Key), (_, values) => ReplaceChoice(values, field.Key, option.Key, to), ct);
            }
            foreach (var option in removed)
            {
                var id = option.Id;
                var inHistory = await db.Transitions.AnyAsync(x => x.FromId == id || x.ToId == id, ct) || await db.Records.AnyAsync(r => r.StatusOptionId == id, ct);
                if (!inHistory) await db.StatusOptions.Where(o => o.Id == id).ExecuteDeleteAsync(ct);
            }
        }
        audit.Stage(db, actor, new AuditEvent(AuditActions.StatusListSaved, AuditActions.Targets.StatusList, list.Key, list.Label.Get(),
            new JsonObject { ["options"] = Keys(draft.Options.Select(o => o.Key)), ["removed"] = Keys(removed.Select(r => r.Key)), ["recordsChanged"] = changed }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await metadataStore.WarmAsync(actor.TenantId, ct);
        return DesignResult.Ok(changed);
    }

    // ---------------------------------------------------------------- pipelines

    /// <summary>How many records of the entity type are in the stage.</summary>
    public async Task<int> CountStageUsageAsync(Actor actor, string entityKey, string pipelineKey, string stageKey, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var stage = (await metadataStore.GetAsync(db, ct)).Entity(entityKey)?.Pipeline(pipelineKey)?.Stage(stageKey);
        if (stage is null) return 0;
        var id = stage.Id;
        return await db.Records.CountAsync(r => r.StageId == id, ct);
    }

    public async Task<DesignResult> SavePipelineAsync(Actor actor, string entityKey, PipelineDraft draft, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        draft = draft.Clone();
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var current = await metadataStore.CommittedAsync(db, ct);
        var entityMeta = current.Entity(entityKey);
        if (entityMeta is null) return DesignResult.Fail(DesignResult.GeneralKey, T("Design.EntityNotFound", [entityKey]));
        var stored = entityMeta.Pipeline(draft.Key);
        if (!draft.IsNew && stored is null) return DesignResult.Fail(DesignResult.GeneralKey, T("Design.PipelineNotFound", [draft.Key]));
        if (!draft.IsNew && draft.BaseUpdatedAt is { } seen && !SameInstant(seen, stored!.Pipeline.UpdatedAt)) return ConflictResult();

        var errors = new ValidationErrors();
        draft.Label = DesignRules.Tidy(draft.Label);
        if (draft.IsNew)
        {
            if (!MetadataKeys.IsValid(draft.Key)) errors.Add("key", T("Design.KeyInvalid", [T("Design.Element.Pipeline", []), draft.Key]));
            else if (stored is not null) errors.Add("key", T("Design.KeyTaken", [T("Design.Element.Pipeline", []), draft.Key]));
        }
        if (DesignRules.IsEmpty(draft.Label)) errors.Add("label", T("Design.LabelRequired", [T("Design.Element.Pipeline", [])]));
        else if (DesignRules.IsTooLong(draft.Label)) errors.Add("label", T("Design.LabelTooLong", [draft.Label.Get(), DesignRules.MaxLabelLength]));
        CheckChoices(draft.Stages.Select(s => (s.Key, s.Label, (string?)s.Color, s.IsArchived, s.IsNew)).ToList(),
            stored?.AllStages.Select(s => s.Key) ?? [], "stages", "Design.NoStages", errors, T("Design.Element.Stage", []));
        foreach (var s in draft.Stages)
        {
            s.Label = DesignRules.Tidy(s.Label);
            var name = s.Label.Get();
            if (s.Probability is < 0 or > 100) errors.Add($"stages/{s.Key}/probability", T("Design.Probability", [name]));
            if (s.StaleAfterDays is < 1 or > 3650) errors.Add($"stages/{s.Key}/staleAfterDays", T("Design.StaleDays", [name]));
            if (!Enum.IsDefined(s.Kind)) errors.Add($"stages/{s.Key}/kind", T("Design.StageKind", [name]));
        }

        var removed = stored?.AllStages.Where(s => draft.Stages.All(x => x.Key != s.Key)).ToList() ?? [];
        foreach (var stage in removed)
        {
            var id = stage.Id;
            var used = await db.Records.CountAsync(r => r.StageId == id, ct);
            CheckMove(draft.Moves, draft.Label.Get(), stage.Key, stage.Label, used, draft.Stages.Select(s => (s.Key, s.IsArchived)), "stages", errors);
        }
        if (removed.Count > 0 && draft.Moves.Count > 0 && entityMeta.StageField is null)
            errors.Add("stages", T("Design.NoStageField", [entityMeta.Entity.Label.Get()]));
        if (!errors.IsEmpty) return new DesignResult(errors);

        var pipeline = draft.IsNew ? null : await db.Pipelines.Include(p => p.Stages).FirstAsync(p => p.EntityTypeId == entityMeta.Entity.Id && p.Key == draft.Key, ct);
        if (pipeline is null)
        {
            pipeline = new Pipeline
            {
                EntityTypeId = entityMeta.Entity.Id,
                Key = draft.Key,
                SortOrder = entityMeta.AllPipelines.Count == 0 ? 0 : entityMeta.AllPipelines.Max(p => p.Pipeline.SortOrder) + 1,
            };
            db.Pipelines.Add(pipeline);
        }
        pipeline.Label = draft.Label;
        pipeline.UpdatedAt = now;
        var others = await db.Pipelines.Where(p => p.EntityTypeId == entityMeta.Entity.Id && p.Key != draft.Key).ToListAsync(ct);
        if (draft.IsDefault)
            foreach (var other in others) other.IsDefault = false;
        // The first pipeline of an entity type is its default.
        pipeline.IsDefault = draft.IsDefault || others.Count == 0;
        for (var i = 0; i < draft.Stages.Count; i++)
        {
            var s = draft.Stages[i];
            var stage = pipeline.Stages.FirstOrDefault(x => x.Key == s.Key);
            if (stage is null)
            {
                stage = new PipelineStage { PipelineId = pipeline.Id, Key = s.Key };
                pipeline.Stages.Add(stage);
            }
            stage.Label = s.Label;
            stage.Color = s.Color;
            stage.Probability = s.Probability;
            stage.Kind = s.Kind;
            stage.StaleAfterDays = s.StaleAfterDays;
            stage.IsArchived = s.IsArchived;
            stage.SortOrder = i * 10;
        }
        foreach (var stage in pipeline.Stages.Where(x => removed.Any(r => r.Key == x.Key))) stage.IsArchived = true;
        var entityId = entityMeta.Entity.Id;
        var stageFieldKey = entityMeta.Entity.StageFieldKey;
        // A stage field's default names a stage key; only this entity type's stage field can name these stages.
        if (entityMeta.AllPipelines.Count(p => p.Key != draft.Key && p.AllStages.Any(s => removed.Any(r => r.Key == s.Key))) == 0)
            await FollowDefaultsAsync(db, "stage", f => f.EntityTypeId == entityId, draft.Moves, removed.Select(r => r.Key), now, ct);
        await db.SaveChangesAsync(ct);
        await MetadataStore.BumpVersionAsync(db, ct);

        var changed = 0;
        if (removed.Count > 0)
        {
            var updated = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, ct), ct);
            var rewriter = new RecordRewriter(db, updated, actor, t, now);
            foreach (var stage in removed)
            {
                var id = stage.Id;
                if (stageFieldKey is null || !draft.Moves.TryGetValue(stage.Key, out var to)) continue;
                changed += await rewriter.RewriteAsync(db.Records.Where(r => r.StageId == id), (_, values) =>
                {
                    values[stageFieldKey] = to;
                    return true;
                }, ct);
            }
            foreach (var stage in removed)
            {
                var id = stage.Id;
                var inHistory = await db.Transitions.AnyAsync(x => x.FromId == id || x.ToId == id, ct) || await db.Records.AnyAsync(r => r.StageId == id, ct);
                if (!inHistory) await db.Stages.Where(s => s.Id == id).ExecuteDeleteAsync(ct);
            }
        }
        audit.Stage(db, actor, new AuditEvent(AuditActions.PipelineSaved, AuditActions.Targets.Pipeline, $"{entityKey}/{pipeline.Key}", pipeline.Label.Get(),
            new JsonObject { ["entity"] = entityKey, ["stages"] = Keys(draft.Stages.Select(o => o.Key)), ["removed"] = Keys(removed.Select(r => r.Key)), ["recordsChanged"] = changed }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await metadataStore.WarmAsync(actor.TenantId, ct);
        return DesignResult.Ok(changed);
    }

    // ---------------------------------------------------------------- shared

    private static JsonArray Keys(IEnumerable<string> keys) => new(keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());

    /// <summary>Keys, labels and colours of a list of choices (status options, stages); at least one active.</summary>
    /// <summary>"Show in list" switched on adds the field to the end of the default list view's columns and of each
    /// person's own column choice; switched off removes it from the default view (people keep what they chose).
    /// Without a default view the list's fallback columns read the setting.</summary>
    private static async Task ApplyShowInListAsync(CrmDbContext db, Guid entityTypeId, List<string> shown, List<string> hidden, DateTime now, CancellationToken ct)
    {
        var views = await db.Views.AsTracking()
            .Where(v => v.EntityTypeId == entityTypeId && v.Kind == Views.ViewKind.List && v.OwnerUserId == null && v.IsDefault).ToListAsync(ct);
        foreach (var view in views)
        {
            var columns = view.Definition.Columns.Where(c => !hidden.Contains(c)).ToList();
            columns.AddRange(shown.Where(k => !columns.Contains(k)));
            if (columns.SequenceEqual(view.Definition.Columns)) continue;
            view.Definition = view.Definition with { Columns = columns };
            view.UpdatedAt = now;
        }
        if (shown.Count == 0) return;
        foreach (var preference in await db.ListColumnPreferences.AsTracking().Where(p => p.EntityTypeId == entityTypeId).ToListAsync(ct))
        {
            var missing = shown.Where(k => !preference.Columns.Contains(k)).ToList();
            if (missing.Count == 0) continue;
            preference.Columns = [.. preference.Columns, .. missing];
            preference.UpdatedAt = now;
        }
    }

    private void CheckChoices(List<(string Key, LocalizedText Label, string? Color, bool Archived, bool IsNew)> items, IEnumerable<string> storedKeys,
        string path, string emptyMessage, ValidationErrors errors, string element)
    {
        if (items.All(i => i.Archived)) errors.Add(path, T(emptyMessage, []));
        var stored = storedKeys.ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, label, color, _, isNew) in items)
        {
            var tidy = DesignRules.Tidy(label);
            var name = tidy.Get().Length > 0 ? tidy.Get() : key;
            if (!MetadataKeys.IsValid(key)) errors.Add($"{path}/{key}/key", T("Design.KeyInvalid", [name, key]));
            // A deleted element may stay (archived) for history, so a new one cannot take its key.
            else if (!seen.Add(key) || (isNew && stored.Contains(key))) errors.Add($"{path}/{key}/key", T("Design.KeyTaken", [name, key]));
            if (DesignRules.IsEmpty(label)) errors.Add($"{path}/{key}/label", T("Design.LabelRequired", [element + " " + key]));
            else if (DesignRules.IsTooLong(tidy)) errors.Add($"{path}/{key}/label", T("Design.LabelTooLong", [name, DesignRules.MaxLabelLength]));
            if (!ChoicePalette.IsValid(color)) errors.Add($"{path}/{key}/color", T("Design.Color", [name]));
        }
    }

    /// <summary>A deleted choice in use needs a move target: an active choice of the same list.</summary>
    private void CheckMove(Dictionary<string, string> moves, string owner, string key, LocalizedText label, int used, IEnumerable<(string Key, bool Archived)> remaining, string path, ValidationErrors errors)
    {
        if (!moves.TryGetValue(key, out var to))
        {
            if (used > 0) errors.Add(path, T("Design.OptionInUse", [owner, label.Get(), used]));
            return;
        }
        if (!remaining.Any(r => r.Key == to && !r.Archived)) errors.Add(path, T("Design.MoveTarget", [owner, to]));
    }

    private static bool ReplaceChoice(JsonObject values, string fieldKey, string from, string to)
    {
        if (values[fieldKey] is not JsonValue v || !v.TryGetValue<string>(out var key) || key != from) return false;
        values[fieldKey] = to;
        return true;
    }

    /// <summary>Field defaults that name a deleted choice follow its records to the new choice (or are cleared).</summary>
    private static async Task FollowDefaultsAsync(CrmDbContext db, string type, Func<FieldDefinition, bool> which, Dictionary<string, string> moves, IEnumerable<string> removed, DateTime now, CancellationToken ct)
    {
        var gone = removed.ToHashSet(StringComparer.Ordinal);
        if (gone.Count == 0) return;
        foreach (var field in (await db.Fields.Where(f => f.Type == type).ToListAsync(ct)).Where(which))
        {
            if (field.Settings.Default is not JsonValue v || !v.TryGetValue<string>(out var key) || !gone.Contains(key)) continue;
            field.Settings = field.Settings with { Default = moves.TryGetValue(key, out var to) ? JsonValue.Create(to) : null };
            field.UpdatedAt = now;
        }
    }

    private DesignResult ConflictResult() => DesignResult.Fail(DesignResult.GeneralKey, T("Design.Conflict", [])) with { Conflict = true };

    private static bool SameInstant(DateTime a, DateTime b) => Math.Abs((a - b).TotalMilliseconds) < 1;
}
