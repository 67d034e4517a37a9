using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Automation;
using Crm.Core.Views;

namespace Crm.Core.Templates;

// Rules and pools: every reference is checked (entity, fields, stages and statuses, options, roles, departments,
// pools), against the template and what the workspace already has.
public sealed partial class TemplateChecker
{
    public const string Installer = "$installer";
    public const int MaxDays = Pools.PoolDefinitions.MaxDays;

    private static readonly string[] ReturnKinds = ["noFollowUp", "noNewRelated", "notWon"];
    private static readonly string[] OptionOps = ["eq", "neq", "in", "nin"];

    private void CheckAutomation()
    {
        var pools = doc.Pools ?? [];
        Unique(pools.Select(p => p.Entity + "/" + p.Key), "$.pools", "key");
        for (var i = 0; i < pools.Count; i++) CheckPool(pools[i], $"$.pools[{i}]");
        var rules = doc.Rules ?? [];
        Unique(rules.Select(r => r.Key), "$.rules", "key");
        for (var i = 0; i < rules.Count; i++) CheckRule(rules[i], $"$.rules[{i}]");
    }

    private bool RoleExists(string key) => doc.Roles.Any(r => r.Key == key) || existingRoles?.Contains(key) == true;
    private bool DepartmentExists(string key) => doc.Departments?.Any(d => d.Key == key) == true || existingDepartments?.Contains(key) == true;
    private bool PoolExists(string entity, string key) => doc.Pools?.Any(p => p.Entity == entity && p.Key == key) == true || existingPools?.Contains(entity + "/" + key) == true;

    private string? OwnerFieldOf(string entity) => TemplateEntity(entity)?.OwnerField ?? existing.Entity(entity)?.Entity.OwnerFieldKey;

    /// <summary>The keys a field's values may take (select options, status options, stages); null when any value goes.</summary>
    private HashSet<string>? OptionKeys(string entity, string field)
    {
        field = field switch
        {
            "$stage" => TemplateEntity(entity)?.StageField ?? existing.Entity(entity)?.Entity.StageFieldKey ?? field,
            "$status" => TemplateEntity(entity)?.StatusField ?? existing.Entity(entity)?.Entity.StatusFieldKey ?? field,
            _ => field,
        };
        var templateField = TemplateEntity(entity)?.Fields.FirstOrDefault(f => f.Key == field);
        var tenantField = existing.Entity(entity)?.Field(field);
        switch (templateField?.Type ?? tenantField?.Type)
        {
            case "select" or "multiselect":
                return (templateField?.Options?.Select(o => o.Key) ?? tenantField?.Settings.Options?.Select(o => o.Key) ?? []).ToHashSet(StringComparer.Ordinal);
            case "status":
                var list = templateField?.StatusList ?? tenantField?.Settings.StatusList;
                return (doc.StatusLists.FirstOrDefault(l => l.Key == list)?.Options.Select(o => o.Key)
                    ?? existing.StatusList(list)?.Options.Select(o => o.Key) ?? []).ToHashSet(StringComparer.Ordinal);
            case "stage":
                return StageKeys(entity, null).ToHashSet(StringComparer.Ordinal);
            default:
                return null;
        }
    }

    private void Option(string entity, string field, string? value, string path)
    {
        if (value is null || OptionKeys(entity, field) is not { } keys || keys.Contains(value)) return;
        Add(path, "Template.Check.UnknownOption", value, field);
    }

