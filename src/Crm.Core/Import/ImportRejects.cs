using Crm.Core.Export;

namespace Crm.Core.Import;

/// <summary>
/// The rejected rows of an analysis as a file to fix and upload again: the original header and cells, plus an
/// error column ("金额: “很多钱”不是金额。; …"). CSV, UTF-8 with BOM, cells neutralised like every export.
/// </summary>
public static class ImportRejects
{
    public static Task WriteCsvAsync(Stream output, ImportAnalysis analysis, string errorColumn, CancellationToken ct = default)
    {
        var header = analysis.Request.Table.Header.Append(errorColumn).ToList();
        return SpreadsheetWriter.WriteCsvAsync(output, header, Rows(analysis), ct);
    }

    private static async IAsyncEnumerable<IReadOnlyList<string>> Rows(ImportAnalysis analysis)
    {
        foreach (var row in analysis.Rows.Where(r => r.Outcome == RowOutcome.Error))
        {
            var cells = analysis.Request.Table.Rows[row.Row - 1];
            var errors = string.Join("; ", row.Errors.Select(e => analysis.Entity.Field(e.Field) is { } f ? $"{f.Label.Get()}: {e.Message}" : e.Message));
            yield return cells.Append(errors).ToList();
        }
        await Task.CompletedTask;
    }
}
