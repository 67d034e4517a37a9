using System.Text.RegularExpressions;
using Crm.Core.Metadata;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Templates;

/// <summary>A field key renamed by an upgrade: its values move in the records (<see cref="Records.RecordWriter.MoveFieldKeyAsync"/>).</summary>
internal sealed record FieldRename(Guid EntityTypeId, string From, string To);

/// <summary>An option key of a select or multi-select field renamed by an upgrade: stored values are rewritten.</summary>
internal sealed record OptionRename(Guid EntityTypeId, string Field, bool Multiple, string From, string To);

/// <summary>
/// Renamed keys and removed items of a new template version (<c>renamedFrom</c>, <c>removedFields</c>,
/// <c>removedOptions</c>): the element the workspace has under the old key takes the new key, and what refers to
/// it by key follows (bindings, formulas, form rules, views, reports); removed fields and options are archived,
/// never deleted. An element the workspace made or changed the type of itself is kept (<see cref="ChangeKind.KeepYours"/>).
/// </summary>
internal sealed partial class TemplateMerger
{
    private readonly List<FieldRename> _fieldRenames = [];
    private readonly List<OptionRename> _optionRenames = [];

    public IReadOnlyList<FieldRename> FieldRenames => _fieldRenames;
    public IReadOnlyList<OptionRename> OptionRenames => _optionRenames;

    private void Renamed(string element, string path, string from) => _changes.Add(new PlannedChange(ChangeKind.Rename, element, path, "key", from));

    /// <summary>
    /// The workspace's field under <paramref name="f"/>'s <c>renamedFrom</c> key, renamed to the new key (with what
    /// refers to it), or null when there is none; a field of another type or one the workspace made keeps its key.
    /// <paramref name="kept"/>: the rename was refused (nothing more is done for this template field).
    /// </summary>
    private FieldDefinition? RenameField(EntityType entity, TemplateField f, string path, out bool kept)
    {
        kept = false;
        if (f.RenamedFrom is not { } from || entity.Fields.FirstOrDefault(x => x.Key == from) is not { } field) return null;
        if (field.Type != f.Type || field.Origin != Origin)
        {
            _changes.Add(new PlannedChange(ChangeKind.KeepYours, "field", path, "key", from));
            kept = true;
            return null;
        }
        field.Key = f.Key;
        // The rename history: the timeline tells changes written under the old key with this field's label.
        field.Settings = field.Settings with { FormerKeys = [.. field.Settings.FormerKeys ?? [], from] };
        field.UpdatedAt = now;
        string? Follow(string? key) => key == from ? f.Key : key;
        entity.TitleFieldKey = Follow(entity.TitleFieldKey)!;
        entity.AmountFieldKey = Follow(entity.AmountFieldKey);
        entity.CloseDateFieldKey = Follow(entity.CloseDateFieldKey);
        entity.OwnerFieldKey = Follow(entity.OwnerFieldKey);
        entity.StatusFieldKey = Follow(entity.StatusFieldKey);
        entity.StageFieldKey = Follow(entity.StageFieldKey);
        entity.LostReasonFieldKey = Follow(entity.LostReasonFieldKey);
        // Formulas of the same entity type name fields by key ("amount * 2", "SUM(items.subtotal)"), but not inside a
        // roll-up's field and condition arguments, which are read in the related records (FollowQualified does those).
        var word = new Regex(@"(?<![A-Za-z0-9_.])" + Regex.Escape(from) + @"(?![A-Za-z0-9_])", RegexOptions.CultureInvariant);
        foreach (var other in entity.Fields.Where(x => x.Settings.Expression is { } e && word.IsMatch(e)))
        {
            other.Settings = other.Settings with { Expression = RenameOwnName(other.Settings.Expression!, from, f.Key, word) };
            other.UpdatedAt = now;
        }
        if (entity.FormRules.Count > 0)
            entity.FormRules = entity.FormRules.Select(r => r with
            {
                Fields = r.Fields.Select(k => Follow(k)!).ToList(),
                When = r.When with { Filters = r.When.Filters.Select(x => x.Field == from ? x with { Field = f.Key } : x).ToList() },
            }).ToList();
        _fieldRenames.Add(new FieldRename(entity.Id, from, f.Key));
        Renamed("field", path, from);
        return field;
    }

    /// <summary>The names of the formula's own record whose field (the part before a dot: <c>items</c> of
    /// <c>items.subtotal</c>) is <paramref name="from"/> take <paramref name="to"/>; names read in a roll-up's related
    /// records and text literals are left. A formula that does not parse gets the plain word replacement.</summary>
    private static string RenameOwnName(string expression, string from, string to, Regex word)
    {
        try
        {
            return Records.FormulaExpression.Rewrite(expression, s =>
                s.Kind == Records.FormulaExpression.SpanKind.Name && s.Entity is null && Head(s.Text) == from ? to + s.Text[from.Length..] : null);
        }
        catch (FormatException) { return word.Replace(expression, to); }
    }

    private static string Head(string name) => name.IndexOf('.') is > 0 and var dot ? name[..dot] : name;

