using Crm.Core.Fields;
using Crm.Core.Metadata;

namespace Crm.Core.Design;

/// <summary>
/// The designer's working copy of one entity type: labels, icon, form sections, fields in form order and the
/// bindings. The UI edits it freely (the live preview renders it through <see cref="ToMetadata"/>); nothing is
/// stored until <see cref="MetadataDesigner.SaveEntityAsync"/> validates and applies the whole draft at once.
/// Field keys of stored fields never change; new elements get keys derived from their labels.
/// </summary>
public sealed class EntityDraft
{
    public bool IsNew { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public LocalizedText PluralLabel { get; set; } = LocalizedText.Same("");
    public string Icon { get; set; } = "Description";
    public List<SectionDraft> Sections { get; set; } = [];
    /// <summary>Every field, archived ones included, in form order (a section shows its fields in this order).</summary>
    public List<FieldDraft> Fields { get; set; } = [];

    public string TitleFieldKey { get; set; } = "";
    public string? AmountFieldKey { get; set; }
    public string? CloseDateFieldKey { get; set; }
    public string? OwnerFieldKey { get; set; }
    public string? StatusFieldKey { get; set; }
    public string? StageFieldKey { get; set; }
    public string? LostReasonFieldKey { get; set; }

    /// <summary>Form rules (显隐规则) in order; saved with the draft.</summary>
    public List<FormRule> FormRules { get; set; } = [];

    /// <summary>Where records go whose select option is deleted with this save.</summary>
    public List<OptionMove> OptionMoves { get; set; } = [];

    /// <summary>The entity type's <see cref="EntityType.UpdatedAt"/> when the draft was read: a later change by
    /// someone else makes the save a conflict instead of an overwrite.</summary>
    public DateTime? BaseUpdatedAt { get; set; }

    /// <summary>The bindings by name (titleField, amountField …), as the designer and the error keys call them.</summary>
    public static readonly IReadOnlyList<string> BindingNames = ["titleField", "amountField", "closeDateField", "ownerField", "statusField", "stageField", "lostReasonField"];

    public string? Binding(string name) => name switch
    {
        "titleField" => TitleFieldKey.Length == 0 ? null : TitleFieldKey,
        "amountField" => AmountFieldKey,
        "closeDateField" => CloseDateFieldKey,
        "ownerField" => OwnerFieldKey,
        "statusField" => StatusFieldKey,
        "stageField" => StageFieldKey,
        "lostReasonField" => LostReasonFieldKey,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public void SetBinding(string name, string? fieldKey)
    {
        var key = string.IsNullOrEmpty(fieldKey) ? null : fieldKey;
        switch (name)
        {
            case "titleField": TitleFieldKey = key ?? ""; break;
            case "amountField": AmountFieldKey = key; break;
            case "closeDateField": CloseDateFieldKey = key; break;
            case "ownerField": OwnerFieldKey = key; break;
            case "statusField": StatusFieldKey = key; break;
            case "stageField": StageFieldKey = key; break;
            case "lostReasonField": LostReasonFieldKey = key; break;
            default: throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }
    }

    /// <summary>The bindings a field has (a bound field cannot be archived without choosing another field).</summary>
    public IEnumerable<string> BindingsOf(string fieldKey) => BindingNames.Where(n => Binding(n) == fieldKey);

    /// <summary>The field types a binding accepts (the same rules the template checker applies).</summary>
    public static IReadOnlyList<string> BindingTypes(string name)
        => FieldTypeRegistry.All.Where(t => t.Bindings.Contains(name)).Select(t => t.Name).ToList();

    public FieldDraft? Field(string? key) => key is null ? null : Fields.FirstOrDefault(f => f.Key == key);
    public SectionDraft? Section(string? key) => key is null ? null : Sections.FirstOrDefault(s => s.Key == key);

    /// <summary>The fields shown in a section, in form order.</summary>
    public IEnumerable<FieldDraft> FieldsIn(string sectionKey)
    {
        var first = Sections.FirstOrDefault()?.Key;
        return Fields.Where(f => (Section(f.SectionKey) is null ? first : f.SectionKey) == sectionKey);
    }

    public static EntityDraft From(EntityMeta meta)
    {
        var e = meta.Entity;
        var draft = new EntityDraft
        {
            Key = e.Key,
            Label = e.Label,
            PluralLabel = e.PluralLabel,
            Icon = e.Icon,
            Sections = e.Sections.Select(s => new SectionDraft { Key = s.Key, Label = s.Label, Columns = s.Columns }).ToList(),
            TitleFieldKey = e.TitleFieldKey,
            AmountFieldKey = e.AmountFieldKey,
            CloseDateFieldKey = e.CloseDateFieldKey,
            OwnerFieldKey = e.OwnerFieldKey,
            StatusFieldKey = e.StatusFieldKey,
            StageFieldKey = e.StageFieldKey,
            LostReasonFieldKey = e.LostReasonFieldKey,
            FormRules = [.. e.FormRules],
            BaseUpdatedAt = e.UpdatedAt,
        };
        if (draft.Sections.Count == 0) draft.Sections.Add(SectionDraft.Default());
        foreach (var f in meta.AllFields)
            draft.Fields.Add(new FieldDraft
            {
                Key = f.Key,
                Type = f.Type,
                Label = f.Label,
                HelpText = f.HelpText,
                SectionKey = draft.Section(f.SectionKey) is null ? draft.Sections[0].Key : f.SectionKey!,
                IsArchived = f.IsArchived,
                Settings = f.Settings,
            });
        // The form shows sections in order and fields in order inside each: keep the list in that order.
        draft.Fields = draft.Sections.SelectMany(s => draft.Fields.Where(f => f.SectionKey == s.Key)).ToList();
        return draft;
    }

    /// <summary>A new entity type with one section and a first text field as its title.</summary>
    public static EntityDraft Create(LocalizedText label, IEnumerable<string> takenKeys, string icon = "Description")
    {
        var draft = new EntityDraft
        {
            IsNew = true,
            Key = MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, takenKeys, "entity"),
            Label = label,
            PluralLabel = label,
            Icon = icon,
            Sections = [SectionDraft.Default()],
        };
        var name = draft.AddField("text", new LocalizedText("名称", "Name"));
        name.Key = "name";
        name.Settings = name.Settings with { Required = true };
        draft.TitleFieldKey = name.Key;
        return draft;
    }

    /// <summary>Adds a new field at the end of a section (the first one when none is given).</summary>
    public FieldDraft AddField(string type, LocalizedText label, string? sectionKey = null)
    {
        if (Sections.Count == 0) Sections.Add(SectionDraft.Default());
        var section = Section(sectionKey)?.Key ?? Sections[0].Key;
        var field = new FieldDraft
        {
            IsNew = true,
            Type = type,
            Label = label,
            SectionKey = section,
            Key = DeriveFieldKey(label, null),
            // A new field is a column of the default list unless the admin says otherwise.
            Settings = DefaultSettings(type) with { ShowInList = true },
        };
        var last = Fields.FindLastIndex(f => FieldsIn(section).Contains(f));
        Fields.Insert(last < 0 ? InsertionIndexForEmpty(section) : last + 1, field);
        return field;
    }

    private int InsertionIndexForEmpty(string sectionKey)
    {
        // Keep the list in section order: an empty section's first field goes after the fields of earlier sections.
        var order = Sections.FindIndex(s => s.Key == sectionKey);
        var before = Sections.Take(order).Select(s => s.Key).ToHashSet();
        var index = 0;
        for (var i = 0; i < Fields.Count; i++)
            if (before.Contains(Section(Fields[i].SectionKey)?.Key ?? Sections[0].Key)) index = i + 1;
        return index;
    }

    /// <summary>A key for a label, unique among this draft's fields (<paramref name="except"/> is the field being renamed).</summary>
    public string DeriveFieldKey(LocalizedText label, FieldDraft? except)
        => MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, Fields.Where(f => f != except).Select(f => f.Key));

