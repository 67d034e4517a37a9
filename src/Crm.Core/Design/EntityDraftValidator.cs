using Crm.Core.Accounts;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;

namespace Crm.Core.Design;

/// <summary>
/// Checks an entity draft before anything is stored: keys, labels, sections, each field's type and settings (by
/// the field type itself, against the draft's own fields), default values, bindings and archived bound fields.
/// Errors are keyed by element ("fields/level/options") and name it in the message. Tidies the draft on the way
/// (trimmed labels, settings the type does not offer dropped).
/// </summary>
public sealed class EntityDraftValidator(EntityDraft draft, TenantMetadata current, Func<string, object[], string> t, RecordValidator validator)
{
    private readonly ValidationErrors _errors = new();

    private void Add(string path, string key, params object[] args) => _errors.Add(path, t(key, args));

    public ValidationErrors Validate()
    {
        var stored = current.Entity(draft.Key);
        draft.Label = DesignRules.Tidy(draft.Label);
        draft.PluralLabel = DesignRules.IsEmpty(draft.PluralLabel) ? draft.Label : DesignRules.Tidy(draft.PluralLabel);
        var name = draft.Label.Get().Length > 0 ? draft.Label.Get() : draft.Key;

        if (draft.IsNew)
        {
            if (!MetadataKeys.IsValid(draft.Key)) Add("key", "Design.KeyInvalid", t("Design.Element.Entity", []), draft.Key);
            else if (stored is not null) Add("key", "Design.KeyTaken", t("Design.Element.Entity", []), draft.Key);
        }
        else if (stored is null)
        {
            Add(DesignResult.GeneralKey, "Design.EntityNotFound", draft.Key);
            return _errors;
        }
        if (DesignRules.IsEmpty(draft.Label)) Add("label", "Design.LabelRequired", t("Design.Element.Entity", []));
        else if (DesignRules.IsTooLong(draft.Label)) Add("label", "Design.LabelTooLong", name, DesignRules.MaxLabelLength);
        if (DesignRules.IsTooLong(draft.PluralLabel)) Add("pluralLabel", "Design.LabelTooLong", name, DesignRules.MaxLabelLength);
        if (!DesignRules.IsIcon(draft.Icon)) Add("icon", "Design.IconInvalid", draft.Icon);

        CheckSections();
        CheckFields(stored);
        if (!_errors.IsEmpty) return _errors;
        CheckSettings();
        CheckBindings();
        CheckFormRules();
        CheckLinkedFromOthers();
        return _errors;
    }

    /// <summary>
    /// Linked fields of other record types that read this one (a 商机's 产品 lookup that fills 单价 from 产品, a pick
    /// filter on one of its fields, fields it shows): a field they read cannot be archived or removed here — refused
    /// naming the lookup, as for form rules (edit those settings first). Checked on every save of this type, so its
    /// fields never drift from what lookups elsewhere expect; subform lookup columns included.
    /// </summary>
    private void CheckLinkedFromOthers()
    {
        if (draft.IsNew) return;
        var target = draft.ToMeta(current);
        var targetName = target.Entity.Label.Get();
        foreach (var other in current.EntityTypes.Where(e => e.Key != draft.Key))
        {
            var name = other.Entity.Label.Get();
            foreach (var field in other.Fields.Where(f => !f.IsArchived))
            {
                if (field.Type == FieldTypes.Lookup && field.Settings.Target == draft.Key)
                    Report(LinkedFields.Check(field, other.Field, target.Field, targetName), $"{name}.{field.Label.Get()}");
                else if (field.Type == FieldTypes.Subform)
                    foreach (var column in LinkedFields.FillingColumns(field.Settings).Where(c => c.Settings.Target == draft.Key))
                        Report(LinkedFields.Check(column.AsField(), LinkedFields.RowFields(field.Settings), target.Field, targetName), $"{name}.{field.Label.Get()}.{column.Label.Get()}");
            }
        }

        void Report(IEnumerable<LinkProblem> problems, string lookup)
        {
            foreach (var p in problems)
            {
                if (p.Kind is not (LinkProblemKind.FillUnknownSource or LinkProblemKind.FilterUnknownField or LinkProblemKind.ShowUnknownField)) continue;
                if (draft.Field(p.Subject) is { } f) Add($"fields/{f.Key}/isArchived", "Design.FieldLinked", FieldName(f), lookup);
                else if (current.Entity(draft.Key)?.Field(p.Subject) is { } gone) Add($"fields/{gone.Key}", "Design.FieldLinked", gone.Label.Get(), lookup);
            }
        }
    }

