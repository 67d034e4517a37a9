namespace Crm.Core.Fields;

/// <summary>
/// The names of the registered field types, for code that must name one (a binding, a template check, a test).
/// Code that only needs to know what a type can do asks the type (<see cref="FieldTypeRegistry.Get"/>) instead.
/// </summary>
public static class FieldTypes
{
    public const string Text = "text";
    public const string LongText = "longtext";
    public const string Number = "number";
    public const string Money = "money";
    public const string Percent = "percent";
    public const string Date = "date";
    public const string DateTime = "datetime";
    public const string Bool = "bool";
    public const string Select = "select";
    public const string MultiSelect = "multiselect";
    public const string Email = "email";
    public const string Phone = "phone";
    public const string Url = "url";
    public const string Member = "member";
    public const string Department = "department";
    public const string Lookup = "lookup";
    public const string Status = "status";
    public const string Stage = "stage";
    public const string AutoNumber = "autonumber";
    public const string Formula = "formula";
    public const string Subform = "subform";
    public const string File = "file";
    public const string Image = "image";
    public const string Address = "address";
}

/// <summary>The record columns a field can feed (<see cref="Metadata.EntityType"/>'s bindings).</summary>
public static class FieldBindings
{
    public const string Title = "titleField";
    public const string Amount = "amountField";
    public const string CloseDate = "closeDateField";
    public const string Owner = "ownerField";
    public const string Status = "statusField";
    public const string Stage = "stageField";
    public const string LostReason = "lostReasonField";
}

/// <summary>How a report groups by a field of a type.</summary>
public enum ReportGrouping
{
    None,
    /// <summary>One group per stored value (an option, yes/no, a member, a record, a department).</summary>
    Value,
    /// <summary>Buckets of days, weeks, months…</summary>
    Date,
    /// <summary>One group per province or per city of an address (the bucket says which).</summary>
    Region,
}

/// <summary>How report cells and board totals of a numeric field read.</summary>
public enum NumberFormat { Number, Money, Percent }
