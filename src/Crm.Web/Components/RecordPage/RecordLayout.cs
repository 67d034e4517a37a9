using System.Text.Json.Nodes;
using Crm.Core.Metadata;

namespace Crm.Web.Components.RecordPage;

public sealed record LayoutSection(FormSection Section, IReadOnlyList<FieldDefinition> Fields);

/// <summary>
/// The designed layout of an entity type: its sections in order with their active fields (a field naming no
/// section goes to the first one) — the same arrangement DynamicForm edits, shown read-only on the record page.
/// </summary>
public static class RecordLayout
{
    public static readonly FormSection DefaultSection = new("main", new LocalizedText("基本信息", "Details"));

    /// <param name="values">The record's values: fields a form rule hides for them are left out.</param>
    public static IReadOnlyList<LayoutSection> Sections(EntityMeta entity, Crm.Core.Permissions.EntityFieldView? access = null, JsonObject? values = null)
    {
        var sections = entity.Entity.Sections.Count > 0 ? entity.Entity.Sections : [DefaultSection];
        var first = sections[0].Key;
        var rules = values is null ? FormRuleState.None : FormRuleState.Evaluate(entity, values);
        var visible = (access?.Fields ?? entity.Fields).Where(f => !rules.IsHidden(f.Key)).ToList();
        return sections
            .Select(s => new LayoutSection(s, visible.Where(f => (sections.Any(x => x.Key == f.SectionKey) ? f.SectionKey : first) == s.Key).ToList()))
            .Where(s => s.Fields.Count > 0)
            .ToList();
    }

    /// <summary>Ids held by fields that show names (members, records, departments), loaded in one call.</summary>
    public static IEnumerable<Guid> ReferencedIds(EntityMeta entity, params JsonObject?[] valueSets)
    {
        foreach (var values in valueSets)
        {
            if (values is null) continue;
            foreach (var field in entity.AllFields)
                if (Crm.Core.Fields.FieldTypeRegistry.Find(field.Type) is { ShowsNames: true } type)
                    foreach (var id in type.ReferencedIds(values[field.Key])) yield return id;
        }
    }

    /// <summary>The fields whose values differ between two value sets (computed fields excluded).</summary>
    public static IReadOnlyList<string> ChangedKeys(EntityMeta entity, JsonObject before, JsonObject after)
        => entity.Fields
            .Where(f => Crm.Core.Fields.FieldTypeRegistry.Find(f.Type)?.IsComputed != true)
            .Where(f => !JsonNode.DeepEquals(before[f.Key], after[f.Key]))
            .Select(f => f.Key).ToList();
}
