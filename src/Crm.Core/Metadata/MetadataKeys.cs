using System.Text.RegularExpressions;

namespace Crm.Core.Metadata;

/// <summary>Stable keys: lower-case ASCII letters, digits and underscores, starting with a letter, at most 63 characters.</summary>
public static partial class MetadataKeys
{
    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? key) => key is not null && Pattern().IsMatch(key);

    /// <summary>A key derived from a label typed in the designer ("客户等级" → "field_3", "Customer level" → "customer_level").</summary>
    public static string Derive(string label, IEnumerable<string> taken, string fallbackPrefix = "field")
    {
        var sb = new System.Text.StringBuilder();
        foreach (var ch in label.ToLowerInvariant())
        {
            if (ch is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(ch);
            else if (sb.Length > 0 && sb[^1] != '_') sb.Append('_');
        }
        var key = sb.ToString().Trim('_');
        if (key.Length > 40) key = key[..40].Trim('_');
        if (key.Length == 0 || !char.IsAsciiLetterLower(key[0])) key = fallbackPrefix + (key.Length == 0 ? "" : "_" + key);
        var set = taken.ToHashSet(StringComparer.Ordinal);
        if (!set.Contains(key) && key != fallbackPrefix) return key;
        for (var i = 2; ; i++)
            if (!set.Contains($"{key}_{i}")) return $"{key}_{i}";
    }
}
