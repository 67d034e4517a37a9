using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Reports;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Templates;

public enum ChangeKind
{
    /// <summary>New in the template: added.</summary>
    Add,
    /// <summary>Changed in the template and untouched by the tenant: updated.</summary>
    Update,
    /// <summary>Changed by the tenant (or not from this template): the tenant's value is kept.</summary>
    KeepYours,
    /// <summary>Removed by the tenant after an earlier install: not added back.</summary>
    LeftOut,
    /// <summary>In the installed version but no longer in the template: kept as it is, with its data (an upgrade
    /// deletes nothing). The tenant may archive it in the designer.</summary>
    KeptNotInTemplate,
    /// <summary>A warning: an added element has the same label as one the tenant already has under another key
    /// (<see cref="PlannedChange.Detail"/>), typically a key renamed in the new version. Both will show.</summary>
    DuplicateLabel,
    /// <summary>The new version renamed the element's key (<c>renamedFrom</c>); <see cref="PlannedChange.Detail"/> is
    /// the old key. A field's values move with it.</summary>
    Rename,
    /// <summary>The new version removed the element (<c>removedFields</c>, <c>removedOptions</c>): archived, data kept.</summary>
    Archive,
}

/// <summary>One line of an install plan: what happens to which element ("opportunity.amount", "label").
/// <paramref name="Detail"/>: for <see cref="ChangeKind.DuplicateLabel"/> the key of the element with the same label.</summary>
public sealed record PlannedChange(ChangeKind Kind, string Element, string Path, string? Property = null, string? Detail = null);

/// <summary>
/// Applies a template to the tenant's tracked metadata with a three-way merge: the new template, the template as
/// installed before (its snapshot, if any) and the tenant's current state. Adds what is new; updates a value only
/// when the tenant still has the old template's value; keeps every change the tenant made; deletes nothing.
/// </summary>
internal sealed partial class TemplateMerger(CrmDbContext db, TemplateDocument doc, TemplateDocument? old, DateTime now)
{
    private readonly List<PlannedChange> _changes = [];
    private List<EntityType> _entities = [];
    private List<StatusList> _lists = [];

    public IReadOnlyList<PlannedChange> Changes => _changes;

    /// <summary>Members whose custom roles' permissions changed: told after the commit.</summary>
    public IReadOnlyCollection<Guid> AffectedMembers => _affected;
    private readonly HashSet<Guid> _affected = [];

    public async Task ApplyAsync(CancellationToken ct)
    {
        _entities = await db.EntityTypes.Include(e => e.Fields).Include(e => e.Pipelines).ThenInclude(p => p.Stages).ToListAsync(ct);
        _lists = await db.StatusLists.Include(s => s.Options).ToListAsync(ct);

        foreach (var list in doc.StatusLists) MergeStatusList(list, old?.StatusLists.FirstOrDefault(x => x.Key == list.Key));
        var order = _entities.Count == 0 ? 0 : _entities.Max(e => e.SortOrder) + 1;
        foreach (var entity in doc.EntityTypes) MergeEntity(entity, old?.EntityTypes.FirstOrDefault(x => x.Key == entity.Key), ref order);
        await MergeViewsAsync(ct);
        await MergeReportsAsync(ct);
        await MergeDashboardsAsync(ct);
        await MergeDepartmentsAsync(ct);
        await MergeRolesAsync(ct);
        await MergeAutomationAsync(ct);
        await FollowRenamesInViewsAndReportsAsync(ct);
        await FollowRenamesElsewhereAsync(ct);
        if (old is not null) await ReportNoLongerInTemplateAsync(old, ct);
    }

    private static bool SameLabel(LocalizedText a, LocalizedText b) => a.ZhCn == b.ZhCn || a.En == b.En;

    private void Kept(string element, string path) => _changes.Add(new PlannedChange(ChangeKind.KeptNotInTemplate, element, path));