    private void CheckRule(TemplateRule r, string path)
    {
        Key(r.Key, path + ".key");
        if (string.IsNullOrWhiteSpace(r.Name.ZhCn) && string.IsNullOrWhiteSpace(r.Name.En)) Add(path + ".name", "Template.Check.Required");
        if (!EntityExists(r.Entity)) { Add(path + ".entity", "Template.Check.UnknownEntity", r.Entity); return; }
        var e = r.Entity;

        var trigger = r.Trigger;
        var tp = path + ".trigger";
        if (!TriggerKinds.All.Contains(trigger.Kind)) Add(tp + ".kind", "Template.Check.UnknownKind", trigger.Kind, string.Join(", ", TriggerKinds.All));
        for (var i = 0; i < trigger.Fields.Count; i++)
            if (!FieldOrAttribute(e, trigger.Fields[i])) Add($"{tp}.fields[{i}]", "Template.Check.UnknownField", trigger.Fields[i]);
        if (trigger.Kind == TriggerKinds.AfterDate)
        {
            var type = trigger.Field is null ? null : FieldType(e, trigger.Field);
            if (type is null) Add(tp + ".field", "Template.Check.UnknownField", trigger.Field ?? "");
            else if (FieldTypeRegistry.Find(type)?.IsDate != true) Add(tp + ".field", "Template.Check.FieldTypeNotAllowed", trigger.Field!, type);
        }
        if (trigger.Kind is TriggerKinds.AfterDate or TriggerKinds.NoActivity or TriggerKinds.InStage && trigger.Days is not (>= 0 and <= MaxDays))
            Add(tp + ".days", "Template.Check.Range", 0, MaxDays);
        if (trigger.Kind == TriggerKinds.TaskDue && trigger.Hours is not (>= 0 and <= 8760)) Add(tp + ".hours", "Template.Check.Range", 0, 8760);
        if (trigger.Kind is TriggerKinds.StageEntered or TriggerKinds.InStage)
        {
            if ((TemplateEntity(e)?.StageField ?? existing.Entity(e)?.Entity.StageFieldKey) is null) Add(tp + ".kind", "Template.Check.NoPipeline");
            var stages = StageKeys(e, null).ToHashSet(StringComparer.Ordinal);
            if (trigger.From is { } from && !stages.Contains(from)) Add(tp + ".from", "Template.Check.UnknownStage", from);
            if (trigger.To is { } to && !stages.Contains(to)) Add(tp + ".to", "Template.Check.UnknownStage", to);
        }
        if (trigger.Kind == TriggerKinds.StatusChanged)
        {
            if ((TemplateEntity(e)?.StatusField ?? existing.Entity(e)?.Entity.StatusFieldKey) is null) Add(tp + ".kind", "Template.Check.NoStatusField");
            else
            {
                Option(e, "$status", trigger.From, tp + ".from");
                Option(e, "$status", trigger.To, tp + ".to");
            }
        }

        if (r.Conditions is { } c)
        {
            var cp = path + ".conditions";
            if (c.Match is not ("all" or "any")) Add(cp + ".match", "Template.Check.UnknownKind", c.Match, "all, any");
            for (var i = 0; i < c.Filters.Count; i++)
            {
                var f = c.Filters[i];
                var fp = $"{cp}.filters[{i}]";
                if (!FieldOrAttribute(e, f.Field)) { Add(fp + ".field", "Template.Check.UnknownField", f.Field); continue; }
                if (!RuleValidator.Ops.Contains(f.Op)) { Add(fp + ".op", "Template.Check.UnknownKind", f.Op, string.Join(", ", RuleValidator.Ops)); continue; }
                if (OptionOps.Contains(f.Op))
                {
                    var values = f.Value is JsonArray a ? a.Select(x => x?.ToString()).ToList() : [f.Value?.ToString()];
                    foreach (var v in values) Option(e, f.Field, v, fp + ".value");
                }
            }
            for (var i = 0; i < c.Changes.Count; i++)
            {
                var ch = c.Changes[i];
                var chp = $"{cp}.changes[{i}]";
                if (!FieldOrAttribute(e, ch.Field)) { Add(chp + ".field", "Template.Check.UnknownField", ch.Field); continue; }
                Option(e, ch.Field, ch.From, chp + ".from");
                Option(e, ch.Field, ch.To, chp + ".to");
            }
        }

        if (r.Actions.Count == 0) Add(path + ".actions", "Template.Check.Empty");
        for (var i = 0; i < r.Actions.Count; i++) CheckAction(e, r.Actions[i], $"{path}.actions[{i}]");
    }

