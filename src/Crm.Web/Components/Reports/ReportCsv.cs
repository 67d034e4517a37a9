using System.Globalization;
using Crm.Core.Reports;
using CsvHelper;

namespace Crm.Web.Components.Reports;

/// <summary>
/// A report as CSV: the row label column, then one column per report column. Numbers are written plainly
/// (invariant culture, no thousands separators or symbols) so spreadsheets read them as numbers; a UTF-8 byte
/// order mark keeps Chinese labels readable in Excel.
/// </summary>
public static class ReportCsv
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static string Write(ReportResult result)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        // Labels are user data: a title starting with "=" must not become a spreadsheet formula.
        using (var csv = CsvWriter.Create(text, CsvWriterOptions.Default with { Injection = CsvInjection.Escape }, leaveOpen: true))
        {
            csv.WriteField(result.Dimension);
            foreach (var column in result.Columns) csv.WriteField(column.Label);
            csv.EndRecord();
            foreach (var row in result.Rows)
            {
                csv.WriteField(row.Label);
                for (var i = 0; i < result.Columns.Count; i++)
                {
                    var cell = i < row.Cells.Count ? row.Cells[i] : default;
                    if (result.Columns[i].Format == ReportFormat.Text) csv.WriteField(cell.Text ?? "");
                    else csv.WriteField(cell.Number, "");
                }
                csv.EndRecord();
            }
        }
        return "\uFEFF" + text;
    }

    /// <summary>A file name from the report name (characters a file system refuses become "_").</summary>
    public static string FileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars().Concat(['/', '\\', ':', '*', '?', '"', '<', '>', '|']).ToHashSet();
        var clean = new string(name.Select(c => invalid.Contains(c) ? '_' : c).ToArray()).Trim();
        return (clean.Length == 0 ? "report" : clean) + ".csv";
    }
}
