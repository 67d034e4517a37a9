using System.Globalization;

namespace Crm.Web.Components.Shared;

/// <summary>
/// Short numbers for tight places (board column totals, chart axes): 1.5M, 250K in English; 150万, 1.2亿 in
/// Chinese, which counts in ten-thousands. One decimal below ten units (1.5M), none above (250K), so a label is
/// at most five or six characters; the exact figure belongs in a tooltip.
/// </summary>
public static class CompactNumber
{
    private static readonly (decimal Unit, string Suffix)[] English = [(1_000_000_000_000m, "T"), (1_000_000_000m, "B"), (1_000_000m, "M"), (1_000m, "K")];
    private static readonly (decimal Unit, string Suffix)[] Chinese = [(1_000_000_000_000m, "万亿"), (100_000_000m, "亿"), (10_000m, "万")];

    public static string Format(decimal value, CultureInfo culture)
    {
        var units = culture.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? Chinese : English;
        var size = Math.Abs(value);
        for (var i = 0; i < units.Length; i++)
        {
            var (unit, suffix) = units[i];
            if (size < unit) continue;
            var text = Scaled(value / unit, culture, out var rounded);
            // 999,950 rounds to "1000K": say "1M" instead.
            if (i > 0 && Math.Abs(rounded) * unit >= units[i - 1].Unit) return Scaled(value / units[i - 1].Unit, culture, out _) + units[i - 1].Suffix;
            return text + suffix;
        }
        return Math.Round(value, size < 10 ? 1 : 0, MidpointRounding.AwayFromZero).ToString(size < 10 ? "0.#" : "N0", culture);
    }

    private static string Scaled(decimal scaled, CultureInfo culture, out decimal rounded)
    {
        var digits = Math.Abs(scaled) < 10 ? 1 : 0;
        rounded = Math.Round(scaled, digits, MidpointRounding.AwayFromZero);
        return rounded.ToString(digits == 1 ? "0.#" : "0", culture);
    }

    public static string Format(double value, CultureInfo culture)
        => double.IsFinite(value) && Math.Abs(value) < 7.9e27 ? Format((decimal)value, culture) : value.ToString(culture);
}