    private void CheckAction(string e, TemplateRuleAction a, string path)
    {
        switch (a.Kind)
        {
            case ActionKinds.AssignOwner:
                if (a.Mode is { } mode && !AssignModes.All.Contains(mode)) Add(path + ".mode", "Template.Check.UnknownKind", mode, string.Join(", ", AssignModes.All));
                People(a.Users, a.Roles, a.Departments, path, required: true);
                if (a.Mode == AssignModes.Weighted && (a.Weights?.Count != (a.Users?.Count ?? 0) || a.Weights.Any(w => w is < 1 or > 100)))
                    Add(path + ".weights", "Template.Check.Weights");
                if (OwnerFieldOf(e) is null) Add(path + ".kind", "Template.Check.NoOwnerField", e);
                break;
            case ActionKinds.SetFields or ActionKinds.CreateRelated or ActionKinds.UpdateRelated:
                var target = e;
                if (a.Kind == ActionKinds.CreateRelated)
                {
                    if (a.Entity is null || !EntityExists(a.Entity)) { Add(path + ".entity", "Template.Check.UnknownEntity", a.Entity ?? ""); break; }
                    target = a.Entity;
                    if (a.Field is { } back && FieldType(target, back) is var bt && FieldTypeRegistry.Find(bt)?.LinksRecords != true)
                        Add(path + ".field", bt is null ? "Template.Check.UnknownField" : "Template.Check.FieldTypeNotAllowed", back, bt ?? "");
                }
                if (a.Kind == ActionKinds.UpdateRelated)
                {
                    var type = a.Field is null ? null : FieldType(e, a.Field);
                    if (FieldTypeRegistry.Find(type)?.LinksRecords != true) { Add(path + ".field", type is null ? "Template.Check.UnknownField" : "Template.Check.FieldTypeNotAllowed", a.Field ?? "", type ?? ""); break; }
                    target = TemplateEntity(e)?.Fields.FirstOrDefault(f => f.Key == a.Field)?.Target ?? existing.Entity(e)?.Field(a.Field!)?.Settings.Target ?? e;
                }
                if (a.Kind == ActionKinds.SetFields && a.Values is not { Count: > 0 }) Add(path + ".values", "Template.Check.Empty");
                foreach (var (key, value) in a.Values ?? [])
                {
                    if (FieldType(target, key) is null) { Add($"{path}.values.{key}", "Template.Check.UnknownField", key); continue; }
                    if (!value.StartsWith('$') && !value.Contains('{')) Option(target, key, value, $"{path}.values.{key}");
                }
                break;
            case ActionKinds.CreateTask:
                if (a.DueDays is < 0 or > MaxDays) Add(path + ".dueDays", "Template.Check.Range", 0, MaxDays);
                if (a.DueHours is < 0 or > 8760) Add(path + ".dueHours", "Template.Check.Range", 0, 8760);
                if (a.Assignee is not (null or "owner" or "$me" or Installer)) Add(path + ".assignee", "Template.Check.Assignee", a.Assignee);
                break;
            case ActionKinds.MoveToPool:
                if (a.Pool is null || !PoolExists(e, a.Pool)) Add(path + ".pool", "Template.Check.UnknownPool", a.Pool ?? "", e);
                break;
            case ActionKinds.Notify:
                People(a.Users, a.Roles, a.Departments, path, required: a.Assignee != "owner");
                if (a.Assignee is not (null or "owner")) Add(path + ".assignee", "Template.Check.Assignee", a.Assignee);
                break;
            case ActionKinds.CallWebhook:
                // Webhooks (URL, secret) belong to one installation: a template cannot name one (docs/decisions.md).
                Add(path + ".kind", "Template.Check.WebhookAction");
                break;
            default:
                Add(path + ".kind", "Template.Check.UnknownKind", a.Kind, string.Join(", ", ActionKinds.All.Where(k => k != ActionKinds.CallWebhook)));
                break;
        }
    }