    /// <summary>What the installed version had, the new one has not, and the tenant still has: kept, and said so.</summary>
    private async Task ReportNoLongerInTemplateAsync(TemplateDocument previous, CancellationToken ct)
    {
        foreach (var list in previous.StatusLists)
        {
            var current = _lists.FirstOrDefault(l => l.Key == list.Key);
            if (current is null) continue;
            var next = doc.StatusLists.FirstOrDefault(l => l.Key == list.Key);
            if (next is null) { Kept("statusList", list.Key); continue; }
            foreach (var option in list.Options.Where(o => next.Options.All(n => n.Key != o.Key && n.RenamedFrom != o.Key) && current.Options.Any(c => c.Key == o.Key)))
                Kept("status", $"{list.Key}.{option.Key}");
        }
        foreach (var e in previous.EntityTypes)
        {
            var current = _entities.FirstOrDefault(x => x.Key == e.Key);
            if (current is null) continue;
            var next = doc.EntityTypes.FirstOrDefault(x => x.Key == e.Key);
            if (next is null) { Kept("entityType", e.Key); continue; }
            foreach (var f in e.Fields.Where(f => next.Fields.All(n => n.Key != f.Key) && current.Fields.Any(c => c.Key == f.Key) && !RenamedOrRemoved(next, f.Key)))
                Kept("field", $"{e.Key}.{f.Key}");
            foreach (var section in e.Sections.Where(x => next.Sections.All(n => n.Key != x.Key) && current.Sections.Any(c => c.Key == x.Key)))
                Kept("section", $"{e.Key}.{section.Key}");
            foreach (var rule in (e.FormRules ?? []).Where(x => (next.FormRules ?? []).All(n => n.Key != x.Key) && current.FormRules.Any(c => c.Key == x.Key)))
                Kept("formRule", $"{e.Key}.{rule.Key}");
            foreach (var pipeline in e.Pipelines)
            {
                var currentPipeline = current.Pipelines.FirstOrDefault(x => x.Key == pipeline.Key);
                if (currentPipeline is null) continue;
                var nextPipeline = next.Pipelines.FirstOrDefault(x => x.Key == pipeline.Key);
                if (nextPipeline is null) { Kept("pipeline", $"{e.Key}.{pipeline.Key}"); continue; }
                foreach (var stage in pipeline.Stages.Where(x => nextPipeline.Stages.All(n => n.Key != x.Key && n.RenamedFrom != x.Key) && currentPipeline.Stages.Any(c => c.Key == x.Key)))
                    Kept("stage", $"{e.Key}.{pipeline.Key}.{stage.Key}");
            }
        }
        var droppedViews = previous.Views.Where(v => !doc.Views.Any(n => n.Key == v.Key && n.Entity == v.Entity)).ToList();
        if (droppedViews.Count > 0)
        {
            var views = await db.Views.Where(v => v.OwnerUserId == null).Select(v => new { v.EntityTypeId, v.Key }).ToListAsync(ct);
            foreach (var v in droppedViews)
                if (_entities.FirstOrDefault(e => e.Key == v.Entity) is { } entity && views.Any(x => x.EntityTypeId == entity.Id && x.Key == v.Key))
                    Kept("view", $"{v.Entity}.{v.Key}");
        }
        var droppedReports = previous.Reports.Where(r => doc.Reports.All(n => n.Key != r.Key)).Select(r => r.Key).ToList();
        if (droppedReports.Count > 0)
            foreach (var key in await db.Reports.Where(r => droppedReports.Contains(r.Key)).Select(r => r.Key).ToListAsync(ct))
                Kept("report", key);
        var droppedDashboards = previous.Dashboards.Where(d => doc.Dashboards.All(n => n.Key != d.Key)).Select(d => d.Key).ToList();
        if (droppedDashboards.Count > 0)
            foreach (var key in await db.Dashboards.Where(d => droppedDashboards.Contains(d.Key)).Select(d => d.Key).ToListAsync(ct))
                Kept("dashboard", key);
        var droppedRoles = previous.Roles.Where(r => doc.Roles.All(n => n.Key != r.Key)).Select(r => r.Key).ToList();
        if (droppedRoles.Count > 0)
            foreach (var key in await db.RoleDefinitions.Where(r => droppedRoles.Contains(r.Key)).Select(r => r.Key).ToListAsync(ct))
                Kept("role", key);
        await ReportAutomationNoLongerInTemplateAsync(previous, ct);
    }

    private string Origin => doc.Id;

    /// <summary>Three-way merge of one property. Returns true when the value was set.</summary>
    private bool Merge<T>(string element, string path, string property, T current, T newValue, bool hadOld, T oldValue, Action<T> set)
    {
        if (Same(current, newValue)) return false;
        if (hadOld && Same(current, oldValue))
        {
            set(newValue);
            _changes.Add(new PlannedChange(ChangeKind.Update, element, path, property));
            return true;
        }
        _changes.Add(new PlannedChange(ChangeKind.KeepYours, element, path, property));
        return false;
    }

    private static bool Same<T>(T a, T b) => Json.Serialize(a) == Json.Serialize(b);

    /// <summary>Present in the old template but gone from the tenant: the tenant removed it on purpose.</summary>
    private bool RemovedByTenant(bool inOld, string element, string path)
    {
        if (!inOld) return false;
        _changes.Add(new PlannedChange(ChangeKind.LeftOut, element, path));
        return true;
    }

