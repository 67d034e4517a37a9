using System.Collections.Frozen;
using Crm.Core.Fields;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Components.Fields.Types;

/// <summary>
/// Every field type's UI, in one place (the web counterpart of <see cref="FieldTypeRegistry"/>). Components get it
/// from DI; static helpers (list columns, cells) use <see cref="Default"/>, the same instance.
/// </summary>
public sealed class FieldTypeUiRegistry
{
    public static FieldTypeUiRegistry Default { get; } = new(
    [
        new TextUi(), new LongTextUi(), new NumberUi(FieldTypes.Number), new NumberUi(FieldTypes.Money), new NumberUi(FieldTypes.Percent),
        new DateUi(), new DateTimeUi(), new BoolUi(), new ChoiceUi(FieldTypes.Select), new MultiSelectUi(),
        new EmailUi(), new PhoneUi(), new UrlUi(), new MemberUi(), new DepartmentUi(), new LookupUi(),
        new ChoiceUi(FieldTypes.Status), new ChoiceUi(FieldTypes.Stage), new AutoNumberUi(), new FormulaUi(), new SubformUi(),
        new FileUi(FieldTypes.File), new FileUi(FieldTypes.Image), new AddressUi(),
    ]);

    private readonly FrozenDictionary<string, FieldTypeUi> _uis;

    public FieldTypeUiRegistry(IEnumerable<FieldTypeUi> uis) => _uis = uis.ToFrozenDictionary(u => u.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _uis.Keys;

    /// <summary>The type's UI; an unknown type (a field whose type was removed) is shown as text.</summary>
    public FieldTypeUi Get(string type) => _uis.TryGetValue(type, out var ui) ? ui : _uis[FieldTypes.Text];

    public FieldTypeUi? Find(string? type) => type is not null && _uis.TryGetValue(type, out var ui) ? ui : null;
}

public static class FieldTypeUiServiceCollectionExtensions
{
    /// <summary>Registers the field types' UIs (<see cref="FieldTypeUiRegistry.Default"/>).</summary>
    public static IServiceCollection AddFieldTypeUis(this IServiceCollection services) => services.AddSingleton(FieldTypeUiRegistry.Default);
}
