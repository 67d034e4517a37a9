using Crm.Core.Accounts;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Automation;

/// <summary>
/// Checks a rule against the entity type it acts on: the designer and the template checker use the same rules;
/// errors are keyed by a path (<c>trigger.field</c>, <c>actions[0].users</c>, prefixed by the caller) and say in the
/// user's language what is wrong.
/// </summary>
public static class RuleValidator
{
    public static void Validate(AutomationRule rule, EntityMeta? entity, TenantMetadata? metadata, ValidationErrors errors, IStringLocalizer<CoreStrings> t, string prefix = "")
    {
        if (string.IsNullOrWhiteSpace(rule.Name.ZhCn) && string.IsNullOrWhiteSpace(rule.Name.En)) errors.Add(prefix + "name", t["Automation.NameRequired"]);
        if (entity is null) { errors.Add(prefix + "entity", t["Automation.UnknownEntity", ""]); return; }
        var trigger = rule.Trigger;
        if (!TriggerKinds.All.Contains(trigger.Kind)) errors.Add(prefix + "trigger.kind", t["Automation.BadTrigger", trigger.Kind]);
        foreach (var f in trigger.Fields.Where(f => entity.Field(f) is null)) errors.Add(prefix + "trigger.fields", t["Automation.UnknownField", f]);
        if (trigger.Kind == TriggerKinds.AfterDate && !(entity.Field(trigger.Field ?? "") is { } dateField && FieldTypeRegistry.Get(dateField.Type).IsDate))
            errors.Add(prefix + "trigger.field", t["Automation.DateFieldRequired"]);
        if (trigger.Kind is TriggerKinds.AfterDate or TriggerKinds.NoActivity or TriggerKinds.InStage && trigger.Days is not (>= 0 and <= 3650))
            errors.Add(prefix + "trigger.days", t["Automation.DaysRange"]);
        if (trigger.Kind == TriggerKinds.TaskDue && trigger.Hours is not (>= 0 and <= 8760)) errors.Add(prefix + "trigger.hours", t["Automation.HoursRange"]);
        if (trigger.Kind is TriggerKinds.StageEntered or TriggerKinds.InStage && entity.StageField is null) errors.Add(prefix + "trigger.kind", t["Automation.NoStageField"]);
        if (trigger.Kind == TriggerKinds.StatusChanged && entity.StatusField is null) errors.Add(prefix + "trigger.kind", t["Automation.NoStatusField"]);
        var stages = entity.AllPipelines.SelectMany(p => p.AllStages).Select(s => s.Key).ToHashSet();
        var statuses = metadata?.StatusList(entity.StatusField?.Settings.StatusList)?.Options.Select(o => o.Key).ToHashSet() ?? [];
        foreach (var (value, path) in new[] { (trigger.From, "trigger.from"), (trigger.To, "trigger.to") })
        {
            if (value is null) continue;
            var known = trigger.Kind is TriggerKinds.StageEntered or TriggerKinds.InStage ? stages : trigger.Kind == TriggerKinds.StatusChanged ? statuses : null;
            if (known is not null && !known.Contains(value)) errors.Add(prefix + path, t["Automation.UnknownOption", value]);
        }

        if (rule.Conditions.Match is not ("all" or "any")) errors.Add(prefix + "conditions.match", t["Automation.BadMatch"]);
        for (var i = 0; i < rule.Conditions.Filters.Count; i++)
        {
            var f = rule.Conditions.Filters[i];
            if (!f.Field.StartsWith('$') && entity.Field(f.Field) is null) errors.Add($"{prefix}conditions.filters[{i}].field", t["Automation.UnknownField", f.Field]);
            if (!Ops.Contains(f.Op)) errors.Add($"{prefix}conditions.filters[{i}].op", t["Automation.BadOp", f.Op]);
        }
        for (var i = 0; i < rule.Conditions.Changes.Count; i++)
            if (!rule.Conditions.Changes[i].Field.StartsWith('$') && entity.Field(rule.Conditions.Changes[i].Field) is null)
                errors.Add($"{prefix}conditions.changes[{i}].field", t["Automation.UnknownField", rule.Conditions.Changes[i].Field]);

        if (rule.Actions.Count == 0) errors.Add(prefix + "actions", t["Automation.ActionsRequired"]);
        for (var i = 0; i < rule.Actions.Count; i++)
        {
            var a = rule.Actions[i];
            var path = $"{prefix}actions[{i}]";
            switch (a.Kind)
            {
                case ActionKinds.AssignOwner:
                    if (!AssignModes.All.Contains(a.Mode ?? AssignModes.RoundRobin)) errors.Add(path + ".mode", t["Automation.BadMode", a.Mode ?? ""]);
                    if (a.Users.Count == 0 && a.Roles.Count == 0 && a.Departments.Count == 0) errors.Add(path + ".users", t["Automation.UsersRequired"]);
                    if (a.Mode == AssignModes.Weighted && (a.Weights.Count != a.Users.Count || a.Weights.Any(w => w is < 1 or > 100)))
                        errors.Add(path + ".weights", t["Automation.WeightsRange"]);
                    if (entity.OwnerField is null) errors.Add(path + ".kind", t["Automation.NoOwnerField", entity.Entity.Label.Get()]);
                    break;
                case ActionKinds.SetFields or ActionKinds.UpdateRelated or ActionKinds.CreateRelated:
                    var target = a.Kind switch
                    {
                        ActionKinds.CreateRelated => metadata?.Entity(a.Entity ?? ""),
                        ActionKinds.UpdateRelated => metadata?.Entity(entity.Field(a.Field ?? "")?.Settings.Target ?? ""),
                        _ => entity,
                    };
                    if (a.Kind == ActionKinds.CreateRelated && target is null) errors.Add(path + ".entity", t["Automation.UnknownEntity", a.Entity ?? ""]);
                    if (a.Kind == ActionKinds.UpdateRelated && !LinksRecords(entity.Field(a.Field ?? ""))) errors.Add(path + ".field", t["Automation.LookupRequired"]);
                    if (a.Kind == ActionKinds.CreateRelated && a.Field is { } back && !LinksRecords(target?.Field(back))) errors.Add(path + ".field", t["Automation.LookupRequired"]);
                    if (a.Kind == ActionKinds.SetFields && a.Values.Count == 0) errors.Add(path + ".values", t["Automation.ValuesRequired"]);
                    if (target is not null)
                        foreach (var key in a.Values.Keys.Where(k => target.Field(k) is null)) errors.Add($"{path}.values.{key}", t["Automation.UnknownField", key]);
                    break;
                case ActionKinds.CreateTask:
                    if (a.DueDays is < 0 or > 3650 || a.DueHours is < 0 or > 8760) errors.Add(path + ".dueDays", t["Automation.DaysRange"]);
                    if (a.Assignee is not (null or "" or "owner" or "$me") && !Guid.TryParse(a.Assignee, out _)) errors.Add(path + ".assignee", t["Automation.BadAssignee", a.Assignee]);
                    break;
                case ActionKinds.MoveToPool:
                    if (!MetadataKeys.IsValid(a.Pool)) errors.Add(path + ".pool", t["Automation.PoolMissing"]);
                    break;
                case ActionKinds.Notify:
                    if (a.Users.Count == 0 && a.Roles.Count == 0 && a.Departments.Count == 0 && a.Assignee != "owner") errors.Add(path + ".users", t["Automation.UsersRequired"]);
                    break;
                case ActionKinds.CallWebhook:
                    if (a.Webhook is null || a.Webhook == Guid.Empty) errors.Add(path + ".webhook", t["Automation.WebhookRequired"]);
                    break;
                default:
                    errors.Add(path + ".kind", t["Automation.UnknownAction", a.Kind]);
                    break;
            }
        }
    }

    private static bool LinksRecords(FieldDefinition? field) => field is not null && FieldTypeRegistry.Get(field.Type).LinksRecords;

    public static readonly string[] Ops = ["eq", "neq", "in", "nin", "contains", "gt", "gte", "lt", "lte", "between", "empty", "notEmpty"];
}
