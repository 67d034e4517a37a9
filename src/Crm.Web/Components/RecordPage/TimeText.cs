using System.Globalization;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Components.RecordPage;

/// <summary>Times on the record page and My tasks: absolute in the viewer's culture, relative in words ("3 days ago").</summary>
public static class TimeText
{
    public static DateTime Local(DateTime utc)
        => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), TimeZoneInfo.Local);

    public static DateTime ToUtc(DateTime local)
        => TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), TimeZoneInfo.Local);

    private static bool Chinese(CultureInfo c) => c.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);

    public static string Absolute(DateTime utc, CultureInfo? culture = null)
    {
        var c = culture ?? CultureInfo.CurrentUICulture;
        return Local(utc).ToString(Chinese(c) ? "yyyy-MM-dd HH:mm" : "d MMM yyyy, HH:mm", c);
    }

    /// <summary>"just now", "5 min ago", "yesterday", "in 3 days"; the date itself beyond a month.</summary>
    public static string Relative(DateTime utc, DateTime nowUtc, IStringLocalizer t)
    {
        var delta = DateTime.SpecifyKind(utc, DateTimeKind.Utc) - DateTime.SpecifyKind(nowUtc, DateTimeKind.Utc);
        var past = delta < TimeSpan.Zero;
        var span = past ? -delta : delta;
        if (span.TotalDays >= 30) return Local(utc).ToString(Chinese(CultureInfo.CurrentUICulture) ? "yyyy-MM-dd" : "d MMM yyyy", CultureInfo.CurrentUICulture);
        if (span.TotalMinutes < 1) return t["Time.JustNow"];
        if (span.TotalHours < 1) return t[past ? "Time.MinutesAgo" : "Time.InMinutes", (int)span.TotalMinutes];
        var days = (Local(utc).Date - Local(nowUtc).Date).Days;
        if (span.TotalHours < 12 || days == 0) return t[past ? "Time.HoursAgo" : "Time.InHours", Math.Max(1, (int)Math.Round(span.TotalHours))];
        if (days == -1) return t["Time.Yesterday"];
        if (days == 1) return t["Time.Tomorrow"];
        return t[past ? "Time.DaysAgo" : "Time.InDays", Math.Abs(days)];
    }

    /// <summary>A length of time in its largest sensible unit: "3 d", "5 h", "12 min".</summary>
    public static string Duration(long seconds, IStringLocalizer t)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        if (span.TotalDays >= 1) return t["Duration.Days", Math.Round(span.TotalDays, span.TotalDays < 10 ? 1 : 0)];
        if (span.TotalHours >= 1) return t["Duration.Hours", (int)span.TotalHours];
        return t["Duration.Minutes", Math.Max(1, (int)span.TotalMinutes)];
    }
}