    private void CheckSections()
    {
        if (draft.Sections.Count == 0) { Add("sections", "Design.NoSections"); return; }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in draft.Sections)
        {
            s.Label = DesignRules.Tidy(s.Label);
            var path = $"sections/{s.Key}";
            var sectionName = s.Label.Get().Length > 0 ? s.Label.Get() : s.Key;
            if (!MetadataKeys.IsValid(s.Key)) Add(path + "/key", "Design.KeyInvalid", sectionName, s.Key);
            else if (!seen.Add(s.Key)) Add(path + "/key", "Design.KeyTaken", sectionName, s.Key);
            if (DesignRules.IsEmpty(s.Label)) Add(path + "/label", "Design.LabelRequired", t("Design.Element.Section", []));
            else if (DesignRules.IsTooLong(s.Label)) Add(path + "/label", "Design.LabelTooLong", sectionName, DesignRules.MaxLabelLength);
            if (s.Columns is not (1 or 2)) Add(path + "/columns", "Design.Columns", sectionName);
        }
    }

    private void CheckFields(EntityMeta? stored)
    {
        // A repeated key is blamed on the new field (the stored one was there first).
        var seenStored = new HashSet<string>(StringComparer.Ordinal);
        var seenNew = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in draft.Fields)
        {
            f.Label = DesignRules.Tidy(f.Label);
            f.HelpText = DesignRules.IsEmpty(f.HelpText) ? null : DesignRules.Tidy(f.HelpText);
            var path = $"fields/{f.Key}";
            var fieldName = FieldName(f);
            var storedField = stored?.Field(f.Key);
            if (!MetadataKeys.IsValid(f.Key)) Add(path + "/key", "Design.KeyInvalid", fieldName, f.Key);
            else if (f.IsNew ? storedField is not null || !seenNew.Add(f.Key) : !seenStored.Add(f.Key)) Add(path + "/key", "Design.KeyTaken", fieldName, f.Key);
            else if (!f.IsNew && storedField is null) Add(path + "/key", "Design.FieldNotFound", f.Key);

            if (FieldTypeRegistry.Find(f.Type) is null) Add(path + "/type", "Design.UnknownType", fieldName, f.Type);
            else if (!f.IsNew && storedField is not null && storedField.Type != f.Type) Add(path + "/type", "Design.TypeChangeHere", fieldName);

            if (DesignRules.IsEmpty(f.Label)) Add(path + "/label", "Design.LabelRequired", t("Design.Element.Field", []) + " " + f.Key);
            else if (DesignRules.IsTooLong(f.Label)) Add(path + "/label", "Design.LabelTooLong", fieldName, DesignRules.MaxLabelLength);
            if (draft.Section(f.SectionKey) is null) Add(path + "/section", "Design.SectionMissing", fieldName);
        }
        CheckLabels();
    }

    /// <summary>
    /// Two active fields may not share a label in either language (trimmed, case-insensitive): a form with two
    /// 「行业」 cannot be filled in or read. Stored fields are taken first, so a new field is the one blamed.
    /// </summary>
    private void CheckLabels()
    {
        var taken = new Dictionary<string, FieldDraft>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in draft.Fields.Where(f => !f.IsArchived).OrderBy(f => f.IsNew))
        {
            var labels = DesignRules.LabelNames(f.Label);
            if (labels.FirstOrDefault(taken.ContainsKey) is { } clash)
            {
                Add($"fields/{f.Key}/label", "Design.LabelTaken", FieldName(f), clash, FieldName(taken[clash]));
                continue;
            }
            foreach (var label in labels) taken[label] = f;
        }
    }

    private void CheckSettings()
    {
        foreach (var f in draft.Fields)
        {
            f.Settings = DesignRules.Clean(f.Type, f.Settings);
            if (f.FieldType is { SettingNames: var names } && names.Contains("Options"))
                f.Settings = f.Settings with { Options = WithKeys(f.Settings.Options ?? []) };
        }
        var entity = draft.ToMeta(current);
        foreach (var f in draft.Fields)
        {
            var path = $"fields/{f.Key}";
            var fieldName = FieldName(f);
            var definition = entity.Field(f.Key)!;
            var type = FieldTypeRegistry.Get(f.Type);
            // The field type checks its own settings; its messages get the field's name in front.
            var own = new ValidationErrors();
            type.ValidateSettings(new FieldContext(definition, entity), own, path, k => t(k, []));
            foreach (var (key, messages) in own.ByField)
                foreach (var message in messages) _errors.Add(key, $"{fieldName}: {message}");

            var options = f.Settings.Options ?? [];
            for (var i = 0; i < options.Count; i++)
                if (DesignRules.IsEmpty(options[i].Label)) Add($"{path}/options/{i}/label", "Design.OptionLabel", fieldName);
            if (f.Settings.MaxLength is > 10_000) Add(path + "/maxLength", "Design.MaxLengthTooBig", fieldName, 10_000);
            if (f.Settings.Decimals is < 0 or > 10) Add(path + "/decimals", "Design.Decimals", fieldName);
            if (f.Settings.Currency is { } currency && !System.Text.RegularExpressions.Regex.IsMatch(currency, "^[A-Z]{3}$")) Add(path + "/currency", "Design.Currency", fieldName);
            if (options.Any(o => o.Color is { } c && !ChoicePalette.IsValid(c))) Add(path + "/options", "Design.Color", fieldName);

            if (f.Settings.Default is { } value && !DesignRules.IsDynamicDefault(f.Type, value) && own.IsEmpty)
            {
                string? problem;
                try { problem = DesignRules.CheckValue(entity, definition, value, validator); }
                catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException) { problem = e.Message; }
                if (problem is not null) Add(path + "/default", "Design.DefaultInvalid", fieldName, problem);
            }
            if (f.IsArchived)
                foreach (var binding in draft.BindingsOf(f.Key))
                    Add(path + "/isArchived", "Design.ArchiveBound", fieldName, t("Design.Binding." + binding, []));
        }
    }

    /// <summary>New options typed with a label only get a key derived from it.</summary>
    private static List<ChoiceOption> WithKeys(List<ChoiceOption> options)
    {
        var result = new List<ChoiceOption>();
        foreach (var o in options)
        {
            var key = string.IsNullOrWhiteSpace(o.Key)
                ? MetadataKeys.Derive(o.Label.En.Length > 0 ? o.Label.En : o.Label.ZhCn, options.Select(x => x.Key).Concat(result.Select(x => x.Key)), "option")
                : o.Key.Trim();
            result.Add(o with { Key = key });
        }
        return result;
    }

    private void CheckBindings()
    {
        foreach (var name in EntityDraft.BindingNames)
        {
            var key = draft.Binding(name);
            var element = t("Design.Binding." + name, []);
            if (key is null)
            {
                if (name == "titleField") Add(name, "Design.BindingRequired", element);
                continue;
            }
            var field = draft.Field(key);
            if (field is null) Add(name, "Design.BindingUnknown", element, key);
            else if (!EntityDraft.BindingTypes(name).Contains(field.Type)) Add(name, "Design.BindingType", element, FieldName(field), t("Design.TypeName." + field.Type, []));
            else if (field.IsArchived && !_errors.For($"fields/{key}/isArchived").Any()) Add(name, "Design.BindingArchived", element, FieldName(field));
        }
    }

    /// <summary>
    /// Form rules: known fields and effects, no rule on a field its own condition reads, no cycle. A field a rule
    /// reads or targets cannot be archived (the rule names it): edit or delete the rule first.
    /// </summary>
    private void CheckFormRules()
    {
        draft.FormRules = draft.FormRules.Select(r => r with
        {
            Key = r.Key.Trim(),
            Name = DesignRules.IsEmpty(r.Name) ? null : DesignRules.Tidy(r.Name!),
            Fields = r.Fields.Distinct(StringComparer.Ordinal).ToList(),
            Effects = r.Effects.Distinct(StringComparer.Ordinal).ToList(),
        }).ToList();
        var entity = draft.ToMeta(current);
        foreach (var problem in FormRuleChecks.Check(draft.FormRules, entity.Field, k => FormRuleChecks.OptionKeys(entity, k)))
        {
            var path = problem.Rule is null ? "formRules" : $"formRules/{problem.Index}/{problem.Part}".TrimEnd('/');
            _errors.Add(path, FormRuleChecks.Message(problem, t, k => entity.Field(k)?.Label.Get() is { Length: > 0 } l ? l : k));
        }
    }

    private static string FieldName(FieldDraft f) => f.Label.Get() is { Length: > 0 } label ? label : f.Key;
}
