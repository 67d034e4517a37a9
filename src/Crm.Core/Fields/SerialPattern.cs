using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Crm.Core.Fields;

/// <summary>When an auto-number's counter starts again at 1.</summary>
public static class SerialReset
{
    public const string Never = "never";
    public const string Daily = "daily";
    public const string Monthly = "monthly";
    public const string Yearly = "yearly";
    public static readonly IReadOnlyList<string> All = [Never, Daily, Monthly, Yearly];
}

/// <summary>What is wrong with a serial-number pattern.</summary>
public enum SerialPatternProblem
{
    None,
    /// <summary>Longer than <see cref="SerialPattern.MaxLength"/>.</summary>
    TooLong,
    /// <summary>A brace that does not open or close a part, or a part that is neither a date nor a number.</summary>
    BadPart,
    /// <summary>No number part ({0000}), or more than one.</summary>
    NumberPart,
    /// <summary>The reset period is not one of <see cref="SerialReset.All"/>.</summary>
    UnknownReset,
    /// <summary>The pattern lacks the date parts of its reset period, so numbers of two periods would look the same.</summary>
    ResetWithoutDate,
}

/// <summary>
/// A serial number pattern (流水号) such as <c>HT-{yyyyMMdd}-{0000}</c>: literal text, date parts in braces made of
/// <c>yyyy</c>, <c>yy</c>, <c>MM</c> and <c>dd</c>, and exactly one number part of zeros (the zeros give the least
/// number of digits). Dates are the record's creation day in the workspace's time zone.
/// </summary>
public sealed class SerialPattern
{
    public const int MaxLength = 60;
    private const int MaxDigits = 12;

    private readonly List<(string Text, PartKind Kind)> parts;
    private enum PartKind { Literal, Date, Number }

    private SerialPattern(List<(string, PartKind)> parts) => this.parts = parts;

    /// <summary>The pattern's parts, or the problem with it.</summary>
    public static SerialPatternProblem TryParse(string pattern, out SerialPattern? parsed)
    {
        parsed = null;
        if (pattern.Length > MaxLength) return SerialPatternProblem.TooLong;
        var list = new List<(string, PartKind)>();
        var literal = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '}') return SerialPatternProblem.BadPart;
            if (c != '{') { literal.Append(c); continue; }
            var end = pattern.IndexOf('}', i + 1);
            if (end < 0) return SerialPatternProblem.BadPart;
            var part = pattern[(i + 1)..end];
            if (literal.Length > 0) { list.Add((literal.ToString(), PartKind.Literal)); literal.Clear(); }
            if (part.Length is > 0 and <= MaxDigits && part.All(ch => ch == '0')) list.Add((part, PartKind.Number));
            else if (IsDate(part)) list.Add((part, PartKind.Date));
            else return SerialPatternProblem.BadPart;
            i = end;
        }
        if (literal.Length > 0) list.Add((literal.ToString(), PartKind.Literal));
        if (list.Count(p => p.Item2 == PartKind.Number) != 1) return SerialPatternProblem.NumberPart;
        parsed = new SerialPattern(list);
        return SerialPatternProblem.None;
    }

    /// <summary>Checks a pattern with its reset period (null reset: never).</summary>
    public static SerialPatternProblem Check(string pattern, string? reset)
    {
        var problem = TryParse(pattern, out var parsed);
        if (problem != SerialPatternProblem.None) return problem;
        if (reset is not null && !SerialReset.All.Contains(reset)) return SerialPatternProblem.UnknownReset;
        var dates = string.Concat(parsed!.parts.Where(p => p.Kind == PartKind.Date).Select(p => p.Text));
        var needs = reset switch { SerialReset.Daily => "yMd", SerialReset.Monthly => "yM", SerialReset.Yearly => "y", _ => "" };
        return needs.All(dates.Contains) ? SerialPatternProblem.None : SerialPatternProblem.ResetWithoutDate;
    }

    /// <summary>Date parts are runs of yyyy, yy, MM and dd (each run formatted on its own, so "d" or "M" alone never
    /// becomes a standard .NET date format).</summary>
    private static bool IsDate(string part)
    {
        if (part.Length == 0) return false;
        for (var i = 0; i < part.Length;)
        {
            if (part.AsSpan(i).StartsWith("yyyy")) i += 4;
            else if (part.AsSpan(i).StartsWith("yy") || part.AsSpan(i).StartsWith("MM") || part.AsSpan(i).StartsWith("dd")) i += 2;
            else return false;
        }
        return true;
    }

    /// <summary>The number as the pattern writes it on <paramref name="localDay"/>.</summary>
    public string Format(long number, DateTime localDay)
    {
        var text = new StringBuilder();
        foreach (var (part, kind) in parts)
        {
            switch (kind)
            {
                case PartKind.Literal: text.Append(part); break;
                case PartKind.Number: text.Append(number.ToString(CultureInfo.InvariantCulture).PadLeft(part.Length, '0')); break;
                default:
                    for (var i = 0; i < part.Length;)
                    {
                        var run = part.AsSpan(i).StartsWith("yyyy") ? "yyyy" : part.Substring(i, 2);
                        text.Append(run switch
                        {
                            "yyyy" => localDay.Year.ToString("0000", CultureInfo.InvariantCulture),
                            "yy" => (localDay.Year % 100).ToString("00", CultureInfo.InvariantCulture),
                            "MM" => localDay.Month.ToString("00", CultureInfo.InvariantCulture),
                            _ => localDay.Day.ToString("00", CultureInfo.InvariantCulture),
                        });
                        i += run.Length;
                    }
                    break;
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// The key of the counter that numbers <paramref name="fieldKey"/> on <paramref name="localDay"/>: the field key
    /// itself when the numbers never reset (so a field that gains a pattern goes on counting), else the field key and
    /// the period ("contract_no@20261203"). Kept within the counter column's 64 characters: a long field key is cut
    /// and told apart by a hash of it.
    /// </summary>
    public static string CounterKey(string fieldKey, string? reset, DateTime localDay)
    {
        var period = reset switch
        {
            SerialReset.Daily => localDay.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            SerialReset.Monthly => localDay.ToString("yyyyMM", CultureInfo.InvariantCulture),
            SerialReset.Yearly => localDay.ToString("yyyy", CultureInfo.InvariantCulture),
            _ => null,
        };
        if (period is null) return fieldKey;
        var key = fieldKey.Length + 1 + period.Length <= 64
            ? fieldKey
            : fieldKey[..46] + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(fieldKey)))[..8].ToLowerInvariant();
        return key + "@" + period;
    }
}
