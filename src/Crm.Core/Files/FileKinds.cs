using System.IO.Compression;
using System.Text;

namespace Crm.Core.Files;

/// <summary>What a file's bytes are: a kind (what a field's settings allow) and a content type.</summary>
public sealed record DetectedContent(string Kind, string ContentType, string Label);

/// <summary>
/// The kinds of files a field may take, told from the bytes (magic numbers), never from the name: a file named
/// ".png" that holds a PDF is a PDF (and refused as a mismatch). Office documents are zip containers (docx, xlsx,
/// pptx: their part names are read, nothing is unpacked) or OLE2 (doc, xls, ppt); text is UTF-8 without NUL bytes.
/// </summary>
public static class FileKinds
{
    public const string Image = "image";
    public const string Pdf = "pdf";
    public const string Office = "office";
    public const string Text = "text";
    public const string Archive = "archive";

    /// <summary>Every kind, in the designer's order.</summary>
    public static readonly IReadOnlyList<string> All = [Image, Pdf, Office, Text, Archive];

    /// <summary>The extensions whose names promise a kind; a name with one of them must hold that kind.</summary>
    private static readonly Dictionary<string, string> Promised = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = Image, [".jpg"] = Image, [".jpeg"] = Image, [".gif"] = Image, [".webp"] = Image,
        [".pdf"] = Pdf,
        [".docx"] = Office, [".xlsx"] = Office, [".pptx"] = Office, [".doc"] = Office, [".xls"] = Office, [".ppt"] = Office,
        [".txt"] = Text, [".csv"] = Text, [".md"] = Text, [".json"] = Text, [".log"] = Text,
        [".zip"] = Archive,
    };

    /// <summary>The kind a file name's extension promises, or null (no or unknown extension).</summary>
    public static string? PromisedBy(string fileName) => Promised.GetValueOrDefault(Path.GetExtension(fileName) ?? "");

    /// <summary>What <paramref name="content"/> (seekable, at any position) holds, or null when it is none of the kinds.</summary>
    public static DetectedContent? Detect(Stream content, string fileName)
    {
        content.Position = 0;
        var head = new byte[16];
        var n = content.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        content.Position = 0;
        var h = head.AsSpan(0, n);
        if (h.StartsWith((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return new(Image, "image/png", "PNG");
        if (h.StartsWith((byte[])[0xFF, 0xD8, 0xFF])) return new(Image, "image/jpeg", "JPEG");
        if (h.StartsWith("GIF87a"u8) || h.StartsWith("GIF89a"u8)) return new(Image, "image/gif", "GIF");
        if (n >= 12 && h.StartsWith("RIFF"u8) && h[8..12].SequenceEqual("WEBP"u8)) return new(Image, "image/webp", "WebP");
        if (h.StartsWith("%PDF-"u8)) return new(Pdf, "application/pdf", "PDF");
        if (h.StartsWith((byte[])[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
        {
            var ext = Path.GetExtension(fileName).ToLowerInvariant();
            var type = ext switch { ".xls" => "application/vnd.ms-excel", ".ppt" => "application/vnd.ms-powerpoint", _ => "application/msword" };
            return new(Office, type, "Office 97-2003");
        }
        if (h.StartsWith("PK\u0003\u0004"u8)) return Zip(content);
        return LooksLikeText(content) ? new(Text, Path.GetExtension(fileName).Equals(".csv", StringComparison.OrdinalIgnoreCase) ? "text/csv" : "text/plain", "text") : null;
    }

    /// <summary>A zip container: an Office Open XML document by its parts, else a plain archive.</summary>
    private static DetectedContent Zip(Stream content)
    {
        try
        {
            using var zip = new ZipArchive(content, ZipArchiveMode.Read, leaveOpen: true);
            var names = zip.Entries.Take(2000).Select(e => e.FullName).ToList();
            if (names.Contains("[Content_Types].xml"))
            {
                if (names.Any(x => x.StartsWith("word/", StringComparison.Ordinal))) return new(Office, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word");
                if (names.Any(x => x.StartsWith("xl/", StringComparison.Ordinal))) return new(Office, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel");
                if (names.Any(x => x.StartsWith("ppt/", StringComparison.Ordinal))) return new(Office, "application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint");
            }
            return new(Archive, "application/zip", "ZIP");
        }
        catch (InvalidDataException) { return new(Archive, "application/zip", "ZIP"); }
        finally { content.Position = 0; }
    }

    /// <summary>The first 64 KB decode as UTF-8 (a character cut at the end allowed) and hold no NUL or other control
    /// characters than tab, line feed, carriage return and form feed.</summary>
    private static bool LooksLikeText(Stream content)
    {
        var buffer = new byte[64 * 1024];
        var n = content.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        content.Position = 0;
        if (n == 0) return false;
        var span = buffer.AsSpan(0, n);
        if (span.StartsWith((byte[])[0xEF, 0xBB, 0xBF])) span = span[3..];
        foreach (var b in span)
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0D or 0x0C)) return false;
        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
        try
        {
            var chars = new char[span.Length + 1];
            decoder.Convert(span, chars, flush: n < buffer.Length, out _, out _, out _);
            return true;
        }
        catch (DecoderFallbackException) { return false; }
    }

    /// <summary>A file name fit to show and to send in Content-Disposition: the last path part, control characters
    /// and path separators dropped, at most 200 characters (the extension kept); "file" when nothing is left.</summary>
    public static string CleanName(string? name)
    {
        var s = (name ?? "").Replace('\\', '/');
        s = s[(s.LastIndexOf('/') + 1)..];
        s = new string(s.Where(c => !char.IsControl(c) && c is not ('"' or '<' or '>' or ':' or '|' or '?' or '*')).ToArray()).Trim().Trim('.');
        if (s.Length > 200)
        {
            var ext = Path.GetExtension(s);
            s = ext.Length is > 0 and <= 20 ? s[..(200 - ext.Length)] + ext : s[..200];
        }
        return s.Length == 0 ? "file" : s;
    }
}