    /// <summary>The form rules that read or target a field.</summary>
    public IEnumerable<FormRule> FormRulesOf(string fieldKey) => FormRules.Where(r => r.Fields.Contains(fieldKey) || r.Reads.Contains(fieldKey));

    /// <summary>A new form rule key, unique among the draft's rules.</summary>
    public string NewFormRuleKey() => MetadataKeys.Derive("rule", FormRules.Select(r => r.Key), "rule");

    /// <summary>A new field's label changed: its key follows (stored fields keep theirs); bindings follow the key.</summary>
    public void Relabel(FieldDraft field, LocalizedText label)
    {
        field.Label = label;
        if (!field.IsNew || field.KeyEdited) return;
        var old = field.Key;
        var key = DeriveFieldKey(label, field);
        if (key == old) return;
        field.Key = key;
        foreach (var name in BindingNames.Where(n => Binding(n) == old)) SetBinding(name, key);
        // Form rules follow the new key too.
        FormRules = FormRules.Select(r => r with
        {
            Fields = r.Fields.Select(f => f == old ? key : f).ToList(),
            When = r.When with { Filters = r.When.Filters.Select(f => f.Field == old ? f with { Field = key } : f).ToList() },
        }).ToList();
    }

    public SectionDraft AddSection(LocalizedText label, int columns = 2)
    {
        var section = new SectionDraft
        {
            Key = MetadataKeys.Derive(label.En.Length > 0 ? label.En : label.ZhCn, Sections.Select(s => s.Key), "section"),
            Label = label,
            Columns = columns,
            IsNew = true,
        };
        Sections.Add(section);
        return section;
    }

