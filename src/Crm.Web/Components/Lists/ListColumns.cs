using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Views;
using Crm.Web.Resources;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Components.Lists;

/// <summary>How a column is filtered, which decides the filter editor the header offers.</summary>
public enum FilterKind { Text, Number, Date, Instant, Bool, Choice, Member, Lookup, Department, Files, Region }

/// <summary>A column of a record list: a field of the entity type, or a record attribute ($createdAt, $updatedAt).</summary>
public sealed record ListColumn(string Key, FieldDefinition? Field, FilterKind Kind, bool IsTitle)
{
    public FieldType? Type => Field is null ? null : FieldTypeRegistry.Find(Field.Type);
    public bool IsNumeric => Crm.Core.Fields.FieldType.IsNumericField(Field);
    public string Label(IStringLocalizer<Crm.Web.Resources.Lists> t) => Field?.Label.Get() ?? t[$"Column.{Key.TrimStart('$')}"];
}

/// <summary>Columns, filter editors and filter descriptions of record lists, from metadata.</summary>
public static class ListColumns
{
    /// <summary>The columns a view shows, in its order; the title column is always there (it links to the record).</summary>
    /// <param name="access">The person's field rights: columns of hidden fields are left out (the title column stays
    /// as the record's link; it shows "—" when the title field is hidden).</param>
    public static IReadOnlyList<ListColumn> Of(EntityMeta entity, ViewDefinition view, Crm.Core.Permissions.EntityFieldView? access = null)
    {
        var columns = view.Columns.Where(k => access?.CanUse(k) ?? true).Select(k => Find(entity, k)).OfType<ListColumn>().ToList();
        if (entity.TitleField is { } title && columns.All(c => c.Key != title.Key)) columns.Insert(0, Find(entity, title.Key)!);
        return columns;
    }

    /// <summary>Everything a list can show: the active fields in form order, then the record's dates.</summary>
    public static IReadOnlyList<ListColumn> Available(EntityMeta entity, Crm.Core.Permissions.EntityFieldView? access = null)
        => (access?.Fields ?? entity.Fields).Select(f => Find(entity, f.Key)!).Concat(SavedViewService.AttributeColumns.Select(a => Find(entity, a)!)).ToList();

    public static ListColumn? Find(EntityMeta entity, string key)
    {
        if (SavedViewService.AttributeColumns.Contains(key)) return new ListColumn(key, null, FilterKind.Instant, false);
        var field = entity.Field(key);
        if (field is null || field.IsArchived || FieldTypeRegistry.Find(field.Type) is not { } type) return null;
        // The type's UI says how its column is filtered.
        var kind = Crm.Web.Components.Fields.Types.FieldTypeUiRegistry.Default.Get(type.Name).Filter(field);
        return new ListColumn(key, field, kind, key == entity.Entity.TitleFieldKey);
    }

    /// <summary>The options of a choice column (select, multi-select, status, stage), archived ones last.</summary>
    public static IReadOnlyList<(string Key, LocalizedText Label, string? Color)> Options(EntityMeta entity, ListColumn column)
    {
        if (column.Field is not { } field) return [];
        if (column.Type is Crm.Core.Fields.Types.MultiSelectField)
            return (field.Settings.Options ?? []).OrderBy(o => o.IsArchived).Select(o => (o.Key, o.Label, o.Color)).ToList();
        return column.Type is Crm.Core.Fields.Types.ChoiceFieldBase choice
            ? choice.Options(new FieldContext(field, entity)).OrderBy(o => o.Archived).Select(o => (o.Key, o.Label, o.Color)).ToList()
            : [];
    }

    /// <summary>The filters of one column (a column may have two, e.g. "from" and "to").</summary>
    public static List<FilterSpec> FiltersOf(ViewDefinition view, string key) => view.Filters.Where(f => f.Field == key).ToList();

    /// <summary>The view with the filters of <paramref name="key"/> replaced by <paramref name="filters"/>.</summary>
    public static ViewDefinition WithFilters(ViewDefinition view, string key, IEnumerable<FilterSpec> filters)
        => view with { Filters = view.Filters.Where(f => f.Field != key).Concat(filters).ToList() };

    /// <summary>A short, readable description of a column's filters: "≥ 100,000", "Proposal, Negotiation", "contains 云帆".</summary>
    public static string Describe(EntityMeta entity, ListColumn column, IReadOnlyList<FilterSpec> filters, IReadOnlyDictionary<Guid, string> names, IStringLocalizer<Crm.Web.Resources.Lists> t)
    {
        var parts = new List<string>();
        foreach (var f in filters)
        {
            var values = Values(f.Value);
            string Shown(string v) => column.Kind switch
            {
                FilterKind.Choice => Options(entity, column).FirstOrDefault(o => o.Key == v) is { Key: not null } o ? o.Label.Get() : v,
                FilterKind.Member or FilterKind.Lookup or FilterKind.Department => v == "$me" ? t["Filter.Me"] : Guid.TryParse(v, out var id) && names.TryGetValue(id, out var n) ? n : v,
                FilterKind.Bool => v is "true" or "1" ? t["Filter.Yes"] : t["Filter.No"],
                FilterKind.Region => Crm.Core.Fields.Address.ChinaRegions.Find(v) is { } region ? Crm.Core.Fields.Address.ChinaRegions.PathName(region) : v,
                FilterKind.Date or FilterKind.Instant => v.Length > 10 ? v[..10] : v,
                FilterKind.Number => decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d.ToString("#,##0.##", CultureInfo.CurrentCulture) : v,
                _ => v,
            };
            var list = string.Join(", ", values.Select(Shown));
            parts.Add(f.Op switch
            {
                "empty" => column.Kind == FilterKind.Files ? t["Filter.NoFiles"] : t["Filter.IsEmpty"],
                "notEmpty" => column.Kind == FilterKind.Files ? t["Filter.HasFiles"] : t["Filter.IsNotEmpty"],
                "contains" => t["Filter.Contains", list],
                "gte" => "≥ " + list,
                "gt" => "> " + list,
                "lte" => "≤ " + list,
                "lt" => "< " + list,
                "between" => values.Count == 2 ? $"{Shown(values[0])} – {Shown(values[1])}" : list,
                "neq" or "nin" => t["Filter.Not", list],
                _ => list,
            });
        }
        return string.Join(" · ", parts);
    }

    public static List<string> Values(JsonNode? value)
    {
        // Not "[value]": the conditional's type is JsonArray, so that would add the node to a new array and give it a parent.
        IEnumerable<JsonNode?> nodes = value is JsonArray a ? a : new[] { value };
        return nodes.Where(n => n is not null).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : n!.ToJsonString()).ToList();
    }
}
