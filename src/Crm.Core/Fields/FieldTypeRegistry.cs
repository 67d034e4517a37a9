using System.Collections.Frozen;
using Crm.Core.Fields.Types;

namespace Crm.Core.Fields;

/// <summary>Every field type, in one place. Adding a type: one class in Fields/Types and one line here.</summary>
public static class FieldTypeRegistry
{
    private static readonly FrozenDictionary<string, FieldType> Types = new FieldType[]
    {
        new TextField(), new LongTextField(), new NumberField(), new MoneyField(), new PercentField(),
        new DateField(), new DateTimeField(), new BoolField(), new SelectField(), new MultiSelectField(),
        new EmailField(), new PhoneField(), new UrlField(), new MemberField(), new LookupField(),
        new StatusField(), new StageField(), new AutoNumberField(), new FormulaField(),
    }.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Names => Types.Keys;
    public static IEnumerable<FieldType> All => Types.Values;

    public static FieldType Get(string name)
        => Types.TryGetValue(name, out var type) ? type : throw new KeyNotFoundException($"Unknown field type '{name}'.");

    public static FieldType? Find(string? name) => name is not null && Types.TryGetValue(name, out var type) ? type : null;
}
