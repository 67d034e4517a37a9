using System.Collections.Frozen;
using Crm.Core.Fields.Types;

namespace Crm.Core.Fields;

/// <summary>
/// Every field type, in one place, in the order the designer offers them. Adding a type: one class in
/// Fields/Types (its behaviour), one <c>FieldTypeUi</c> in Crm.Web/Components/Fields/Types (its UI), one line
/// here and one in the web registry, its name in the template JSON Schema's <c>fieldType</c> list and its
/// resource strings (docs/field-types.md); tests check that these lists agree.
/// </summary>
public static class FieldTypeRegistry
{
    private static readonly FieldType[] Ordered =
    [
        new TextField(), new LongTextField(), new NumberField(), new MoneyField(), new PercentField(),
        new DateField(), new DateTimeField(), new BoolField(), new SelectField(), new MultiSelectField(),
        new EmailField(), new PhoneField(), new UrlField(), new MemberField(), new DepartmentField(), new LookupField(),
        new StatusField(), new StageField(), new AutoNumberField(), new FormulaField(), new SubformField(),
        new FileField(), new ImageField(),
        new AddressField(),
    ];

    private static readonly FrozenDictionary<string, FieldType> Types = Ordered.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>Every type's name, in the designer's order.</summary>
    public static IReadOnlyList<string> Names { get; } = Ordered.Select(t => t.Name).ToList();
    public static IEnumerable<FieldType> All => Ordered;

    public static FieldType Get(string name)
        => Types.TryGetValue(name, out var type) ? type : throw new KeyNotFoundException($"Unknown field type '{name}'.");

    public static FieldType? Find(string? name) => name is not null && Types.TryGetValue(name, out var type) ? type : null;
}