    private void MergeStatusList(TemplateStatusList list, TemplateStatusList? oldList)
    {
        var current = _lists.FirstOrDefault(l => l.Key == list.Key);
        if (current is null)
        {
            if (RemovedByTenant(oldList is not null, "statusList", list.Key)) return;
            current = new StatusList
            {
                Key = list.Key,
                Label = list.Label,
                Groups = list.Groups.Select(g => new StatusGroup(g.Key, g.Label, g.Color, g.Description)).ToList(),
                Origin = Origin,
            };
            db.StatusLists.Add(current);
            _lists.Add(current);
            _changes.Add(new PlannedChange(ChangeKind.Add, "statusList", list.Key));
        }
        else
        {
            Merge("statusList", list.Key, "label", current.Label, list.Label, oldList is not null, oldList?.Label, v => current.Label = v!);
            foreach (var group in list.Groups)
            {
                var oldGroup = oldList?.Groups.FirstOrDefault(g => g.Key == group.Key);
                var existing = current.Groups.FirstOrDefault(g => g.Key == group.Key);
                var fresh = new StatusGroup(group.Key, group.Label, group.Color, group.Description);
                if (existing is null)
                {
                    if (RemovedByTenant(oldGroup is not null, "statusGroup", $"{list.Key}.{group.Key}")) continue;
                    current.Groups = [.. current.Groups, fresh];
                    _changes.Add(new PlannedChange(ChangeKind.Add, "statusGroup", $"{list.Key}.{group.Key}"));
                }
                else
                {
                    var oldFresh = oldGroup is null ? null : new StatusGroup(oldGroup.Key, oldGroup.Label, oldGroup.Color, oldGroup.Description);
                    Merge("statusGroup", $"{list.Key}.{group.Key}", "definition", existing, fresh, oldGroup is not null, oldFresh,
                        v => current.Groups = current.Groups.Select(g => g.Key == group.Key ? v! : g).ToList());
                }
            }
        }

        for (var i = 0; i < list.Options.Count; i++)
        {
            var option = list.Options[i];
            var oldOption = oldList?.Options.FirstOrDefault(o => o.Key == option.Key);
            var existing = current.Options.FirstOrDefault(o => o.Key == option.Key);
            var path = $"{list.Key}.{option.Key}";
            if (existing is null && option.RenamedFrom is { } fromStatus && current.Options.FirstOrDefault(o => o.Key == fromStatus) is { } renamedStatus)
            {
                // Records point at the status by id: only the key changes.
                renamedStatus.Key = option.Key;
                existing = renamedStatus;
                oldOption = oldList?.Options.FirstOrDefault(o => o.Key == fromStatus);
                Renamed("status", path, fromStatus);
                _statusRenames.Add(new StatusRename(list.Key, fromStatus, option.Key));
            }
            if (existing is null)
            {
                if (RemovedByTenant(oldOption is not null, "status", path)) continue;
                var previous = i == 0 ? null : current.Options.FirstOrDefault(o => o.Key == list.Options[i - 1].Key);
                var added = new StatusOption
                {
                    StatusListId = current.Id,
                    Key = option.Key,
                    Label = option.Label,
                    GroupKey = option.Group,
                    Color = option.Color ?? Palette(i),
                    Description = option.Description,
                };
                current.Options.Add(added);
                Reorder(current.Options, added, previous, i == 0, o => o.SortOrder, (o, v) => o.SortOrder = v);
                _changes.Add(new PlannedChange(ChangeKind.Add, "status", path));
                continue;
            }
            var had = oldOption is not null;
            Merge("status", path, "label", existing.Label, option.Label, had, oldOption?.Label, v => existing.Label = v!);
            Merge("status", path, "group", existing.GroupKey, option.Group, had, oldOption?.Group, v => existing.GroupKey = v);
            if (option.Color is not null) Merge("status", path, "color", existing.Color, option.Color, had, oldOption?.Color ?? existing.Color, v => existing.Color = v!);
        }
        if (current.Options.Any(o => db.Entry(o).State is EntityState.Modified or EntityState.Added) || db.Entry(current).State == EntityState.Modified)
            current.UpdatedAt = now;
    }

