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

    /// <summary>Legal-form endings left out of a derived slug when something precedes them (北京星辰科技有限公司 → beijingxingchenkeji).</summary>
    private static readonly string[] CompanySuffixes = ["股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司"];

    /// <summary>The slug used when a name gives nothing readable (emoji or symbols only).</summary>
    public const string Fallback = "workspace";

    /// <summary>
    /// Derives a slug from a workspace name: ASCII letters and digits are kept, hanzi become pinyin
    /// (北京星辰科技 → <c>beijingxingchenkeji</c>), everything else separates words with a hyphen. A name without
    /// anything readable (emoji, symbols) gives <c>workspace</c>. Uniqueness is <see cref="WithSuffix"/>'s job.
    /// </summary>
    public static string Derive(string? name)
    {
        var trimmed = (name ?? "").Trim();
        foreach (var suffix in CompanySuffixes)
            if (trimmed.Length > suffix.Length && trimmed.EndsWith(suffix, StringComparison.Ordinal))
            {
                trimmed = trimmed[..^suffix.Length];
                break;
            }
        var slug = string.Join('-', Text.Pinyin.Words(trimmed));
        if (slug.Length > MaxLength) slug = slug[..MaxLength].Trim('-');
        if (slug.Length < MinLength) slug = slug.Length == 0 ? Fallback : slug + "-team";
        if (Reserved.Contains(slug)) slug += "-team";
        return slug;
    }

    /// <summary>The n-th alternative of a slug (n ≥ 2): <c>acme</c> → <c>acme-2</c>, cut so that it stays within <see cref="MaxLength"/>.</summary>
    public static string WithSuffix(string slug, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        var suffix = "-" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var stem = slug.Length + suffix.Length > MaxLength ? slug[..(MaxLength - suffix.Length)].TrimEnd('-') : slug;
        return stem + suffix;
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
