using System.Text.RegularExpressions;

namespace Crm.Core.Metadata;

/// <summary>Stable keys: lower-case ASCII letters, digits and underscores, starting with a letter, at most 63 characters.</summary>
public static partial class MetadataKeys
{
    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? key) => key is not null && Pattern().IsMatch(key);

    /// <summary>
    /// A key derived from a label typed in the designer: "Customer level" → "customer_level", hanzi as pinyin
    /// ("软件与互联网" → "ruanjian_hulianwang"); symbols only → the fallback prefix. Unique among <paramref name="taken"/>.
    /// </summary>
    public static string Derive(string label, IEnumerable<string> taken, string fallbackPrefix = "field")
    {
        var key = string.Join('_', Text.Pinyin.Words(label));
        if (key.Length > 40) key = key[..40].Trim('_');
        if (key.Length == 0 || !char.IsAsciiLetterLower(key[0])) key = fallbackPrefix + (key.Length == 0 ? "" : "_" + key);
        var set = taken.ToHashSet(StringComparer.Ordinal);
        if (!set.Contains(key) && key != fallbackPrefix) return key;
        for (var i = 2; ; i++)
            if (!set.Contains($"{key}_{i}")) return $"{key}_{i}";
    }
}
