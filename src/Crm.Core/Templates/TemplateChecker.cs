using Crm.Core.Accounts;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;

namespace Crm.Core.Templates;

/// <summary>
/// Checks what a JSON Schema cannot: keys repeated within a scope and references between elements (a field's
/// status list, a lookup's target, a view's columns, a widget's report …). A reference may point into the template
/// itself or at what the tenant already has. Errors name the JSON path.
/// </summary>
public sealed partial class TemplateChecker(TemplateDocument doc, TenantMetadata existing, IReadOnlySet<string> existingReports, Func<string, object[], string> t,
    IReadOnlySet<string>? existingDepartments = null, IReadOnlySet<string>? existingRoles = null, IReadOnlySet<string>? existingPools = null)
{
    private readonly ValidationErrors _errors = new();

    public static readonly string[] ReportTypes =
    [
        "custom", "funnel", "pipelineValue", "winRate", "salesCycle", "timeInStage", "forecast", "statusDistribution",
        "statusTrend", "churnWarning", "activitiesByOwner", "activitiesByChannel", "interactionFrequency", "campaignRoi",
        "leadSourceConversion", "ticketsByStatus", "ticketResolution", "poolActivity",
    ];

    public static readonly string[] RecordAttributes = ["$owner", "$createdAt", "$updatedAt", "$stage", "$status", "$title"];

    public ValidationErrors Check()
    {
        Unique(doc.StatusLists.Select(s => s.Key), "$.statusLists", "key");
        Unique(doc.EntityTypes.Select(e => e.Key), "$.entityTypes", "key");
        Unique(doc.Views.Select(v => v.Entity + "/" + v.Key), "$.views", "key");
        Unique(doc.Reports.Select(r => r.Key), "$.reports", "key");
        Unique(doc.Dashboards.Select(d => d.Key), "$.dashboards", "key");
        Unique(doc.Roles.Select(r => r.Key), "$.roles", "key");
        if (doc.Dashboards.Count(d => d.Default) > 1) Add("$.dashboards", "Template.Check.SeveralDefaults");

        for (var i = 0; i < doc.StatusLists.Count; i++) CheckStatusList(doc.StatusLists[i], $"$.statusLists[{i}]");
        for (var i = 0; i < doc.EntityTypes.Count; i++) CheckEntity(doc.EntityTypes[i], $"$.entityTypes[{i}]");
        for (var i = 0; i < doc.Views.Count; i++) CheckView(doc.Views[i], $"$.views[{i}]");
        for (var i = 0; i < doc.Reports.Count; i++) CheckReport(doc.Reports[i], $"$.reports[{i}]");
        for (var i = 0; i < doc.Dashboards.Count; i++) CheckDashboard(doc.Dashboards[i], $"$.dashboards[{i}]");
        CheckDepartments();
        for (var i = 0; i < doc.Roles.Count; i++) CheckPermissions(doc.Roles[i], $"$.roles[{i}]");
        CheckSampleData();
        CheckAutomation();
        CheckTexts();
        return _errors;
    }

    /// <summary>The designer's caps: labels (names, titles) and longer texts (descriptions, help, messages).</summary>
    public const int MaxLabelLength = Design.DesignRules.MaxLabelLength;
    public const int MaxTextLength = 1000;

    private void CheckTexts()
    {
        void Label(LocalizedText? text, string path) => Text(text, path, MaxLabelLength);
        void Text(LocalizedText? text, string path, int max = MaxTextLength)
        {
            if (text is null) return;
            if (text.ZhCn?.Length > max) Add(path + ".zh-CN", "Template.Check.TooLong", max);
            if (text.En?.Length > max) Add(path + ".en", "Template.Check.TooLong", max);
        }
        Label(doc.Name, "$.name");
        Label(doc.Category, "$.category");
        Text(doc.Description, "$.description");
        for (var i = 0; i < doc.StatusLists.Count; i++)
        {
            var l = doc.StatusLists[i];
            var p = $"$.statusLists[{i}]";
            Label(l.Label, p + ".label");
            for (var g = 0; g < l.Groups.Count; g++) { Label(l.Groups[g].Label, $"{p}.groups[{g}].label"); Text(l.Groups[g].Description, $"{p}.groups[{g}].description"); }
            for (var o = 0; o < l.Options.Count; o++) { Label(l.Options[o].Label, $"{p}.options[{o}].label"); Text(l.Options[o].Description, $"{p}.options[{o}].description"); }
        }
        for (var i = 0; i < doc.EntityTypes.Count; i++)
        {
            var e = doc.EntityTypes[i];
            var p = $"$.entityTypes[{i}]";
            Label(e.Label, p + ".label");
            Label(e.PluralLabel, p + ".pluralLabel");
            Text(e.Description, p + ".description");
            for (var s = 0; s < e.Sections.Count; s++) Label(e.Sections[s].Label, $"{p}.sections[{s}].label");
            for (var f = 0; f < e.Fields.Count; f++)
            {
                var field = e.Fields[f];
                Label(field.Label, $"{p}.fields[{f}].label");
                Text(field.Help, $"{p}.fields[{f}].help");
                Text(field.PatternMessage, $"{p}.fields[{f}].patternMessage");
                for (var o = 0; o < (field.Options?.Count ?? 0); o++) Label(field.Options![o].Label, $"{p}.fields[{f}].options[{o}].label");
            }
            for (var q = 0; q < e.Pipelines.Count; q++)
            {
                Label(e.Pipelines[q].Label, $"{p}.pipelines[{q}].label");
                for (var s = 0; s < e.Pipelines[q].Stages.Count; s++) Label(e.Pipelines[q].Stages[s].Label, $"{p}.pipelines[{q}].stages[{s}].label");
            }
        }
        for (var i = 0; i < doc.Views.Count; i++) Label(doc.Views[i].Label, $"$.views[{i}].label");
        for (var i = 0; i < doc.Reports.Count; i++) { Label(doc.Reports[i].Label, $"$.reports[{i}].label"); Text(doc.Reports[i].Description, $"$.reports[{i}].description"); }
        for (var i = 0; i < doc.Dashboards.Count; i++)
        {
            Label(doc.Dashboards[i].Label, $"$.dashboards[{i}].label");
            for (var w = 0; w < doc.Dashboards[i].Widgets.Count; w++) Label(doc.Dashboards[i].Widgets[w].Title, $"$.dashboards[{i}].widgets[{w}].title");
        }
        for (var i = 0; i < doc.Roles.Count; i++) { Label(doc.Roles[i].Label, $"$.roles[{i}].label"); Text(doc.Roles[i].Description, $"$.roles[{i}].description"); }
    }

    private void Add(string path, string key, params object[] args) => _errors.Add(path, t(key, args));

    private void Unique(IEnumerable<string> keys, string path, string property)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var key in keys)
        {
            if (!seen.Add(key)) Add($"{path}[{i}].{property}", "Template.Check.DuplicateKey", key.Split('/').Last());
            i++;
        }
    }

    /// <summary>
    /// <c>renamedFrom</c> of the elements of one list: a valid key, not the element's own, not a key this version
    /// still has (which also rules out cycles: a → b with b → a), and no old key renamed into two elements. That it
    /// names a key of the installed version is checked by the installer, which has that version.
    /// </summary>
    private void Renames(IEnumerable<(string Key, string? From)> elements, string path)
    {
        var list = elements.ToList();
        var keys = list.Select(x => x.Key).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].From is not { } from) continue;
            var at = $"{path}[{i}].renamedFrom";
            if (!MetadataKeys.IsValid(from)) Add(at, "Template.Check.Key", from);
            else if (from == list[i].Key) Add(at, "Template.Check.RenamedFromSelf", from);
            else if (keys.Contains(from)) Add(at, "Template.Check.RenamedFromPresent", from);
            else if (!seen.Add(from)) Add(at, "Template.Check.RenamedTwice", from);
        }
    }

    /// <summary>Removed keys: valid, once each, and not still in this version.</summary>
    private void Removed(List<string>? removed, IEnumerable<string> present, string path)
    {
        if (removed is null) return;
        var keys = present.ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < removed.Count; i++)
        {
            if (!MetadataKeys.IsValid(removed[i])) Add($"{path}[{i}]", "Template.Check.Key", removed[i]);
            else if (keys.Contains(removed[i])) Add($"{path}[{i}]", "Template.Check.RemovedPresent", removed[i]);
            else if (!seen.Add(removed[i])) Add($"{path}[{i}]", "Template.Check.DuplicateKey", removed[i]);
        }
    }

    /// <summary>
    /// On an upgrade: each <c>renamedFrom</c> must name a key the installed version (<paramref name="installed"/>) had
    /// for the same kind of element (fields and their options, stages, statuses), or one that version already
    /// renamed from (a rename stays in later versions, so a workspace two versions behind follows it too).
    /// </summary>
    public static void CheckRenamesAgainst(TemplateDocument doc, TemplateDocument installed, ValidationErrors errors, Func<string, object[], string> t)
    {
        void Check(string? from, IEnumerable<string> keys, string path)
        {
            if (from is not null && !keys.Contains(from)) errors.Add(path, t("Template.Check.RenamedFromUnknown", [from, installed.Version]));
        }
        for (var l = 0; l < doc.StatusLists.Count; l++)
        {
            var before = installed.StatusLists.FirstOrDefault(x => x.Key == doc.StatusLists[l].Key);
            for (var i = 0; i < doc.StatusLists[l].Options.Count; i++)
                Check(doc.StatusLists[l].Options[i].RenamedFrom, before?.Options.SelectMany(o => new[] { o.Key, o.RenamedFrom }).OfType<string>() ?? [], $"$.statusLists[{l}].options[{i}].renamedFrom");
        }
        for (var e = 0; e < doc.EntityTypes.Count; e++)
        {
            var entity = doc.EntityTypes[e];
            var before = installed.EntityTypes.FirstOrDefault(x => x.Key == entity.Key);
            for (var i = 0; i < entity.Fields.Count; i++)
            {
                var f = entity.Fields[i];
                Check(f.RenamedFrom, before?.Fields.SelectMany(x => new[] { x.Key, x.RenamedFrom }).OfType<string>() ?? [], $"$.entityTypes[{e}].fields[{i}].renamedFrom");
                var beforeField = before?.Fields.FirstOrDefault(x => x.Key == (f.RenamedFrom ?? f.Key));
                for (var o = 0; o < (f.Options?.Count ?? 0); o++)
                    Check(f.Options![o].RenamedFrom, beforeField?.Options?.SelectMany(x => new[] { x.Key, x.RenamedFrom }).OfType<string>() ?? [], $"$.entityTypes[{e}].fields[{i}].options[{o}].renamedFrom");
            }
            for (var p = 0; p < entity.Pipelines.Count; p++)
            {
                var beforePipeline = before?.Pipelines.FirstOrDefault(x => x.Key == entity.Pipelines[p].Key);
                for (var i = 0; i < entity.Pipelines[p].Stages.Count; i++)
                    Check(entity.Pipelines[p].Stages[i].RenamedFrom, beforePipeline?.Stages.SelectMany(x => new[] { x.Key, x.RenamedFrom }).OfType<string>() ?? [], $"$.entityTypes[{e}].pipelines[{p}].stages[{i}].renamedFrom");
            }
        }
    }

    private void Key(string key, string path)
    {
        if (!MetadataKeys.IsValid(key)) Add(path, "Template.Check.Key", key);
    }

    // Lookups across the template and the tenant.
    private TemplateEntityType? TemplateEntity(string key) => doc.EntityTypes.FirstOrDefault(e => e.Key == key);
    private bool EntityExists(string key) => TemplateEntity(key) is not null || existing.Entity(key) is not null;
    private bool StatusListExists(string? key) => key is not null && (doc.StatusLists.Any(s => s.Key == key) || existing.StatusList(key) is not null);

    /// <summary>The field type of <paramref name="field"/> on <paramref name="entity"/>, from the template or the tenant.</summary>
    /// <summary>The settings of a field of the template (as installed) or of the workspace; null when there is no such field.</summary>
    private FieldSettings? FieldSettingsOf(string entity, string field)
        => TemplateEntity(entity)?.Fields.FirstOrDefault(f => f.Key == field) is { } tf ? TemplateMapping.Settings(tf) : existing.Entity(entity)?.Field(field)?.Settings;

    private string? FieldType(string entity, string field)
        => TemplateEntity(entity)?.Fields.FirstOrDefault(f => f.Key == field)?.Type ?? existing.Entity(entity)?.Field(field)?.Type;

    private IEnumerable<string> PipelineKeys(string entity)
        => (TemplateEntity(entity)?.Pipelines.Select(p => p.Key) ?? []).Concat(existing.Entity(entity)?.Pipelines.Select(p => p.Key) ?? []);

    private IEnumerable<string> StageKeys(string entity, string? pipeline)
    {
        var fromTemplate = TemplateEntity(entity)?.Pipelines.Where(p => pipeline is null || p.Key == pipeline).SelectMany(p => p.Stages.Select(s => s.Key)) ?? [];
        var fromTenant = existing.Entity(entity)?.Pipelines.Where(p => pipeline is null || p.Key == pipeline).SelectMany(p => p.Stages.Select(s => s.Key)) ?? [];
        return fromTemplate.Concat(fromTenant);
    }

    private void CheckStatusList(TemplateStatusList list, string path)
    {
        Key(list.Key, path + ".key");
        Unique(list.Groups.Select(g => g.Key), path + ".groups", "key");
        Unique(list.Options.Select(o => o.Key), path + ".options", "key");
        Renames(list.Options.Select(o => (o.Key, o.RenamedFrom)), path + ".options");
        if (list.Options.Count == 0) Add(path + ".options", "Template.Check.Empty");
        for (var i = 0; i < list.Options.Count; i++)
            if (list.Options[i].Group is { } g && list.Groups.All(x => x.Key != g))
                Add($"{path}.options[{i}].group", "Template.Check.UnknownGroup", g);
    }

    private void CheckEntity(TemplateEntityType e, string path)
    {
        Key(e.Key, path + ".key");
        Unique(e.Fields.Select(f => f.Key), path + ".fields", "key");
        UniqueLabels(e, path);
        Unique(e.Sections.Select(s => s.Key), path + ".sections", "key");
        Unique(e.Pipelines.Select(p => p.Key), path + ".pipelines", "key");
        if (e.Pipelines.Count(p => p.Default) > 1) Add(path + ".pipelines", "Template.Check.SeveralDefaults");
        Renames(e.Fields.Select(f => (f.Key, f.RenamedFrom)), path + ".fields");
        Removed(e.RemovedFields, e.Fields.Select(f => f.Key), path + ".removedFields");
        for (var p = 0; p < e.Pipelines.Count; p++) Renames(e.Pipelines[p].Stages.Select(x => (x.Key, x.RenamedFrom)), $"{path}.pipelines[{p}].stages");

        for (var i = 0; i < e.Fields.Count; i++)
        {
            var f = e.Fields[i];
            var fp = $"{path}.fields[{i}]";
            Key(f.Key, fp + ".key");
            if (FieldTypeRegistry.Find(f.Type) is null) { Add(fp + ".type", "Template.Check.UnknownFieldType", f.Type); continue; }
            if (f.Section is { } s && e.Sections.All(x => x.Key != s) && existing.Entity(e.Key)?.Entity.Sections.Any(x => x.Key == s) != true)
                Add(fp + ".section", "Template.Check.UnknownSection", s);
            var fieldType = FieldTypeRegistry.Get(f.Type);
            if (f.Total is not null) Add(fp + ".total", "Template.Check.TotalOnlyOnColumns");
            if (fieldType.OwnsOptions)
            {
                if (f.Options is not { Count: > 0 }) Add(fp + ".options", "Template.Check.Empty");
                else
                {
                    Unique(f.Options.Select(o => o.Key), fp + ".options", "key");
                    Renames(f.Options.Select(o => (o.Key, o.RenamedFrom)), fp + ".options");
                }
                Removed(f.RemovedOptions, f.Options?.Select(o => o.Key) ?? [], fp + ".removedOptions");
            }
            if (fieldType.LinksRecords && (f.Target is null || !EntityExists(f.Target)))
                Add(fp + ".target", "Template.Check.UnknownEntity", f.Target ?? "");
            // Rules about one type each (the status list, the pipeline, the expression it names).
            switch (f.Type)
            {
                case "status":
                    if (!StatusListExists(f.StatusList)) Add(fp + ".statusList", "Template.Check.UnknownStatusList", f.StatusList ?? "");
                    break;
                case "stage":
                    if (!PipelineKeys(e.Key).Any()) Add(fp + ".type", "Template.Check.NoPipeline");
                    break;
                case "formula":
                    CheckFormula(e, f, fp + ".expression");
                    break;
                case "subform":
                    CheckSubform(f, fp);
                    break;
                case "autonumber":
                    if (f.SerialPattern is { } serial)
                    {
                        var problem = SerialPattern.Check(serial, f.SerialReset);
                        if (problem == SerialPatternProblem.UnknownReset) Add(fp + ".serialReset", "Settings.SerialReset");
                        else if (problem != SerialPatternProblem.None) Add(fp + ".serialPattern", Fields.Types.AutoNumberField.SerialProblemKey(problem), SerialPattern.MaxLength);
                    }
                    else if (f.SerialReset is { } reset && reset != SerialReset.Never) Add(fp + ".serialReset", "Settings.SerialResetWithoutPattern");
                    break;
            }
            if (f.Min is { } min && f.Max is { } max && min > max) Add(fp + ".max", "Template.Check.MinAboveMax");
            if (f.MaxLength is > 10_000) Add(fp + ".maxLength", "Design.MaxLengthTooBig", f.Key, 10_000);
            if (f.Pattern is { } pattern)
            {
                switch (FieldPattern.Check(pattern))
                {
                    case PatternProblem.Invalid: Add(fp + ".pattern", "Template.Check.Pattern", f.Key); break;
                    case PatternProblem.TooLong: Add(fp + ".pattern", "Template.Check.PatternTooLong", f.Key, FieldPattern.MaxPatternLength); break;
                    case PatternProblem.Unsupported: Add(fp + ".pattern", "Template.Check.PatternUnsupported", f.Key); break;
                }
            }
        }

        // The types a binding accepts are the types that say so (FieldType.Bindings), as in the designer.
        Binding(e, e.TitleField, path + ".titleField", required: true, FieldBindings.Title);
        Binding(e, e.AmountField, path + ".amountField", false, FieldBindings.Amount);
        Binding(e, e.CloseDateField, path + ".closeDateField", false, FieldBindings.CloseDate);
        Binding(e, e.OwnerField, path + ".ownerField", false, FieldBindings.Owner);
        Binding(e, e.StatusField, path + ".statusField", false, FieldBindings.Status);
        Binding(e, e.StageField, path + ".stageField", false, FieldBindings.Stage);
        Binding(e, e.LostReasonField, path + ".lostReasonField", false, FieldBindings.LostReason);
        CheckFormRules(e, path);
        CheckLinks(e, path);

        for (var p = 0; p < e.Pipelines.Count; p++)
        {
            var pipeline = e.Pipelines[p];
            var pp = $"{path}.pipelines[{p}]";
            Key(pipeline.Key, pp + ".key");
            Unique(pipeline.Stages.Select(s => s.Key), pp + ".stages", "key");
            if (pipeline.Stages.Count == 0) Add(pp + ".stages", "Template.Check.Empty");
            // Open stages first, in funnel order with rising probabilities strictly between 0 and 100; then the
            // closed ones, won at 100 and lost at 0.
            TemplateStage? closed = null;
            TemplateStage? lastOpen = null;
            for (var s = 0; s < pipeline.Stages.Count; s++)
            {
                var stage = pipeline.Stages[s];
                var sp = $"{pp}.stages[{s}]";
                if (stage.Probability is < 0 or > 100) Add(sp + ".probability", "Template.Check.Probability");
                switch (stage.Kind)
                {
                    case "open":
                        if (closed is not null) Add(sp + ".kind", "Template.Check.StageAfterClosed", stage.Key, closed.Key);
                        if (stage.Probability is <= 0 or >= 100) Add(sp + ".probability", "Template.Check.OpenProbability", stage.Key);
                        else if (lastOpen is not null && stage.Probability <= lastOpen.Probability) Add(sp + ".probability", "Template.Check.ProbabilityOrder", stage.Key, lastOpen.Key);
                        lastOpen = stage;
                        break;
                    case "won" or "lost":
                        closed ??= stage;
                        if (stage.Probability != (stage.Kind == "won" ? 100 : 0)) Add(sp + ".probability", "Template.Check.ClosedProbability", stage.Key, stage.Kind == "won" ? 100 : 0);
                        if (stage.StaleAfterDays is not null) Add(sp + ".staleAfterDays", "Template.Check.StaleOnClosed", stage.Key);
                        break;
                    default:
                        Add(sp + ".kind", "Template.Check.StageKind", stage.Kind);
                        break;
                }
            }
        }
    }

    private void CheckDepartments()
    {
        var departments = doc.Departments ?? [];
        Unique(departments.Select(d => d.Key), "$.departments", "key");
        for (var i = 0; i < departments.Count; i++)
        {
            var d = departments[i];
            var path = $"$.departments[{i}]";
            Key(d.Key, path + ".key");
            if (string.IsNullOrWhiteSpace(d.Name)) Add(path + ".name", "Template.Check.Required");
            else if (d.Name.Length > Permissions.DepartmentService.MaxNameLength) Add(path + ".name", "Template.Check.TooLong", Permissions.DepartmentService.MaxNameLength);
            if (d.Parent is not { } parent) continue;
            if (departments.All(x => x.Key != parent) && existingDepartments?.Contains(parent) != true) { Add(path + ".parent", "Template.Check.UnknownDepartment", parent); continue; }
            // Walk up through the template's departments: coming back to this one is a cycle.
            var seen = new HashSet<string>(StringComparer.Ordinal) { d.Key };
            for (var up = departments.FirstOrDefault(x => x.Key == parent); up is not null; up = departments.FirstOrDefault(x => x.Key == up.Parent))
            {
                if (!seen.Add(up.Key)) { Add(path + ".parent", "Template.Check.DepartmentCycle", d.Key); break; }
            }
        }
    }

    private void CheckPermissions(TemplateRole role, string path)
    {
        if (role.Permissions is null) return;
        foreach (var (entityKey, p) in role.Permissions)
        {
            var pp = $"{path}.permissions.{entityKey}";
            if (!EntityExists(entityKey)) { Add(pp, "Template.Check.UnknownEntity", entityKey); continue; }
            var scopes = new List<(string Name, string? Value)> { ("read", p.Read), ("edit", p.Edit), ("delete", p.Delete) };
            foreach (var (name, value) in scopes)
                if (value is not null && !TemplateMapping.Scopes.ContainsKey(value)) Add($"{pp}.{name}", "Template.Check.UnknownScope", value);
            if (scopes.All(x => x.Value is null || TemplateMapping.Scopes.ContainsKey(x.Value)))
            {
                var read = TemplateMapping.Scope(p.Read);
                if (TemplateMapping.Scope(p.Edit) > read) Add(pp + ".edit", "Template.Check.ScopeWiderThanRead");
                if (TemplateMapping.Scope(p.Delete) > read) Add(pp + ".delete", "Template.Check.ScopeWiderThanRead");
            }
            for (var i = 0; i < (p.OwnerFields?.Count ?? 0); i++)
            {
                var key = p.OwnerFields![i];
                var type = FieldType(entityKey, key);
                if (type is null) Add($"{pp}.ownerFields[{i}]", "Template.Check.UnknownField", key);
                else if (FieldTypeRegistry.Find(type)?.NamesMembers != true) Add($"{pp}.ownerFields[{i}]", "Template.Check.FieldTypeNotAllowed", key, type);
            }
            foreach (var (fieldKey, level) in p.Fields ?? [])
            {
                if (FieldType(entityKey, fieldKey) is null) Add($"{pp}.fields.{fieldKey}", "Template.Check.UnknownField", fieldKey);
                else if (!TemplateMapping.FieldLevels.ContainsKey(level)) Add($"{pp}.fields.{fieldKey}", "Template.Check.UnknownFieldAccess", level);
            }
        }
    }

    /// <summary>Two fields of an entity type may not share a label in either language (trimmed, case-insensitive),
    /// as the designer refuses; the later field is blamed, by its label's path.</summary>
    private void UniqueLabels(TemplateEntityType e, string path)
    {
        var taken = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < e.Fields.Count; i++)
        {
            var labels = Design.DesignRules.LabelNames(e.Fields[i].Label);
            if (labels.FirstOrDefault(taken.ContainsKey) is { } clash)
            {
                Add($"{path}.fields[{i}].label", "Template.Check.LabelTaken", clash, taken[clash], e.Fields[i].Key);
                continue;
            }
            foreach (var label in labels) taken[label] = e.Fields[i].Key;
        }
    }

    private void Binding(TemplateEntityType e, string? fieldKey, string path, bool required, string binding)
    {
        var types = Design.EntityDraft.BindingTypes(binding);
        if (fieldKey is null)
        {
            if (required) Add(path, "Template.Check.Required");
            return;
        }
        var type = FieldType(e.Key, fieldKey);
        if (type is null) Add(path, "Template.Check.UnknownField", fieldKey);
        else if (!types.Contains(type)) Add(path, "Template.Check.FieldTypeNotAllowed", fieldKey, type);
    }

    private void CheckFormula(TemplateEntityType e, TemplateField f, string path)
    {
        if (string.IsNullOrWhiteSpace(f.Expression)) { Add(path, "Template.Check.Required"); return; }
        if (f.ResultType is { } rt && !Fields.Types.FormulaField.ResultTypes.Contains(rt))
            Add(path[..path.LastIndexOf('.')] + ".resultType", "Template.Check.FormulaResultType", rt);
        // The same check as the designer's (FormulaField.ValidateSettings): names, argument and result types, with
        // the template's fields over the workspace's (an upgrade may read fields the template does not list).
        (string Type, FieldSettings Settings)? Field(string entity, string key)
            => TemplateEntity(entity)?.Fields.FirstOrDefault(x => x.Key == key) is { } tf ? (tf.Type, TemplateMapping.Settings(tf))
                : existing.Entity(entity)?.Field(key) is { } ef ? (ef.Type, ef.Settings) : null;
        var problems = Fields.Types.FormulaField.CheckExpression(e.Key, f.Key, TemplateMapping.Settings(f), Field);
        foreach (var problem in problems)
            Add(path, problem.Key switch
            {
                "Settings.ExpressionSyntax" => "Template.Check.FormulaSyntax",
                "Settings.ExpressionReference" => "Template.Check.FormulaReference",
                "Settings.ExpressionResult" => "Template.Check.FormulaResult",
                _ => "Template.Check.FormulaType",
            }, problem.Arguments);
        if (problems.Count > 0) return;
        var cycle = Fields.Types.FormulaField.CycleAcross(e.Key, f.Key, Field);
        if (cycle is not null) Add(path, "Template.Check.FormulaCycle", string.Join(" → ", cycle));
    }

    /// <summary>A numeric column of a subform of the template's entity (or of the workspace's, for an upgrade).</summary>
    private bool SubformColumnIsNumeric(string entity, string subform, string column)
    {
        if (TemplateEntity(entity)?.Fields.FirstOrDefault(x => x.Key == subform) is { } tf)
            return tf.Type == FieldTypes.Subform && tf.Columns?.FirstOrDefault(c => c.Key == column) is { } tc && FieldTypeRegistry.Find(tc.Type)?.IsNumeric == true;
        return existing.Entity(entity)?.Field(subform) is { Type: FieldTypes.Subform } ef
            && ef.Settings.Columns?.FirstOrDefault(c => c.Key == column) is { } ec && Fields.Types.SubformField.IsNumericColumn(ec);
    }

    /// <summary>A subform's columns: keys, types among <see cref="Fields.Types.SubformField.ColumnTypes"/>, options of a
    /// select, the target of a lookup, row formulas over numeric columns of the row without cycles; the row limits.</summary>
    private void CheckSubform(TemplateField f, string path)
    {
        var columns = f.Columns ?? [];
        if (columns.Count == 0) { Add(path + ".columns", "Template.Check.Empty"); return; }
        if (columns.Count > Fields.Types.SubformField.ColumnLimit) Add(path + ".columns", "Settings.ColumnsTooMany", Fields.Types.SubformField.ColumnLimit);
        Unique(columns.Select(c => c.Key), path + ".columns", "key");
        if (f.MinRows is < 0) Add(path + ".minRows", "Settings.MinRows");
        if (f.MaxRows is < 1 or > Fields.Types.SubformField.RowLimit) Add(path + ".maxRows", "Settings.MaxRows", Fields.Types.SubformField.RowLimit);
        if (f.MinRows is { } lo && f.MaxRows is { } hi && lo > hi) Add(path + ".maxRows", "Template.Check.MinAboveMax");
        for (var i = 0; i < columns.Count; i++)
        {
            var c = columns[i];
            var cp = $"{path}.columns[{i}]";
            Key(c.Key, cp + ".key");
            if (!Fields.Types.SubformField.ColumnTypes.Contains(c.Type)) { Add(cp + ".type", "Template.Check.FieldTypeNotAllowed", c.Key, c.Type); continue; }
            if (c.Type == FieldTypes.Select)
            {
                if (c.Options is not { Count: > 0 }) Add(cp + ".options", "Template.Check.Empty");
                else Unique(c.Options.Select(o => o.Key), cp + ".options", "key");
            }
            if (c.Type == FieldTypes.Lookup && (c.Target is null || !EntityExists(c.Target))) Add(cp + ".target", "Template.Check.UnknownEntity", c.Target ?? "");
            if (c.Min is { } min && c.Max is { } max && min > max) Add(cp + ".max", "Template.Check.MinAboveMax");
            if (c.Total is { } total)
            {
                if (!Fields.Types.SubformField.Totals.Contains(total)) Add(cp + ".total", "Template.Check.UnknownTotal", total);
                else if (FieldTypeRegistry.Find(c.Type)?.IsNumeric != true) Add(cp + ".total", "Template.Check.TotalNotNumeric", c.Key, c.Type);
            }
            if (c.Type != FieldTypes.Formula) continue;
            if (string.IsNullOrWhiteSpace(c.Expression)) { Add(cp + ".expression", "Template.Check.Required"); continue; }
            try
            {
                foreach (var reference in FormulaExpression.Parse(c.Expression).References)
                    if (reference == c.Key || columns.FirstOrDefault(x => x.Key == reference) is not { } other || FieldTypeRegistry.Find(other.Type)?.IsNumeric != true)
                        Add(cp + ".expression", "Template.Check.FormulaReference", reference);
            }
            catch (FormatException ex) { Add(cp + ".expression", "Template.Check.FormulaSyntax", ex.Message); continue; }
            var cycle = Fields.Types.FormulaField.Cycle(c.Key, key => columns.FirstOrDefault(x => x.Key == key && x.Type == FieldTypes.Formula)?.Expression);
            if (cycle is not null) Add(cp + ".expression", "Template.Check.FormulaCycle", string.Join(" → ", cycle));
        }
    }

    private bool FieldOrAttribute(string entity, string field) => RecordAttributes.Contains(field) || FieldType(entity, field) is not null;

    private void CheckView(TemplateView v, string path)
    {
        Key(v.Key, path + ".key");
        if (!EntityExists(v.Entity)) { Add(path + ".entity", "Template.Check.UnknownEntity", v.Entity); return; }
        for (var i = 0; i < (v.Columns?.Count ?? 0); i++)
            if (!FieldOrAttribute(v.Entity, v.Columns![i])) Add($"{path}.columns[{i}]", "Template.Check.UnknownField", v.Columns[i]);
        for (var i = 0; i < (v.Sort?.Count ?? 0); i++)
            if (!FieldOrAttribute(v.Entity, v.Sort![i].Field)) Add($"{path}.sort[{i}].field", "Template.Check.UnknownField", v.Sort[i].Field);
        CheckFilters(v.Entity, v.Filters, path + ".filters");
        for (var i = 0; i < (v.CardFields?.Count ?? 0); i++)
            if (!FieldOrAttribute(v.Entity, v.CardFields![i])) Add($"{path}.cardFields[{i}]", "Template.Check.UnknownField", v.CardFields[i]);
        if (v.Kind == "kanban")
        {
            var type = v.GroupBy is null ? null : FieldType(v.Entity, v.GroupBy);
            if (v.GroupBy is null || type is null) Add(path + ".groupBy", "Template.Check.UnknownField", v.GroupBy ?? "");
            else if (FieldTypeRegistry.Find(type)?.MakesBoardColumns != true) Add(path + ".groupBy", "Template.Check.FieldTypeNotAllowed", v.GroupBy, type);
        }
        if (v.Pipeline is { } p && !PipelineKeys(v.Entity).Contains(p)) Add(path + ".pipeline", "Template.Check.UnknownPipeline", p);
    }

    private void CheckFilters(string entity, List<Views.FilterSpec>? filters, string path)
    {
        for (var i = 0; i < (filters?.Count ?? 0); i++)
            if (!FieldOrAttribute(entity, filters![i].Field)) Add($"{path}[{i}].field", "Template.Check.UnknownField", filters[i].Field);
    }

    private void CheckReport(TemplateReport r, string path)
    {
        Key(r.Key, path + ".key");
        if (!ReportTypes.Contains(r.Type)) Add(path + ".type", "Template.Check.UnknownReportType", r.Type);
        if (!EntityExists(r.Entity)) { Add(path + ".entity", "Template.Check.UnknownEntity", r.Entity); return; }
        if (r.Pipeline is { } p && !PipelineKeys(r.Entity).Contains(p)) Add(path + ".pipeline", "Template.Check.UnknownPipeline", p);
        if (r.GroupBy is { } g && !FieldOrAttribute(r.Entity, g.Field)) Add(path + ".groupBy.field", "Template.Check.UnknownField", g.Field);
        if (r.Measure is { Field: { } mf } measure)
        {
            var type = FieldType(r.Entity, mf);
            if (type is null) Add(path + ".measure.field", "Template.Check.UnknownField", mf);
            else if (!FieldTypeRegistry.Get(type).IsNumeric) Add(path + ".measure.field", "Template.Check.FieldTypeNotAllowed", mf, type);
            // A formula is a measure only when it gives a number (the report engine refuses the rest when it runs).
            else if (FieldSettingsOf(r.Entity, mf) is { } settings && !FieldTypeRegistry.Get(type).IsNumericFor(settings))
                Add(path + ".measure.field", "Template.Check.MeasureNotNumber", mf, settings.ResultType ?? "number");
        }
        else if (r.Measure is { Aggregate: not "count" }) Add(path + ".measure.field", "Template.Check.Required");
        CheckFilters(r.Entity, r.Filters, path + ".filters");
    }

    private void CheckDashboard(TemplateDashboard d, string path)
    {
        Key(d.Key, path + ".key");
        Unique(d.Widgets.Select(w => w.Key), path + ".widgets", "key");
        for (var i = 0; i < d.Widgets.Count; i++)
        {
            var w = d.Widgets[i];
            if (doc.Reports.All(r => r.Key != w.Report) && !existingReports.Contains(w.Report))
                Add($"{path}.widgets[{i}].report", "Template.Check.UnknownReport", w.Report);
            if (w.X < 0 || w.W < 1 || w.X + w.W > 12) Add($"{path}.widgets[{i}].w", "Template.Check.Grid");
            for (var j = 0; j < i; j++)
            {
                var o = d.Widgets[j];
                if (w.X < o.X + o.W && o.X < w.X + w.W && w.Y < o.Y + o.H && o.Y < w.Y + w.H)
                    Add($"{path}.widgets[{i}]", "Template.Check.WidgetOverlap", w.Key, o.Key);
            }
        }
    }

    private void CheckSampleData()
    {
        if (doc.SampleData is null) return;
        foreach (var (entityKey, records) in doc.SampleData)
        {
            var path = $"$.sampleData.{entityKey}";
            if (!EntityExists(entityKey)) { Add(path, "Template.Check.UnknownEntity", entityKey); continue; }
            Unique(records.Where(r => r.Key is not null).Select(r => r.Key!), path, "key");
            for (var i = 0; i < records.Count; i++)
            {
                var record = records[i];
                var rp = $"{path}[{i}]";
                foreach (var (field, value) in record.Values)
                {
                    var type = FieldType(entityKey, field);
                    if (type is null) { Add($"{rp}.values.{field}", "Template.Check.UnknownField", field); continue; }
                    if (FieldTypeRegistry.Find(type)?.LinksRecords == true && value is not null)
                    {
                        var target = TemplateEntity(entityKey)?.Fields.FirstOrDefault(f => f.Key == field)?.Target ?? existing.Entity(entityKey)?.Field(field)?.Settings.Target;
                        var refKey = value.ToString();
                        if (target is null || doc.SampleData.GetValueOrDefault(target)?.Any(s => s.Key == refKey) != true)
                            Add($"{rp}.values.{field}", "Template.Check.UnknownSample", refKey, target ?? "");
                    }
                }
                if (record.Pipeline is { } p && !PipelineKeys(entityKey).Contains(p)) Add($"{rp}.pipeline", "Template.Check.UnknownPipeline", p);
                for (var h = 0; h < (record.History?.Count ?? 0); h++)
                    if (!StageKeys(entityKey, record.Pipeline ?? DefaultPipeline(entityKey)).Contains(record.History![h].Stage))
                        Add($"{rp}.history[{h}].stage", "Template.Check.UnknownStage", record.History[h].Stage);
            }
        }
    }

    private string? DefaultPipeline(string entity)
        => TemplateEntity(entity)?.Pipelines is { Count: > 0 } ps ? (ps.FirstOrDefault(p => p.Default) ?? ps[0]).Key : existing.Entity(entity)?.DefaultPipeline?.Key;
}
