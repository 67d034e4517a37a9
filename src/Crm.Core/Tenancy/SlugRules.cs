using System.Text;
using System.Text.RegularExpressions;

namespace Crm.Core.Tenancy;

/// <summary>Workspace slugs: lowercase letters, digits and single hyphens, 3–40 characters, not reserved.</summary>
public static partial class SlugRules
{
    public const int MinLength = 3;
    public const int MaxLength = 40;

    /// <summary>Words that are, or may become, top-level routes or would mislead users.</summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal)
    {
        "admin", "api", "t", "account", "accounts", "app", "apps", "auth", "login", "logout", "signin", "signup",
        "register", "static", "assets", "health", "www", "mail", "support", "help", "docs", "status", "billing",
        "settings", "system", "root", "demo-admin", "invite", "culture", "error", "not-found", "_framework", "_content",
        "templates", "dashboard", "crm", "null", "undefined",
    };

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")]
    private static partial Regex SlugPattern();

    public static SlugProblem? Validate(string? slug)
    {
        if (string.IsNullOrWhiteSpace(slug)) return SlugProblem.Required;
        if (slug.Length < MinLength || slug.Length > MaxLength) return SlugProblem.Length;
        if (!SlugPattern().IsMatch(slug)) return SlugProblem.InvalidCharacters;
        if (Reserved.Contains(slug)) return SlugProblem.Reserved;
        return null;
    }

    /// <summary>
    /// Derives a slug from a workspace name: ASCII letters and digits are kept, everything else becomes a hyphen.
    /// A name without any (e.g. all Chinese) gives <c>workspace</c>; the user can edit it before signing up.
    /// </summary>
    public static string Derive(string? name)
    {
        var sb = new StringBuilder();
        foreach (var ch in (name ?? "").Normalize(NormalizationForm.FormKD).ToLowerInvariant())
        {
            if (ch is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(ch);
            else if (char.GetUnicodeCategory(ch) == System.Globalization.UnicodeCategory.NonSpacingMark) continue;
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        var slug = sb.ToString().Trim('-');
        if (slug.Length > MaxLength) slug = slug[..MaxLength].Trim('-');
        if (slug.Length < MinLength) slug = slug.Length == 0 ? "workspace" : slug + "-team";
        if (Reserved.Contains(slug)) slug += "-team";
        return slug;
    }
}

public enum SlugProblem
{
    Required,
    Length,
    InvalidCharacters,
    Reserved,
    Taken,
}
