using System.Globalization;

namespace Crm.Web.Components.Automation;

/// <summary>
/// One field value an action writes, as the editor shows it: the field, where the value comes from and the value.
/// <see cref="Expression"/> and <see cref="Parse"/> translate to and from the engine's expressions
/// ("$me", "$today+N", "{field}", "$owner", or the text itself).
/// </summary>
public sealed class ValueMappingRow
{
    public const string Constant = "value";
    public const string Me = "me";
    public const string Today = "today";
    public const string OtherField = "field";
    public const string Owner = "owner";

    public static readonly string[] Sources = [Constant, Me, Today, OtherField, Owner];

    public string Field { get; set; } = "";
    public string Source { get; set; } = Constant;
    public string? Value { get; set; }
    public int Days { get; set; }

    public string Expression => Source switch
    {
        Me => "$me",
        Owner => "$owner",
        Today => Days == 0 ? "$today" : "$today" + Days.ToString("+0;-0", CultureInfo.InvariantCulture),
        OtherField => "{" + Value + "}",
        _ => Value ?? "",
    };

    public static ValueMappingRow Parse(string field, string expression, Func<string, bool> isSourceField)
    {
        var s = expression.Trim();
        if (s == "$me") return new() { Field = field, Source = Me };
        if (s == "$owner") return new() { Field = field, Source = Owner };
        if (s.StartsWith("$today", StringComparison.Ordinal)
            && (s.Length == 6 || int.TryParse(s[6..].Replace("+", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            return new() { Field = field, Source = Today, Days = s.Length == 6 ? 0 : int.Parse(s[6..].Replace("+", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) };
        if (s.Length > 2 && s[0] == '{' && s[^1] == '}' && isSourceField(s[1..^1])) return new() { Field = field, Source = OtherField, Value = s[1..^1] };
        return new() { Field = field, Source = Constant, Value = expression };
    }
}
