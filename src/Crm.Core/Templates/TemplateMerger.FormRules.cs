using Crm.Core.Metadata;

namespace Crm.Core.Templates;

internal sealed partial class TemplateMerger
{
    /// <summary>
    /// Form rules merge by key, as sections and fields do: a new rule is added at the end (unless the tenant deleted
    /// it after an earlier install); a changed rule replaces the tenant's only when the tenant still has the
    /// installed version's rule unchanged, else the tenant's is kept; a rule the tenant added stays.
    /// </summary>
    private void MergeFormRules(EntityType current, TemplateEntityType e, TemplateEntityType? oldEntity)
    {
        foreach (var rule in e.FormRules ?? [])
        {
            var path = $"{e.Key}.{rule.Key}";
            var next = rule.ToRule(Origin);
            var at = current.FormRules.FindIndex(r => r.Key == rule.Key);
            var oldRule = oldEntity?.FormRules?.FirstOrDefault(r => r.Key == rule.Key);
            if (at < 0)
            {
                if (RemovedByTenant(oldRule is not null, "formRule", path)) continue;
                current.FormRules = [.. current.FormRules, next];
                _changes.Add(new PlannedChange(ChangeKind.Add, "formRule", path));
                continue;
            }
            var mine = TemplateFormRule.From(current.FormRules[at]);
            if (Same(mine, rule)) continue;
            if (oldRule is not null && Same(mine, oldRule))
            {
                var rules = current.FormRules.ToList();
                rules[at] = next;
                current.FormRules = rules;
                _changes.Add(new PlannedChange(ChangeKind.Update, "formRule", path));
            }
            else _changes.Add(new PlannedChange(ChangeKind.KeepYours, "formRule", path));
        }
    }
}