    private void MergeEntity(TemplateEntityType e, TemplateEntityType? oldEntity, ref int order)
    {
        var current = _entities.FirstOrDefault(x => x.Key == e.Key);
        var had = oldEntity is not null;
        if (current is null)
        {
            if (RemovedByTenant(had, "entityType", e.Key)) return;
            current = new EntityType
            {
                Key = e.Key,
                Label = e.Label,
                PluralLabel = e.PluralLabel ?? e.Label,
                Description = e.Description,
                Icon = e.Icon ?? "Description",
                SortOrder = order++,
                TitleFieldKey = e.TitleField,
                AmountFieldKey = e.AmountField,
                CloseDateFieldKey = e.CloseDateField,
                OwnerFieldKey = e.OwnerField,
                StatusFieldKey = e.StatusField,
                StageFieldKey = e.StageField,
                LostReasonFieldKey = e.LostReasonField,
                Sections = e.Sections.Count > 0
                    ? e.Sections.Select(s => new FormSection(s.Key, s.Label, Math.Clamp(s.Columns, 1, 2))).ToList()
                    : [new FormSection(TemplateMapping.DefaultSectionKey, TemplateMapping.DefaultSectionLabel)],
                Origin = Origin,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.EntityTypes.Add(current);
            _entities.Add(current);
            _changes.Add(new PlannedChange(ChangeKind.Add, "entityType", e.Key));
        }
        else
        {
            var p = e.Key;
            Merge("entityType", p, "label", current.Label, e.Label, had, oldEntity?.Label, v => current.Label = v!);
            Merge("entityType", p, "pluralLabel", current.PluralLabel, e.PluralLabel ?? e.Label, had, oldEntity?.PluralLabel ?? oldEntity?.Label, v => current.PluralLabel = v!);
            Merge("entityType", p, "icon", current.Icon, e.Icon ?? current.Icon, had, oldEntity?.Icon ?? current.Icon, v => current.Icon = v!);
            // Bindings: fill what the tenant has not bound; change a binding only when the tenant kept the old one.
            Bind(p, "titleField", current.TitleFieldKey, e.TitleField, oldEntity?.TitleField, v => current.TitleFieldKey = v!);
            Bind(p, "amountField", current.AmountFieldKey, e.AmountField, oldEntity?.AmountField, v => current.AmountFieldKey = v);
            Bind(p, "closeDateField", current.CloseDateFieldKey, e.CloseDateField, oldEntity?.CloseDateField, v => current.CloseDateFieldKey = v);
            Bind(p, "ownerField", current.OwnerFieldKey, e.OwnerField, oldEntity?.OwnerField, v => current.OwnerFieldKey = v);
            Bind(p, "statusField", current.StatusFieldKey, e.StatusField, oldEntity?.StatusField, v => current.StatusFieldKey = v);
            Bind(p, "stageField", current.StageFieldKey, e.StageField, oldEntity?.StageField, v => current.StageFieldKey = v);
            Bind(p, "lostReasonField", current.LostReasonFieldKey, e.LostReasonField, oldEntity?.LostReasonField, v => current.LostReasonFieldKey = v);
            foreach (var section in e.Sections.Where(s => current.Sections.All(c => c.Key != s.Key)))
            {
                if (RemovedByTenant(oldEntity?.Sections.Any(o => o.Key == section.Key) == true, "section", $"{p}.{section.Key}")) continue;
                current.Sections = [.. current.Sections, new FormSection(section.Key, section.Label, Math.Clamp(section.Columns, 1, 2))];
                _changes.Add(new PlannedChange(ChangeKind.Add, "section", $"{p}.{section.Key}"));
            }
            current.UpdatedAt = now;
        }

        var defaultSection = current.Sections.FirstOrDefault()?.Key ?? TemplateMapping.DefaultSectionKey;
        for (var i = 0; i < e.Fields.Count; i++) MergeField(current, e, i, oldEntity, defaultSection);
        ArchiveRemovedFields(current, e);
        foreach (var pipeline in e.Pipelines) MergePipeline(current, pipeline, oldEntity?.Pipelines.FirstOrDefault(x => x.Key == pipeline.Key));
        MergeFormRules(current, e, oldEntity);
    }

    private void Bind(string entity, string property, string? current, string? next, string? old, Action<string?> set)
    {
        if (next is null || current == next) return;
        if (current is null || current.Length == 0)
        {
            set(next);
            _changes.Add(new PlannedChange(ChangeKind.Update, "entityType", entity, property));
            return;
        }
        Merge("entityType", entity, property, current, next, old is not null, old, set);
    }

    private void MergeField(EntityType entity, TemplateEntityType e, int index, TemplateEntityType? oldEntity, string defaultSection)
    {
        var f = e.Fields[index];
        var oldField = oldEntity?.Fields.FirstOrDefault(x => x.Key == f.Key);
        var current = entity.Fields.FirstOrDefault(x => x.Key == f.Key);
        var path = $"{e.Key}.{f.Key}";
        if (current is null && f.RenamedFrom is { } from)
        {
            current = RenameField(entity, f, path, out var kept);
            if (kept) return;
            if (current is not null) oldField = oldEntity?.Fields.FirstOrDefault(x => x.Key == from);
        }
        if (current is null)
        {
            if (RemovedByTenant(oldField is not null, "field", path)) return;
            if (entity.Fields.FirstOrDefault(x => !x.IsArchived && SameLabel(x.Label, f.Label)) is { } fieldTwin)
                _changes.Add(new PlannedChange(ChangeKind.DuplicateLabel, "field", path, Detail: fieldTwin.Key));
            var previous = index == 0 ? null : entity.Fields.FirstOrDefault(x => x.Key == e.Fields[index - 1].Key);
            var added = new FieldDefinition
            {
                EntityTypeId = entity.Id,
                Key = f.Key,
                Type = f.Type,
                Label = f.Label,
                HelpText = f.Help,
                SectionKey = f.Section ?? defaultSection,
                Settings = TemplateMapping.Settings(f),
                Origin = Origin,
                CreatedAt = now,
                UpdatedAt = now,
            };
            entity.Fields.Add(added);
            Reorder(entity.Fields, added, previous, index == 0, x => x.SortOrder, (x, v) => x.SortOrder = v);
            _changes.Add(new PlannedChange(ChangeKind.Add, "field", path));
            return;
        }

        var had = oldField is not null;
        if (current.Type != f.Type)
        {
            // A type change needs the designer's conversion preview; an upgrade never changes a type.
            _changes.Add(new PlannedChange(ChangeKind.KeepYours, "field", path, "type"));
            return;
        }
        var changed = false;
        changed |= Merge("field", path, "label", current.Label, f.Label, had, oldField?.Label, v => current.Label = v!);
        changed |= Merge("field", path, "help", current.HelpText, f.Help, had, oldField?.Help, v => current.HelpText = v);

        // Settings: options merge by key (new ones are added); the rest is merged as one value.
        var next = TemplateMapping.Settings(f);
        var oldSettings = oldField is null ? null : TemplateMapping.Settings(oldField);
        var options = ArchiveRemovedOptions(path, MergeOptions(path, current.Settings.Options, next.Options, oldSettings?.Options, f, entity, current), f);
        // A subform's columns merge by key too: new ones are added, each existing one is merged as one value.
        var columns = MergeColumns(path, current.Settings.Columns, next.Columns, oldSettings?.Columns);
        // The rename history is the workspace's own (not a template setting): left out of the comparison, kept.
        var currentRest = current.Settings with { Options = null, Columns = null, FormerKeys = null };
        var nextRest = next with { Options = null, Columns = null, FormerKeys = null };
        var oldRest = oldSettings is null ? null : oldSettings with { Options = null, Columns = null, FormerKeys = null };
        var rest = currentRest;
        changed |= Merge("field", path, "settings", currentRest, nextRest, had, oldRest, v => rest = v!);
        var merged = rest with { Options = options, Columns = columns, FormerKeys = current.Settings.FormerKeys };
        if (!Same(merged, current.Settings))
        {
            current.Settings = merged;
            changed = true;
        }
        if (changed) current.UpdatedAt = now;
    }

    private List<SubformColumn>? MergeColumns(string path, List<SubformColumn>? current, List<SubformColumn>? next, List<SubformColumn>? old)
    {
        if (next is null) return current;
        var result = current?.ToList() ?? [];
        for (var i = 0; i < next.Count; i++)
        {
            var column = next[i];
            var oldColumn = old?.FirstOrDefault(c => c.Key == column.Key);
            var index = result.FindIndex(c => c.Key == column.Key);
            var cp = $"{path}.{column.Key}";
            if (index < 0)
            {
                if (RemovedByTenant(oldColumn is not null, "column", cp)) continue;
                var after = i == 0 ? -1 : result.FindIndex(c => c.Key == next[i - 1].Key);
                result.Insert(after < 0 ? (i == 0 ? 0 : result.Count) : after + 1, column);
                _changes.Add(new PlannedChange(ChangeKind.Add, "column", cp));
            }
            else if (result[index].Type != column.Type) _changes.Add(new PlannedChange(ChangeKind.KeepYours, "column", cp, "type"));
            else Merge("column", cp, "settings", result[index], column, oldColumn is not null, oldColumn, v => result[index] = v!);
        }
        return result;
    }

    private List<ChoiceOption>? MergeOptions(string path, List<ChoiceOption>? current, List<ChoiceOption>? next, List<ChoiceOption>? old,
        TemplateField? field = null, EntityType? entity = null, FieldDefinition? definition = null)
    {
        if (next is null) return current;
        var result = current?.ToList() ?? [];
        for (var i = 0; i < next.Count; i++)
        {
            var option = next[i];
            var oldOption = old?.FirstOrDefault(o => o.Key == option.Key);
            var index = result.FindIndex(o => o.Key == option.Key);
            if (index < 0 && field?.Options is { } choices && i < choices.Count && choices[i] is { RenamedFrom: { } fromOption } choice && choice.Key == option.Key)
            {
                index = RenameOption(result, choice, path, entity, definition);
                if (index >= 0) oldOption = old?.FirstOrDefault(o => o.Key == fromOption);
            }
            if (index < 0)
            {
                if (RemovedByTenant(oldOption is not null, "option", $"{path}.{option.Key}")) continue;
                var after = i == 0 ? -1 : result.FindIndex(o => o.Key == next[i - 1].Key);
                result.Insert(after < 0 ? (i == 0 ? 0 : result.Count) : after + 1, option);
                _changes.Add(new PlannedChange(ChangeKind.Add, "option", $"{path}.{option.Key}"));
            }
            else
            {
                var existing = result[index];
                Merge("option", $"{path}.{option.Key}", "label", existing with { IsArchived = false }, option, oldOption is not null, oldOption,
                    v => result[index] = v! with { IsArchived = existing.IsArchived });
            }
        }
        return result;
    }

    private void MergePipeline(EntityType entity, TemplatePipeline p, TemplatePipeline? oldPipeline)
    {
        var current = entity.Pipelines.FirstOrDefault(x => x.Key == p.Key);
        var path = $"{entity.Key}.{p.Key}";
        if (current is null)
        {
            if (RemovedByTenant(oldPipeline is not null, "pipeline", path)) return;
            current = new Pipeline
            {
                EntityTypeId = entity.Id,
                Key = p.Key,
                Label = p.Label,
                IsDefault = p.Default && entity.Pipelines.All(x => !x.IsDefault),
                SortOrder = entity.Pipelines.Count == 0 ? 0 : entity.Pipelines.Max(x => x.SortOrder) + 1,
                Origin = Origin,
                UpdatedAt = now,
            };
            entity.Pipelines.Add(current);
            _changes.Add(new PlannedChange(ChangeKind.Add, "pipeline", path));
        }
        else
        {
            Merge("pipeline", path, "label", current.Label, p.Label, oldPipeline is not null, oldPipeline?.Label, v => current.Label = v!);
        }
        if (entity.Pipelines.All(x => !x.IsDefault)) current.IsDefault = true;

        for (var i = 0; i < p.Stages.Count; i++)
        {
            var s = p.Stages[i];
            var oldStage = oldPipeline?.Stages.FirstOrDefault(x => x.Key == s.Key);
            var existing = current.Stages.FirstOrDefault(x => x.Key == s.Key);
            var sp = $"{path}.{s.Key}";
            if (existing is null && s.RenamedFrom is { } fromStage && current.Stages.FirstOrDefault(x => x.Key == fromStage) is { } renamedStage)
            {
                // Records point at the stage by id: only the key changes.
                renamedStage.Key = s.Key;
                existing = renamedStage;
                oldStage = oldPipeline?.Stages.FirstOrDefault(x => x.Key == fromStage);
                Renamed("stage", sp, fromStage);
                _stageRenames.Add(new StageRename(entity.Id, fromStage, s.Key));
            }
            if (existing is null)
            {
                if (RemovedByTenant(oldStage is not null, "stage", sp)) continue;
                // A renamed key in a new version arrives as a new stage: a second column with the same label.
                if (current.Stages.FirstOrDefault(x => !x.IsArchived && SameLabel(x.Label, s.Label)) is { } stageTwin)
                    _changes.Add(new PlannedChange(ChangeKind.DuplicateLabel, "stage", sp, Detail: stageTwin.Key));
                var previous = i == 0 ? null : current.Stages.FirstOrDefault(x => x.Key == p.Stages[i - 1].Key);
                var added = new PipelineStage
                {
                    PipelineId = current.Id,
                    Key = s.Key,
                    Label = s.Label,
                    Color = s.Color ?? Palette(i),
                    Probability = Math.Clamp(s.Probability, 0, 100),
                    Kind = TemplateMapping.Kind(s.Kind),
                    StaleAfterDays = s.StaleAfterDays,
                };
                current.Stages.Add(added);
                Reorder(current.Stages, added, previous, i == 0, x => x.SortOrder, (x, v) => x.SortOrder = v);
                _changes.Add(new PlannedChange(ChangeKind.Add, "stage", sp));
                continue;
            }
            var had = oldStage is not null;
            Merge("stage", sp, "label", existing.Label, s.Label, had, oldStage?.Label, v => existing.Label = v!);
            Merge("stage", sp, "probability", existing.Probability, s.Probability, had, oldStage?.Probability ?? -1, v => existing.Probability = v);
            Merge("stage", sp, "kind", TemplateMapping.Kind(existing.Kind), s.Kind, had, oldStage?.Kind, v => existing.Kind = TemplateMapping.Kind(v!));
            Merge("stage", sp, "staleAfterDays", existing.StaleAfterDays, s.StaleAfterDays, had, oldStage?.StaleAfterDays, v => existing.StaleAfterDays = v);
            if (s.Color is not null) Merge("stage", sp, "color", existing.Color, s.Color, had, oldStage?.Color ?? existing.Color, v => existing.Color = v!);
        }
    }

    private async Task MergeViewsAsync(CancellationToken ct)
    {
        if (doc.Views.Count == 0) return;
        var views = await db.Views.Where(v => v.OwnerUserId == null).ToListAsync(ct);
        foreach (var v in doc.Views)
        {
            var entity = _entities.FirstOrDefault(e => e.Key == v.Entity);
            if (entity is null) continue;
            var oldView = old?.Views.FirstOrDefault(x => x.Key == v.Key && x.Entity == v.Entity);
            var current = views.FirstOrDefault(x => x.EntityTypeId == entity.Id && x.Key == v.Key);
            var path = $"{v.Entity}.{v.Key}";
            var kind = v.Kind == "kanban" ? ViewKind.Kanban : ViewKind.List;
            if (current is null)
            {
                if (RemovedByTenant(oldView is not null, "view", path)) continue;
                var hasDefault = views.Any(x => x.EntityTypeId == entity.Id && x.Kind == kind && x.IsDefault);
                current = new SavedView
                {
                    EntityTypeId = entity.Id,
                    Key = v.Key,
                    Name = v.Label,
                    Kind = kind,
                    IsDefault = v.Default && !hasDefault,
                    SortOrder = views.Count(x => x.EntityTypeId == entity.Id),
                    Definition = TemplateMapping.ViewDefinition(v),
                    Origin = Origin,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                db.Views.Add(current);
                views.Add(current);
                _changes.Add(new PlannedChange(ChangeKind.Add, "view", path));
                continue;
            }
            var had = oldView is not null;
            Merge("view", path, "label", current.Name, v.Label, had, oldView?.Label, x => current.Name = x!);
            if (Merge("view", path, "definition", current.Definition, TemplateMapping.ViewDefinition(v), had, oldView is null ? null : TemplateMapping.ViewDefinition(oldView), x => current.Definition = x!))
                current.UpdatedAt = now;
        }
    }

    private async Task MergeReportsAsync(CancellationToken ct)
    {
        if (doc.Reports.Count == 0) return;
        var reports = await db.Reports.ToListAsync(ct);
        foreach (var r in doc.Reports)
        {
            var entity = _entities.FirstOrDefault(e => e.Key == r.Entity);
            if (entity is null) continue;
            var oldReport = old?.Reports.FirstOrDefault(x => x.Key == r.Key);
            var current = reports.FirstOrDefault(x => x.Key == r.Key);
            if (current is null)
            {
                if (RemovedByTenant(oldReport is not null, "report", r.Key)) continue;
                current = new ReportDefinition
                {
                    Key = r.Key,
                    Name = r.Label,
                    Description = r.Description,
                    EntityTypeId = entity.Id,
                    Spec = TemplateMapping.ReportSpec(r),
                    Origin = Origin,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                db.Reports.Add(current);
                reports.Add(current);
                _changes.Add(new PlannedChange(ChangeKind.Add, "report", r.Key));
                continue;
            }
            var had = oldReport is not null;
            Merge("report", r.Key, "label", current.Name, r.Label, had, oldReport?.Label, x => current.Name = x!);
            if (Merge("report", r.Key, "definition", current.Spec, TemplateMapping.ReportSpec(r), had, oldReport is null ? null : TemplateMapping.ReportSpec(oldReport), x => current.Spec = x!))
                current.UpdatedAt = now;
        }
    }

    private async Task MergeDashboardsAsync(CancellationToken ct)
    {
        if (doc.Dashboards.Count == 0) return;
        var dashboards = await db.Dashboards.ToListAsync(ct);
        foreach (var d in doc.Dashboards)
        {
            var oldDashboard = old?.Dashboards.FirstOrDefault(x => x.Key == d.Key);
            var current = dashboards.FirstOrDefault(x => x.Key == d.Key);
            if (current is null)
            {
                if (RemovedByTenant(oldDashboard is not null, "dashboard", d.Key)) continue;
                current = new Dashboard
                {
                    Key = d.Key,
                    Name = d.Label,
                    IsDefault = d.Default && dashboards.All(x => !x.IsDefault),
                    Widgets = TemplateMapping.Widgets(d),
                    Origin = Origin,
                    UpdatedAt = now,
                };
                db.Dashboards.Add(current);
                dashboards.Add(current);
                _changes.Add(new PlannedChange(ChangeKind.Add, "dashboard", d.Key));
                continue;
            }
            var had = oldDashboard is not null;
            Merge("dashboard", d.Key, "label", current.Name, d.Label, had, oldDashboard?.Label, x => current.Name = x!);
            if (Merge("dashboard", d.Key, "widgets", current.Widgets, TemplateMapping.Widgets(d), had, oldDashboard is null ? null : TemplateMapping.Widgets(oldDashboard), x => current.Widgets = x!))
                current.UpdatedAt = now;
        }
    }

    private async Task MergeRolesAsync(CancellationToken ct)
    {
        if (doc.Roles.Count == 0) return;
        var roles = await db.RoleDefinitions.ToListAsync(ct);
        var permissions = await db.EntityPermissions.ToListAsync(ct);
        foreach (var r in doc.Roles)
        {
            var oldRole = old?.Roles.FirstOrDefault(x => x.Key == r.Key);
            var current = roles.FirstOrDefault(x => x.Key == r.Key);
            if (current is null)
            {
                if (RemovedByTenant(oldRole is not null, "role", r.Key)) continue;
                current = new RoleDefinition { Key = r.Key, Label = r.Label, BaseRole = TemplateMapping.BaseRole(r.BaseRole), Description = r.Description, Origin = Origin };
                db.RoleDefinitions.Add(current);
                roles.Add(current);
                _changes.Add(new PlannedChange(ChangeKind.Add, "role", r.Key));
                foreach (var (entityKey, p) in r.Permissions ?? [])
                    AddPermission(current, entityKey, p, permissions);
                continue;
            }
            var had = oldRole is not null;
            Merge("role", r.Key, "label", current.Label, r.Label, had, oldRole?.Label, x => current.Label = x!);
            Merge("role", r.Key, "baseRole", current.BaseRole, TemplateMapping.BaseRole(r.BaseRole), had, oldRole is null ? current.BaseRole : TemplateMapping.BaseRole(oldRole.BaseRole), x => current.BaseRole = x);
            foreach (var (entityKey, p) in r.Permissions ?? [])
                MergePermission(current, entityKey, p, oldRole?.Permissions?.GetValueOrDefault(entityKey), permissions);
        }
    }

    private void AddPermission(RoleDefinition role, string entityKey, TemplatePermission p, List<EntityPermission> permissions)
    {
        if (_entities.FirstOrDefault(e => e.Key == entityKey) is not { } entity) return;
        var input = TemplateMapping.Permission(p);
        var row = new EntityPermission
        {
            RoleId = role.Id, EntityTypeId = entity.Id, CanCreate = input.CanCreate, Read = input.Read, Edit = input.Edit, Delete = input.Delete,
            OwnerFieldKeys = input.OwnerFieldKeys.ToList(), Fields = input.Fields.ToDictionary(),
        };
        db.EntityPermissions.Add(row);
        permissions.Add(row);
        _changes.Add(new PlannedChange(ChangeKind.Add, "permission", $"{role.Key}.{entityKey}"));
    }

    /// <summary>
    /// Three-way merge of a role's rights on one entity type, property by property and field by field: what the
    /// admin changed on the settings page stays, what the template changed (and the admin did not) follows.
    /// </summary>
    private void MergePermission(RoleDefinition role, string entityKey, TemplatePermission p, TemplatePermission? oldP, List<EntityPermission> permissions)
    {
        if (_entities.FirstOrDefault(e => e.Key == entityKey) is not { } entity) return;
        var current = permissions.FirstOrDefault(x => x.RoleId == role.Id && x.EntityTypeId == entity.Id);
        var path = $"{role.Key}.{entityKey}";
        if (current is null)
        {
            if (RemovedByTenant(oldP is not null, "permission", path)) return;
            AddPermission(role, entityKey, p, permissions);
            _affected.UnionWith(MembersOf(role));
            return;
        }
        var had = oldP is not null;
        var next = TemplateMapping.Permission(p);
        var before = oldP is null ? null : TemplateMapping.Permission(oldP);
        var changed = false;
        changed |= Merge("permission", path, "create", current.CanCreate, next.CanCreate, had, before?.CanCreate ?? false, x => current.CanCreate = x);
        changed |= Merge("permission", path, "read", current.Read, next.Read, had, before?.Read ?? DataScope.None, x => current.Read = x);
        changed |= Merge("permission", path, "edit", current.Edit, next.Edit, had, before?.Edit ?? DataScope.None, x => current.Edit = x);
        changed |= Merge("permission", path, "delete", current.Delete, next.Delete, had, before?.Delete ?? DataScope.None, x => current.Delete = x);
        changed |= Merge("permission", path, "ownerFields", current.OwnerFieldKeys.Order(StringComparer.Ordinal).ToList(), next.OwnerFieldKeys.ToList(), had,
            before?.OwnerFieldKeys.ToList() ?? [], x => current.OwnerFieldKeys = x!);
        var keys = next.Fields.Keys.Concat(before?.Fields.Keys ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var level = current.Fields.GetValueOrDefault(key, FieldAccessLevel.Editable);
            var nextLevel = next.Fields.GetValueOrDefault(key, FieldAccessLevel.Editable);
            var oldLevel = before?.Fields.GetValueOrDefault(key, FieldAccessLevel.Editable) ?? level;
            changed |= Merge("permission", path, $"fields.{key}", level, nextLevel, had, oldLevel, x =>
            {
                var fields = new Dictionary<string, FieldAccessLevel>(current.Fields);
                if (x == FieldAccessLevel.Editable) fields.Remove(key); else fields[key] = x;
                current.Fields = fields;
            });
        }
        if (changed) _affected.UnionWith(MembersOf(role));
    }

    private IEnumerable<Guid> MembersOf(RoleDefinition role)
        => db.MemberRoleAssignments.Local.Where(a => a.RoleId == role.Id).Select(a => a.UserId).Concat(_assignments.Where(a => a.RoleId == role.Id).Select(a => a.UserId));

    private List<MemberRoleAssignment> _assignments = [];

    /// <summary>Departments by key: new ones are added (parents resolved by key), names and parents merged.</summary>
    private async Task MergeDepartmentsAsync(CancellationToken ct)
    {
        _assignments = await db.MemberRoleAssignments.AsNoTracking().ToListAsync(ct);
        if (doc.Departments is not { Count: > 0 } wanted) return;
        var departments = await db.Departments.ToListAsync(ct);
        var added = new List<(Department Department, TemplateDepartment Template)>();
        foreach (var d in wanted)
        {
            var oldDepartment = old?.Departments?.FirstOrDefault(x => x.Key == d.Key);
            var current = departments.FirstOrDefault(x => x.Key == d.Key);
            if (current is null)
            {
                if (RemovedByTenant(oldDepartment is not null, "department", d.Key)) continue;
                current = new Department { Key = d.Key, Name = d.Name.Trim(), SortOrder = departments.Count };
                db.Departments.Add(current);
                departments.Add(current);
                added.Add((current, d));
                _changes.Add(new PlannedChange(ChangeKind.Add, "department", d.Key));
                continue;
            }
            var had = oldDepartment is not null;
            Merge("department", d.Key, "name", current.Name, d.Name.Trim(), had, oldDepartment?.Name.Trim(), x => current.Name = x!);
            var parentNow = departments.FirstOrDefault(x => x.Id == current.ParentId)?.Key;
            Merge("department", d.Key, "parent", parentNow, d.Parent, had, oldDepartment?.Parent, x =>
            {
                var parent = departments.FirstOrDefault(p => p.Key == x);
                // Never under itself or below itself (the admin may have moved things around).
                if (parent is not null && new OrgChart(departments, []).Subtree(current.Id).Contains(parent.Id)) return;
                current.ParentId = parent?.Id;
            });
        }
        foreach (var (department, template) in added)
            department.ParentId = template.Parent is { } key ? departments.FirstOrDefault(x => x.Key == key)?.Id : null;
    }

    /// <summary>Puts <paramref name="item"/> right after <paramref name="previous"/> (or first) and renumbers 0..n.</summary>
    private static void Reorder<T>(List<T> items, T item, T? previous, bool atStart, Func<T, int> get, Action<T, int> set) where T : class
    {
        // After its template predecessor; first when it is first in the template; else at the end.
        var ordered = items.Where(x => !ReferenceEquals(x, item)).OrderBy(get).ToList();
        var at = previous is not null ? ordered.IndexOf(previous) + 1 : atStart ? 0 : ordered.Count;
        ordered.Insert(Math.Clamp(at, 0, ordered.Count), item);
        for (var i = 0; i < ordered.Count; i++) set(ordered[i], i);
    }

    private static readonly string[] Colors = ["#4dabf7", "#748ffc", "#9775fa", "#f783ac", "#ff8787", "#ffa94d", "#ffd43b", "#69db7c", "#38d9a9", "#3bc9db"];
    public static string Palette(int i) => Colors[i % Colors.Length];
}