    /// <summary>Removes a section; its fields move to the end of the first remaining section.</summary>
    public void RemoveSection(string sectionKey)
    {
        if (Sections.Count <= 1 || Section(sectionKey) is not { } section) return;
        var moving = FieldsIn(sectionKey).ToList();
        Sections.Remove(section);
        foreach (var f in moving)
        {
            Fields.Remove(f);
            f.SectionKey = Sections[0].Key;
        }
        var last = Fields.FindLastIndex(f => f.SectionKey == Sections[0].Key);
        Fields.InsertRange(last < 0 ? 0 : last + 1, moving);
    }

    public void MoveSection(string sectionKey, int delta)
    {
        var i = Sections.FindIndex(s => s.Key == sectionKey);
        var j = i + delta;
        if (i < 0 || j < 0 || j >= Sections.Count) return;
        (Sections[i], Sections[j]) = (Sections[j], Sections[i]);
        Fields = Sections.SelectMany(s => FieldsIn(s.Key).ToList()).ToList();
    }

    /// <summary>Moves a field to <paramref name="index"/> among the fields of <paramref name="sectionKey"/> (drag and drop).</summary>
    public void MoveField(string fieldKey, string sectionKey, int index)
    {
        if (Field(fieldKey) is not { } field || Section(sectionKey) is null) return;
        Fields.Remove(field);
        field.SectionKey = sectionKey;
        var inSection = FieldsIn(sectionKey).ToList();
        index = index < 0 ? inSection.Count : Math.Min(index, inSection.Count);
        var at = index < inSection.Count ? Fields.IndexOf(inSection[index])
            : inSection.Count > 0 ? Fields.IndexOf(inSection[^1]) + 1
            : InsertionIndexForEmpty(sectionKey);
        Fields.Insert(at, field);
    }

    /// <summary>Moves a field into a section, before another field of it (at its end when <paramref name="beforeKey"/> is null).</summary>
    public void MoveFieldBefore(string fieldKey, string sectionKey, string? beforeKey)
    {
        if (Field(fieldKey) is not { } field || Section(sectionKey) is null || beforeKey == fieldKey) return;
        var inSection = FieldsIn(sectionKey).Where(f => f != field).ToList();
        var index = beforeKey is null ? -1 : inSection.FindIndex(f => f.Key == beforeKey);
        MoveField(fieldKey, sectionKey, index);
    }

    /// <summary>Up (-1) or down (+1) inside its section; past the edge it moves into the neighbouring section.</summary>
    public void MoveFieldBy(string fieldKey, int delta)
    {
        if (Field(fieldKey) is not { } field) return;
        var section = Section(field.SectionKey)?.Key ?? Sections[0].Key;
        var inSection = FieldsIn(section).ToList();
        var index = inSection.IndexOf(field) + delta;
        if (index >= 0 && index < inSection.Count) { MoveField(fieldKey, section, index); return; }
        var s = Sections.FindIndex(x => x.Key == section) + Math.Sign(delta);
        if (s < 0 || s >= Sections.Count) return;
        MoveField(fieldKey, Sections[s].Key, delta < 0 ? -1 : 0);
    }

    /// <summary>To the top of the form: the first place of the first section.</summary>
    public void MoveFieldToTop(string fieldKey) => MoveField(fieldKey, Sections[0].Key, 0);

