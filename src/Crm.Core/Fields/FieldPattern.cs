using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Crm.Core.Fields;

/// <summary>Why a pattern cannot be used for a field.</summary>
public enum PatternProblem
{
    None,
    /// <summary>Longer than <see cref="FieldPattern.MaxPatternLength"/>.</summary>
    TooLong,
    /// <summary>Not a regular expression.</summary>
    Invalid,
    /// <summary>A regular expression the linear-time engine cannot run: backreferences, lookarounds, atomic groups,
    /// or counted repetitions that would make too large an automaton.</summary>
    Unsupported,
}

/// <summary>The outcome of matching a value against a field's pattern.</summary>
public enum PatternOutcome
{
    Match,
    NoMatch,
    /// <summary>The value is longer than <see cref="FieldPattern.MaxValueLength"/>; it is not matched.</summary>
    ValueTooLong,
    /// <summary>The match took longer than <see cref="FieldPattern.MatchTimeout"/> (should not happen with a linear engine).</summary>
    TimedOut,
    /// <summary>The pattern cannot run safely (see <see cref="PatternProblem"/>); stored before the checks existed.</summary>
    Unusable,
}

/// <summary>
/// The one place that compiles and runs the regular expressions tenants give their fields (text and phone
/// patterns). A tenant's pattern is untrusted input: with the default backtracking engine <c>^(a+)+$</c> against
/// 30 characters takes minutes. So patterns run only on .NET's non-backtracking engine (time linear in the value),
/// with a length cap on the pattern and on the value and a match timeout on top; a pattern that engine refuses is
/// refused in the designer and in templates. Compiled patterns are cached (construction costs milliseconds).
/// Never hand a tenant's pattern to another engine (NJsonSchema validates <c>pattern</c> with a backtracking
/// <see cref="Regex"/>, which is why the server's validation schema carries no patterns).
/// </summary>
public static class FieldPattern
{
    public const int MaxPatternLength = 500;
    public const int MaxValueLength = 10_000;
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
    private const int CacheSize = 2_000;

    private sealed record Compiled(Regex? Regex, PatternProblem Problem);

    private static readonly ConcurrentDictionary<string, Compiled> Cache = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="pattern"/> can run safely; <see cref="PatternProblem.None"/> when it can.</summary>
    public static PatternProblem Check(string pattern) => Compile(pattern).Problem;

    /// <summary>Matches <paramref name="value"/> against <paramref name="pattern"/> in bounded time.</summary>
    public static PatternOutcome Match(string pattern, string value)
    {
        var compiled = Compile(pattern);
        if (compiled.Regex is null) return PatternOutcome.Unusable;
        if (value.Length > MaxValueLength) return PatternOutcome.ValueTooLong;
        try
        {
            return compiled.Regex.IsMatch(value) ? PatternOutcome.Match : PatternOutcome.NoMatch;
        }
        catch (RegexMatchTimeoutException)
        {
            return PatternOutcome.TimedOut;
        }
    }

    /// <summary>
    /// The product's own patterns (the phone type's character set, the web address's scheme), not a tenant's: fixed
    /// regular expressions without nested repetition, so the compiled backtracking engine runs them in linear time too,
    /// several times faster than the non-backtracking one (the import profile showed the phone pattern in every row).
    /// The same language either way: neither has backreferences or lookarounds, and both engines treat ^, $ and \s alike.
    /// </summary>
    private static readonly Dictionary<string, Compiled> BuiltIn = new[] { Types.PhoneField.PhonePattern, Types.UrlField.SchemePattern }
        .ToDictionary(p => p, p => new Compiled(new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant, MatchTimeout), PatternProblem.None), StringComparer.Ordinal);

    private static Compiled Compile(string pattern)
    {
        if (BuiltIn.TryGetValue(pattern, out var builtIn)) return builtIn;
        if (pattern.Length > MaxPatternLength) return new Compiled(null, PatternProblem.TooLong);
        if (Cache.TryGetValue(pattern, out var cached)) return cached;
        Compiled compiled;
        try
        {
            compiled = new Compiled(new Regex(pattern, Options, MatchTimeout), PatternProblem.None);
        }
        catch (NotSupportedException)
        {
            compiled = new Compiled(null, PatternProblem.Unsupported);
        }
        catch (ArgumentException)
        {
            compiled = new Compiled(null, PatternProblem.Invalid);
        }
        // Tenants cannot grow the cache without bound: past its size it starts over.
        if (Cache.Count >= CacheSize) Cache.Clear();
        Cache[pattern] = compiled;
        return compiled;
    }
}
