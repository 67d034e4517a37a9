using System.Text;
using MiniExcelLibs;

namespace Crm.Core.Export;

/// <summary>
/// Writes a header and rows of text as CSV or .xlsx while the rows are read: the caller hands an async sequence that
/// reads the database page by page, so neither the records nor the file are held in memory.
/// </summary>
public static class SpreadsheetWriter
{
    private const int RowsPerFlush = 200;

    public static Task WriteAsync(ExportFormat format, Stream output, IReadOnlyList<string> header, IAsyncEnumerable<IReadOnlyList<string>> rows, CancellationToken ct = default)
        => format == ExportFormat.Xlsx ? WriteXlsxAsync(output, header, rows, ct) : WriteCsvAsync(output, header, rows, ct);

    /// <summary>UTF-8 with a byte order mark (Excel then reads Chinese correctly), CRLF line ends, cells neutralised.</summary>
    public static async Task WriteCsvAsync(Stream output, IReadOnlyList<string> header, IAsyncEnumerable<IReadOnlyList<string>> rows, CancellationToken ct = default)
    {
        var buffer = new StringBuilder("\uFEFF");
        Line(buffer, header);
        var count = 0;
        await foreach (var row in rows.WithCancellation(ct))
        {
            Line(buffer, row);
            if (++count % RowsPerFlush == 0) await FlushAsync(output, buffer, ct);
        }
        await FlushAsync(output, buffer, ct);
    }

    /// <summary>
    /// .xlsx through MiniExcel (streaming writer). MiniExcel finishes the zip with synchronous writes, which Kestrel
    /// refuses on a response body, so the sheet is written to a temporary file (deleted on close) and copied out.
    /// Every cell is a string, neutralised like CSV (so a re-save as CSV stays safe).
    /// </summary>
    public static async Task WriteXlsxAsync(Stream output, IReadOnlyList<string> header, IAsyncEnumerable<IReadOnlyList<string>> rows, CancellationToken ct = default)
    {
        var path = Path.Combine(Path.GetTempPath(), "crm-export-" + Guid.NewGuid().ToString("N") + ".xlsx");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await file.SaveAsAsync(Dictionaries(header, rows, ct), printHeader: true, sheetName: "Sheet1", excelType: ExcelType.XLSX, cancellationToken: ct);
            }
            await using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await read.CopyToAsync(output, ct);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Rows as MiniExcel wants them: ordered dictionaries keyed by unique header text.</summary>
    private static async IAsyncEnumerable<IDictionary<string, object?>> Dictionaries(IReadOnlyList<string> header, IAsyncEnumerable<IReadOnlyList<string>> rows,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var keys = UniqueHeaders(header);
        await foreach (var row in rows.WithCancellation(ct))
        {
            var d = new Dictionary<string, object?>(keys.Count);
            for (var i = 0; i < keys.Count; i++) d[keys[i]] = SpreadsheetText.Neutralise(i < row.Count ? row[i] : "");
            yield return d;
        }
    }

    /// <summary>Header texts made unique (two fields may share a label): "名称", "名称 (2)".</summary>
    public static IReadOnlyList<string> UniqueHeaders(IReadOnlyList<string> header)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(header.Count);
        foreach (var h in header)
        {
            var text = SpreadsheetText.Neutralise(string.IsNullOrWhiteSpace(h) ? "-" : h);
            var candidate = text;
            for (var n = 2; !seen.Add(candidate); n++) candidate = $"{text} ({n})";
            result.Add(candidate);
        }
        return result;
    }

    private static void Line(StringBuilder buffer, IReadOnlyList<string> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0) buffer.Append(',');
            buffer.Append(SpreadsheetText.CsvCell(cells[i]));
        }
        buffer.Append("\r\n");
    }

    private static async Task FlushAsync(Stream output, StringBuilder buffer, CancellationToken ct)
    {
        if (buffer.Length == 0) return;
        await output.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()), ct);
        await output.FlushAsync(ct);
        buffer.Clear();
    }
}