    /// <summary>Fields the new version lists in <c>removedFields</c>: archived (their values stay in the records). A
    /// field the workspace made itself, or one bound to a record column, is kept.</summary>
    private void ArchiveRemovedFields(EntityType entity, TemplateEntityType e)
    {
        foreach (var key in e.RemovedFields ?? [])
        {
            if (entity.Fields.FirstOrDefault(x => x.Key == key && !x.IsArchived) is not { } field) continue;
            var path = $"{e.Key}.{key}";
            var bound = key == entity.TitleFieldKey || key == entity.AmountFieldKey || key == entity.CloseDateFieldKey || key == entity.OwnerFieldKey
                || key == entity.StatusFieldKey || key == entity.StageFieldKey || key == entity.LostReasonFieldKey;
            if (field.Origin != Origin || bound)
            {
                _changes.Add(new PlannedChange(ChangeKind.KeepYours, "field", path, "removed"));
                continue;
            }
            field.IsArchived = true;
            field.UpdatedAt = now;
            _changes.Add(new PlannedChange(ChangeKind.Archive, "field", path));
        }
    }

    /// <summary>A renamed option: the workspace's option under the old key takes the new one (the caller merges its label).</summary>
    private int RenameOption(List<ChoiceOption> options, TemplateChoice option, string path, EntityType? entity, FieldDefinition? field)
    {
        if (option.RenamedFrom is not { } from) return -1;
        var index = options.FindIndex(o => o.Key == from);
        if (index < 0) return -1;
        options[index] = options[index] with { Key = option.Key };
        if (entity is not null && field is not null)
            _optionRenames.Add(new OptionRename(entity.Id, field.Key, field.Type == Fields.FieldTypes.MultiSelect, from, option.Key));
        Renamed("option", $"{path}.{option.Key}", from);
        return index;
    }

    /// <summary>Options the new version lists in <c>removedOptions</c>: archived (values naming them stay).</summary>
    private List<ChoiceOption>? ArchiveRemovedOptions(string path, List<ChoiceOption>? options, TemplateField f)
    {
        if (options is null || f.RemovedOptions is not { Count: > 0 } removed) return options;
        return options.Select(o =>
        {
            if (!removed.Contains(o.Key) || o.IsArchived) return o;
            _changes.Add(new PlannedChange(ChangeKind.Archive, "option", $"{path}.{o.Key}"));
            return o with { IsArchived = true };
        }).ToList();
    }

    /// <summary>Shared views and template reports of an entity type whose fields were renamed: columns, sorts,
    /// filters, group-bys and measures follow the new keys (personal views too: they name the same fields).</summary>
    private async Task FollowRenamesInViewsAndReportsAsync(CancellationToken ct)
    {
        if (_fieldRenames.Count == 0) return;
        foreach (var group in _fieldRenames.GroupBy(r => r.EntityTypeId))
        {
            var entityId = group.Key;
            var map = group.ToDictionary(r => r.From, r => r.To, StringComparer.Ordinal);
            string Follow(string key) => map.TryGetValue(key, out var to) ? to : key;
            List<FilterSpec> Filters(List<FilterSpec> filters) => filters.Select(x => map.ContainsKey(x.Field) ? x with { Field = Follow(x.Field) } : x).ToList();
            foreach (var view in await db.Views.Where(v => v.EntityTypeId == entityId).ToListAsync(ct))
            {
                var d = view.Definition;
                if (!d.Columns.Any(map.ContainsKey) && !d.Sort.Any(s => map.ContainsKey(s.Field)) && !d.Filters.Any(x => map.ContainsKey(x.Field))
                    && (d.GroupBy is null || !map.ContainsKey(d.GroupBy)) && !d.CardFields.Any(map.ContainsKey)) continue;
                view.Definition = d with
                {
                    Columns = d.Columns.Select(Follow).ToList(),
                    Sort = d.Sort.Select(s => s with { Field = Follow(s.Field) }).ToList(),
                    Filters = Filters(d.Filters),
                    GroupBy = d.GroupBy is null ? null : Follow(d.GroupBy),
                    CardFields = d.CardFields.Select(Follow).ToList(),
                };
                view.UpdatedAt = now;
            }
            foreach (var report in await db.Reports.Where(r => r.EntityTypeId == entityId).ToListAsync(ct))
            {
                var s = report.Spec;
                if (!(s.GroupBy is { } g && map.ContainsKey(g.Field)) && !(s.Measure?.Field is { } m && map.ContainsKey(m)) && !s.Filters.Any(x => map.ContainsKey(x.Field))) continue;
                report.Spec = s with
                {
                    GroupBy = s.GroupBy is null ? null : s.GroupBy with { Field = Follow(s.GroupBy.Field) },
                    Measure = s.Measure is null ? null : s.Measure with { Field = s.Measure.Field is null ? null : Follow(s.Measure.Field) },
                    Filters = Filters(s.Filters),
                };
                report.UpdatedAt = now;
            }
        }
    }

    /// <summary>Keys the new version renamed or removed: not "kept, no longer in the template".</summary>
    private static bool RenamedOrRemoved(TemplateEntityType next, string fieldKey)
        => next.Fields.Any(n => n.RenamedFrom == fieldKey) || (next.RemovedFields?.Contains(fieldKey) ?? false);
}
