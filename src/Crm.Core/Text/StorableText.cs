using System.Text.Json.Nodes;

namespace Crm.Core.Text;

/// <summary>
/// Text that both databases can store: PostgreSQL refuses the NUL character in text and jsonb, and neither
/// UTF-8 nor the drivers accept a lone UTF-16 surrogate (half of an emoji, left by a broken client).
/// Inputs are checked (the API answers 400 naming the parameter) and core normalisation strips what slips by.
/// </summary>
public static class StorableText
{
    /// <summary>True when <paramref name="text"/> contains NUL or an unpaired surrogate.</summary>
    public static bool IsUnstorable(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return true;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                return true;
            }
            if (char.IsLowSurrogate(c)) return true;
        }
        return false;
    }

    /// <summary>Drops NUL and replaces an unpaired surrogate with U+FFFD; returns the same instance when nothing changes.</summary>
    public static string Clean(string text)
    {
        if (!IsUnstorable(text)) return text;
        var b = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { b.Append(c).Append(text[++i]); continue; }
            b.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return b.ToString();
    }

    /// <summary>The JSON path (<c>$.a.b[0]</c>) of the first string or property name in <paramref name="node"/> that cannot be stored, else null.</summary>
    public static string? FindUnstorable(JsonNode? node, string path = "$")
    {
        switch (node)
        {
            case JsonObject o:
                try
                {
                    foreach (var (key, value) in o)
                    {
                        var child = path + "." + key;
                        if (IsUnstorable(key)) return child;
                        if (FindUnstorable(value, child) is { } found) return found;
                    }
                }
                catch (InvalidOperationException)
                {
                    return path; // a property name that is not valid text
                }
                return null;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    if (FindUnstorable(a[i], $"{path}[{i}]") is { } found) return found;
                return null;
            case JsonValue v:
                try
                {
                    return v.TryGetValue<string>(out var s) && IsUnstorable(s) ? path : null;
                }
                catch (InvalidOperationException)
                {
                    return path; // broken UTF-8 or an unpaired surrogate escape in the JSON text itself
                }
            default:
                return null;
        }
    }
}