    public static FieldSettings DefaultSettings(string type) => FieldTypeRegistry.Find(type)?.NewSettings() ?? new FieldSettings();

    /// <summary>
    /// The tenant's metadata with this draft in place of the stored entity type: for the live preview and for
    /// validating settings against the draft's own fields (a formula may use a field added in the same draft).
    /// Never mutates <paramref name="metadata"/>.
    /// </summary>
    public TenantMetadata ToMetadata(TenantMetadata metadata)
    {
        var stored = metadata.Entity(Key);
        var entity = new EntityType
        {
            Id = stored?.Entity.Id ?? Guid.Empty,
            TenantId = metadata.TenantId,
            Key = Key,
            Label = Label,
            PluralLabel = PluralLabel,
            Icon = Icon,
            SortOrder = stored?.Entity.SortOrder ?? int.MaxValue,
            TitleFieldKey = TitleFieldKey,
            AmountFieldKey = AmountFieldKey,
            CloseDateFieldKey = CloseDateFieldKey,
            OwnerFieldKey = OwnerFieldKey,
            StatusFieldKey = StatusFieldKey,
            StageFieldKey = StageFieldKey,
            LostReasonFieldKey = LostReasonFieldKey,
            Sections = Sections.Select(s => s.ToSection()).ToList(),
            FormRules = [.. FormRules],
        };
        var fields = Fields
            .GroupBy(f => f.Key).Select(g => g.First()) // a duplicate key is reported by validation, not thrown here
            .Select((f, i) => f.ToDefinition(entity.Id, i * 10, stored?.Field(f.Key)?.Id)).ToList();
        var entities = metadata.EntityTypes.Where(e => e.Key != Key)
            .Select(e => new EntityMeta(e.Entity, e.AllFields, e.AllPipelines))
            .Append(new EntityMeta(entity, fields, stored?.AllPipelines ?? []));
        return new TenantMetadata(metadata.TenantId, metadata.Version, entities, metadata.StatusLists);
    }

    public EntityMeta ToMeta(TenantMetadata metadata) => ToMetadata(metadata).Entity(Key)!;

    /// <summary>A deep copy (the designer keeps the saved state to show what changed and to discard edits).</summary>
    public EntityDraft Clone()
    {
        var copy = (EntityDraft)MemberwiseClone();
        copy.Sections = Sections.Select(s => s.Clone()).ToList();
        copy.Fields = Fields.Select(f => f.Clone()).ToList();
        copy.OptionMoves = [.. OptionMoves];
        copy.FormRules = [.. FormRules];
        return copy;
    }
}

public sealed class SectionDraft
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public int Columns { get; set; } = 2;
    public bool IsNew { get; set; }

    public static SectionDraft Default() => new() { Key = "main", Label = new LocalizedText("基本信息", "Details"), Columns = 2 };
    public FormSection ToSection() => new(Key, Label, Columns);
    public SectionDraft Clone() => (SectionDraft)MemberwiseClone();
}

public sealed class FieldDraft
{
    public bool IsNew { get; set; }
    /// <summary>The user typed the key of a new field: it no longer follows the label.</summary>
    public bool KeyEdited { get; set; }
    public string Key { get; set; } = "";
    public string Type { get; set; } = "text";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public LocalizedText? HelpText { get; set; }
    public string SectionKey { get; set; } = "";
    public bool IsArchived { get; set; }
    public FieldSettings Settings { get; set; } = new();

    [System.Text.Json.Serialization.JsonIgnore]
    public FieldType? FieldType => FieldTypeRegistry.Find(Type);

    public FieldDefinition ToDefinition(Guid entityTypeId, int sortOrder, Guid? id = null) => new()
    {
        Id = id ?? Guid.Empty,
        EntityTypeId = entityTypeId,
        Key = Key,
        Type = Type,
        Label = Label,
        HelpText = HelpText,
        SectionKey = SectionKey,
        SortOrder = sortOrder,
        IsArchived = IsArchived,
        Settings = Settings,
    };

    public FieldDraft Clone() => (FieldDraft)MemberwiseClone();
}

/// <summary>Records whose <paramref name="FromKey"/> option is deleted get <paramref name="ToKey"/> instead.</summary>
public sealed record OptionMove(string FieldKey, string FromKey, string ToKey);
