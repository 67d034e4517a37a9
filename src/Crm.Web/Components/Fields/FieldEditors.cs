using System.Collections.Frozen;

namespace Crm.Web.Components.Fields;

/// <summary>The editor component of each field type, in one place (the UI half of a field type's unit).</summary>
public static class FieldEditors
{
    private static readonly FrozenDictionary<string, Type> Editors = new Dictionary<string, Type>
    {
        ["text"] = typeof(TextFieldEditor),
        ["email"] = typeof(TextFieldEditor),
        ["phone"] = typeof(TextFieldEditor),
        ["url"] = typeof(TextFieldEditor),
        ["autonumber"] = typeof(TextFieldEditor),
        ["longtext"] = typeof(LongTextFieldEditor),
        ["number"] = typeof(NumberFieldEditor),
        ["money"] = typeof(NumberFieldEditor),
        ["percent"] = typeof(NumberFieldEditor),
        ["formula"] = typeof(NumberFieldEditor),
        ["date"] = typeof(DateFieldEditor),
        ["datetime"] = typeof(DateTimeFieldEditor),
        ["bool"] = typeof(BoolFieldEditor),
        ["select"] = typeof(ChoiceFieldEditor),
        ["status"] = typeof(ChoiceFieldEditor),
        ["stage"] = typeof(ChoiceFieldEditor),
        ["multiselect"] = typeof(MultiSelectFieldEditor),
        ["member"] = typeof(ReferenceFieldEditor),
        ["lookup"] = typeof(ReferenceFieldEditor),
    }.ToFrozenDictionary();

    public static Type For(string fieldType) => Editors.TryGetValue(fieldType, out var t) ? t : typeof(TextFieldEditor);

    public static IReadOnlyCollection<string> Types => Editors.Keys;
}
