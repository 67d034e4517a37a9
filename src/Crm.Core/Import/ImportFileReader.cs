using System.Globalization;
using System.Text;
using MiniExcelLibs;

namespace Crm.Core.Import;

/// <summary>A file as rows of text: the header (first non-empty row) and the data rows, each as long as the header.</summary>
public sealed record ImportTable(IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows, string Encoding);

/// <summary>A file that cannot be imported; <see cref="Key"/> is a CoreStrings key, <see cref="Args"/> its arguments.</summary>
public sealed class ImportFileException(string key, params object[] args) : Exception(key)
{
    public string Key { get; } = key;
    public object[] Args { get; } = args;
}

/// <summary>
/// Reads CSV and .xlsx uploads. CSV encoding: a byte order mark decides (UTF-8, UTF-16 LE/BE); without one the
/// bytes are tried as strict UTF-8, and if they are not UTF-8 they are read as GB18030 (a superset of GBK, what
/// Excel on Chinese Windows saves); the user may name the encoding instead. .xlsx through MiniExcel (cell values,
/// never formulas: a formula cell brings its last computed value, a text starting with "=" stays text).
/// </summary>
public static class ImportFileReader
{
    static ImportFileReader() => System.Text.Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static readonly IReadOnlyList<string> Encodings = ["utf-8", "gb18030", "utf-16"];

    public static async Task<ImportTable> ReadAsync(Stream stream, string fileName, ImportOptions options, string? encoding = null, CancellationToken ct = default)
    {
        var bytes = await ReadLimitedAsync(stream, options.MaxFileBytes, ct);
        if (bytes.Length == 0) throw new ImportFileException("Import.Empty");
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        var table = extension switch
        {
            ".xlsx" => ReadXlsx(bytes),
            ".csv" or ".txt" or "" => ReadCsv(bytes, encoding),
            ".xls" => throw new ImportFileException("Import.OldExcel"),
            _ => throw new ImportFileException("Import.UnknownType", extension),
        };
        return Shape(table.Rows, table.Encoding, options);
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream stream, long max, CancellationToken ct)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            if (memory.Length + read > max) throw new ImportFileException("Import.TooLarge", max / (1024 * 1024));
            memory.Write(buffer, 0, read);
        }
        return memory.ToArray();
    }

    private static (List<string[]> Rows, string Encoding) ReadXlsx(byte[] bytes)
    {
        try
        {
            using var memory = new MemoryStream(bytes);
            var rows = new List<string[]>();
            foreach (IDictionary<string, object?> row in memory.Query(useHeaderRow: false, excelType: ExcelType.XLSX))
                rows.Add(row.Values.Select(Text).ToArray());
            return (rows, "xlsx");
        }
        catch (Exception e) when (e is InvalidDataException or System.Xml.XmlException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException or NullReferenceException or FormatException or ArgumentException)
        {
            throw new ImportFileException("Import.BrokenXlsx");
        }
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        DateTime d => d.TimeOfDay == TimeSpan.Zero ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : d.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        double n => n.ToString("R", CultureInfo.InvariantCulture),
        decimal n => n.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>The encoding the bytes are in: BOM, else the user's choice, else UTF-8 if valid, else GB18030.</summary>
    public static (Encoding Encoding, int Skip) Detect(byte[] bytes, string? chosen)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) return (new UTF8Encoding(false), 3);
        if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE) return (System.Text.Encoding.Unicode, 2);
        if (bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF) return (System.Text.Encoding.BigEndianUnicode, 2);
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            try { return (System.Text.Encoding.GetEncoding(chosen.Trim()), 0); }
            catch (ArgumentException) { throw new ImportFileException("Import.UnknownEncoding", chosen); }
        }
        try
        {
            new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(bytes);
            return (new UTF8Encoding(false), 0);
        }
        catch (DecoderFallbackException)
        {
            return (System.Text.Encoding.GetEncoding("gb18030"), 0);
        }
    }

    private static (List<string[]> Rows, string Encoding) ReadCsv(byte[] bytes, string? chosen)
    {
        var (encoding, skip) = Detect(bytes, chosen);
        var text = encoding.GetString(bytes, skip, bytes.Length - skip);
        if (text.Contains('\0')) throw new ImportFileException("Import.BadEncoding");
        var rows = ParseCsv(text);
        return (rows, encoding.WebName);
    }

    /// <summary>
    /// RFC 4180 rows: quoted cells may hold separators, quotes ("") and line breaks. The separator is the one of
    /// comma, semicolon and tab found most often in the first line outside quotes.
    /// </summary>
    public static List<string[]> ParseCsv(string text)
    {
        var separator = DetectSeparator(text);
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                    else quoted = false;
                }
                else cell.Append(c);
            }
            else if (c == '"' && cell.Length == 0) quoted = true;
            else if (c == separator) { row.Add(cell.ToString()); cell.Clear(); }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                row.Add(cell.ToString());
                cell.Clear();
                rows.Add(row.ToArray());
                row.Clear();
            }
            else cell.Append(c);
        }
        if (cell.Length > 0 || row.Count > 0)
        {
            row.Add(cell.ToString());
            rows.Add(row.ToArray());
        }
        return rows;
    }

    private static char DetectSeparator(string text)
    {
        int comma = 0, semicolon = 0, tab = 0;
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"') quoted = !quoted;
            else if (quoted) continue;
            else if (c is '\r' or '\n') break;
            else if (c == ',') comma++;
            else if (c == ';') semicolon++;
            else if (c == '\t') tab++;
        }
        return tab > comma && tab >= semicolon ? '\t' : semicolon > comma ? ';' : ',';
    }

    /// <summary>Header from the first non-empty row (blank header cells named by their column), rows padded or cut to it, empty rows dropped.</summary>
    private static ImportTable Shape(List<string[]> raw, string encoding, ImportOptions options)
    {
        var rows = raw.Where(r => r.Any(c => !string.IsNullOrWhiteSpace(c))).ToList();
        if (rows.Count == 0) throw new ImportFileException("Import.Empty");
        var width = rows[0].Length;
        while (width > 0 && string.IsNullOrWhiteSpace(rows[0][width - 1])) width--;
        if (width > options.MaxColumns) throw new ImportFileException("Import.TooManyColumns", width, options.MaxColumns);
        if (rows.Count - 1 > options.MaxRows) throw new ImportFileException("Import.TooManyRows", rows.Count - 1, options.MaxRows);
        if (rows.Count == 1) throw new ImportFileException("Import.NoRows");
        var header = Enumerable.Range(0, width).Select(i => rows[0][i].Trim() is { Length: > 0 } h ? h : $"#{i + 1}").ToList();
        var data = rows.Skip(1).Select(r =>
        {
            var cells = new string[width];
            for (var i = 0; i < width; i++) cells[i] = i < r.Length ? r[i] ?? "" : "";
            return cells;
        }).ToList();
        return new ImportTable(header, data, encoding);
    }
}
