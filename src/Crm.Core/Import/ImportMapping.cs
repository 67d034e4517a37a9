using System.Text;
using Crm.Core.Permissions;

namespace Crm.Core.Import;

/// <summary>Which field each column of the file goes to: column index → field key (columns left out are not imported).</summary>
public sealed record ImportMapping(IReadOnlyDictionary<int, string> Columns)
{
    public static readonly ImportMapping Empty = new(new Dictionary<int, string>());
}

/// <summary>
/// Suggests a mapping by matching each header to a field the person may write: its key, its zh-CN label or its en
/// label, all normalised (case, spaces, punctuation, full-width forms and a trailing "*" or "(必填)" ignored). Each
/// field is suggested for one column at most (the first that matches).
/// </summary>
public static class ImportMappingSuggester
{
    public static ImportMapping Suggest(EntityFieldView fields, IReadOnlyList<string> header, ImportMapping? saved = null)
    {
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in fields.Fields.Where(f => fields.CanWrite(f.Key) && ImportValueParsers.CanImport(f.Type)))
            foreach (var name in new[] { field.Key, field.Label.ZhCn, field.Label.En })
                if (Normalise(name) is { Length: > 0 } n) byName.TryAdd(n, field.Key);

        var columns = new Dictionary<int, string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        // A saved mapping wins for headers it knows (saved by header text, see ImportService.SaveMappingAsync).
        if (saved is not null)
            foreach (var (i, key) in saved.Columns)
                if (i < header.Count && byName.ContainsValue(key) && used.Add(key)) columns[i] = key;
        for (var i = 0; i < header.Count; i++)
        {
            if (columns.ContainsKey(i)) continue;
            if (byName.TryGetValue(Normalise(header[i]), out var key) && used.Add(key)) columns[i] = key;
        }
        return new ImportMapping(columns);
    }

    /// <summary>"客户名称 *" → "客户名称"; "E-mail" → "email"; "Customer_Name" → "customername"; full-width letters folded.</summary>
    public static string Normalise(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var t = text.Normalize(NormalizationForm.FormKC).Trim().ToLowerInvariant();
        foreach (var suffix in new[] { "(必填)", "（必填)", "(required)", "*" })
            if (t.EndsWith(suffix, StringComparison.Ordinal)) t = t[..^suffix.Length].Trim();
        var b = new StringBuilder(t.Length);
        foreach (var c in t)
            if (char.IsLetterOrDigit(c)) b.Append(c);
        return b.ToString();
    }
}