    /// <summary>Users ("$installer" only), role keys and department keys; <paramref name="required"/>: at least one.</summary>
    private void People(List<string>? users, List<string>? roles, List<string>? departments, string path, bool required)
    {
        for (var i = 0; i < (users?.Count ?? 0); i++)
            if (users![i] != Installer) Add($"{path}.users[{i}]", "Template.Check.InstallerOnly", users[i]);
        for (var i = 0; i < (roles?.Count ?? 0); i++)
            if (!RoleExists(roles![i])) Add($"{path}.roles[{i}]", "Template.Check.UnknownRole", roles[i]);
        for (var i = 0; i < (departments?.Count ?? 0); i++)
            if (!DepartmentExists(departments![i])) Add($"{path}.departments[{i}]", "Template.Check.UnknownDepartment", departments[i]);
        if (required && (users?.Count ?? 0) + (roles?.Count ?? 0) + (departments?.Count ?? 0) == 0) Add(path + ".roles", "Template.Check.NoPeople");
    }

    private void CheckPool(TemplatePool p, string path)
    {
        Key(p.Key, path + ".key");
        if (string.IsNullOrWhiteSpace(p.Label.ZhCn) && string.IsNullOrWhiteSpace(p.Label.En)) Add(path + ".label", "Template.Check.Required");
        if (!EntityExists(p.Entity)) { Add(path + ".entity", "Template.Check.UnknownEntity", p.Entity); return; }
        if (OwnerFieldOf(p.Entity) is null) Add(path + ".entity", "Template.Check.NoOwnerField", p.Entity);
        if (p.DailyClaimLimit is < 1 or > 10000) Add(path + ".dailyClaimLimit", "Template.Check.Range", 1, 10000);
        if (p.ReclaimCooldownDays is < 0 or > MaxDays) Add(path + ".reclaimCooldownDays", "Template.Check.Range", 0, MaxDays);
        if (p.Members is { } m) People(m.Users, m.Roles, m.Departments, path + ".members", required: true);
        if (p.Admins is { } ad) People(ad.Users, ad.Roles, ad.Departments, path + ".admins", required: false);
        for (var i = 0; i < (p.ReturnRules?.Count ?? 0); i++)
        {
            var r = p.ReturnRules![i];
            var rp = $"{path}.returnRules[{i}]";
            if (!ReturnKinds.Contains(r.Kind)) { Add(rp + ".kind", "Template.Check.UnknownKind", r.Kind, string.Join(", ", ReturnKinds)); continue; }
            if (r.Days is < 1 or > MaxDays) Add(rp + ".days", "Template.Check.Range", 1, MaxDays);
            if (r.ReminderDaysBefore is { } before && (before < 1 || before >= r.Days)) Add(rp + ".reminderDaysBefore", "Template.Check.Range", 1, Math.Max(1, r.Days - 1));
            if (r.Kind == "noNewRelated")
            {
                var lookup = r.RelatedEntity is null ? (bool?)null
                    : (TemplateEntity(r.RelatedEntity)?.Fields.Where(f => FieldTypeRegistry.Find(f.Type)?.LinksRecords == true).Select(f => f.Target)
                        ?? existing.Entity(r.RelatedEntity)?.AllFields.Where(f => FieldTypeRegistry.Get(f.Type).LinksRecords).Select(f => f.Settings.Target) ?? []).Any(t => t == p.Entity);
                if (lookup != true) Add(rp + ".relatedEntity", "Template.Check.RelatedLookup", r.RelatedEntity ?? "", p.Entity);
            }
            for (var k = 0; k < (r.KeepStatuses?.Count ?? 0); k++)
                if (!Metadata.MetadataKeys.IsValid(r.KeepStatuses![k])) Add($"{rp}.keepStatuses[{k}]", "Template.Check.Key", r.KeepStatuses[k] ?? "");
            if (r.Kind == "notWon")
            {
                var won = (TemplateEntity(p.Entity)?.Pipelines.SelectMany(x => x.Stages).Any(s => s.Kind == "won") ?? false)
                    || existing.Entity(p.Entity)?.AllPipelines.SelectMany(x => x.AllStages).Any(s => s.Kind == Metadata.StageKind.Won) == true;
                if (!won) Add(rp + ".kind", "Template.Check.NoWonStage", p.Entity);
            }
        }
    }
}
