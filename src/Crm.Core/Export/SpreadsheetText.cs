namespace Crm.Core.Export;

/// <summary>
/// Text that goes into a spreadsheet cell. A cell a spreadsheet would take for a formula (starting with = + - @, a
/// tab or a carriage return) gets an apostrophe in front, so an exported "=HYPERLINK(…)" typed by a user stays text
/// (formula injection). Used by every CSV and .xlsx the app writes.
/// </summary>
public static class SpreadsheetText
{
    public static string Neutralise(string? value)
    {
        var text = value ?? "";
        return text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;
    }

    /// <summary>One CSV cell: neutralised, then quoted when it holds a separator, quote or line break (RFC 4180).</summary>
    public static string CsvCell(string? value)
    {
        var text = Neutralise(value);
        return text.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;
    }
}
