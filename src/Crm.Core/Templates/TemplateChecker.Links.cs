using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;

namespace Crm.Core.Templates;

public sealed partial class TemplateChecker
{
    /// <summary>
    /// Linked fields (数据联动) of a lookup field or of a subform's lookup column, before anything is installed: fill
    /// sources exist on the picked type and fill targets on this type (a column's: the row's other columns) and the
    /// pairs are compatible, pick filter fields exist on the picked type and "$form." values name fields here, shown
    /// fields exist. The same checks as the designer (<see cref="LinkedFields.Check(FieldDefinition, Func{string, FieldDefinition?}, Func{string, FieldDefinition?}, string)"/>);
    /// each problem is keyed by the JSON path of the pair, filter or shown field (<c>….fill[1]</c>).
    /// </summary>
    private void CheckLinks(TemplateEntityType e, FieldDefinition lookup, Func<string, FieldDefinition?> fieldOf, string path)
    {
        if (!LinkedFields.HasLinks(lookup.Settings) || lookup.Settings.Target is not { } target || !EntityExists(target)) return;
        var targetLabel = TemplateEntity(target)?.Label.Get() ?? existing.Entity(target)?.Entity.Label.Get() ?? target;
        foreach (var p in LinkedFields.Check(lookup, fieldOf, key => TemplateFieldOf(target, key), targetLabel))
            _errors.Add(p.Index >= 0 ? $"{path}.{p.Setting}[{p.Index}]" : $"{path}.{p.Setting}", t("Settings.Link." + p.Kind, [p.Subject, p.Other]));
    }

    /// <summary>A field of <paramref name="entity"/> as the template gives it, else as the workspace has it.</summary>
    private FieldDefinition? TemplateFieldOf(string entity, string key)
    {
        if (TemplateEntity(entity)?.Fields.FirstOrDefault(f => f.Key == key) is { } tf)
            return new FieldDefinition { Key = tf.Key, Type = tf.Type, Label = tf.Label, Settings = TemplateMapping.Settings(tf) };
        return existing.Entity(entity)?.Field(key);
    }

    /// <summary>The lookup fields of <paramref name="e"/> and the lookup columns of its subforms with linked settings.</summary>
    private void CheckLinks(TemplateEntityType e, string path)
    {
        for (var i = 0; i < e.Fields.Count; i++)
        {
            var f = e.Fields[i];
            if (f.Type == FieldTypes.Lookup)
                CheckLinks(e, new FieldDefinition { Key = f.Key, Type = f.Type, Label = f.Label, Settings = TemplateMapping.Settings(f) }, key => TemplateFieldOf(e.Key, key), $"{path}.fields[{i}]");
            else if (f.Type == FieldTypes.Subform && f.Columns is { } columns)
            {
                var settings = TemplateMapping.Settings(f);
                var row = LinkedFields.RowFields(settings);
                var asColumns = settings.Columns ?? [];
                for (var c = 0; c < columns.Count && c < asColumns.Count; c++)
                    if (asColumns[c].Type == FieldTypes.Lookup)
                        CheckLinks(e, asColumns[c].AsField(), row, $"{path}.fields[{i}].columns[{c}]");
            }
        }
    }
}
