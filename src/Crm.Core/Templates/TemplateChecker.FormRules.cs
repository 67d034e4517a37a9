using Crm.Core.Metadata;

namespace Crm.Core.Templates;

public sealed partial class TemplateChecker
{
    /// <summary>
    /// Form rules: unique keys, known fields (of the template's entity type or the tenant's), known ops and effects,
    /// no rule on a field its own condition reads, no cycle among the rules (the same checks as the designer).
    /// </summary>
    private void CheckFormRules(TemplateEntityType e, string path)
    {
        if (e.FormRules is not { Count: > 0 } rules) return;
        var stored = existing.Entity(e.Key);
        FieldDefinition? Field(string key)
        {
            if (e.Fields.FirstOrDefault(f => f.Key == key) is { } tf)
                return new FieldDefinition { Key = tf.Key, Type = tf.Type, Label = tf.Label, Settings = TemplateMapping.Settings(tf) };
            return stored?.Field(key);
        }
        string Name(string key) => Field(key)?.Label.Get() is { Length: > 0 } l ? l : key;
        var asRules = rules.Select(r => r.ToRule(null)).ToList();
        foreach (var problem in FormRuleChecks.Check(asRules, Field, k => OptionKeys(e.Key, k)))
        {
            // "when/filters/0/value" → ".when.filters[0].value"
            var part = System.Text.RegularExpressions.Regex.Replace(problem.Part, @"/(\d+)", "[$1]").Replace('/', '.');
            var at = problem.Rule is null ? $"{path}.formRules" : $"{path}.formRules[{problem.Index}]" + (part.Length > 0 ? "." + part : "");
            _errors.Add(at, FormRuleChecks.Message(problem, t, Name));
        }
    }
}
