using System.Globalization;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Components.RecordPage;

/// <summary>Times on the record page and My tasks: absolute in the viewer's culture and the workspace's zone, relative in words ("3 days ago").</summary>
public static class TimeText
{
    // The zone is the workspace's (TenantSession.TimeZone), never the server's; UTC when a component has none.
    public static DateTime Local(DateTime utc, TimeZoneInfo? zone)
        => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone ?? TimeZoneInfo.Utc);

    public static DateTime ToUtc(DateTime local, TimeZoneInfo? zone)
        => TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), zone ?? TimeZoneInfo.Utc);

    private static bool Chinese(CultureInfo c) => c.Name.StartsWith("zh", StringComparison.OrdinalIgnoreCase);

    public static string Absolute(DateTime utc, TimeZoneInfo? zone, CultureInfo? culture = null)
    {
        var c = culture ?? CultureInfo.CurrentUICulture;
        return Local(utc, zone).ToString(Chinese(c) ? "yyyy-MM-dd HH:mm" : "d MMM yyyy, HH:mm", c);
    }

    /// <summary>"just now", "5 min ago", "yesterday", "in 3 days"; the date itself beyond a month.</summary>
    public static string Relative(DateTime utc, DateTime nowUtc, IStringLocalizer t, TimeZoneInfo? zone)
    {
        var delta = DateTime.SpecifyKind(utc, DateTimeKind.Utc) - DateTime.SpecifyKind(nowUtc, DateTimeKind.Utc);
        var past = delta < TimeSpan.Zero;
        var span = past ? -delta : delta;
        if (span.TotalDays >= 30) return Local(utc, zone).ToString(Chinese(CultureInfo.CurrentUICulture) ? "yyyy-MM-dd" : "d MMM yyyy", CultureInfo.CurrentUICulture);
        if (span.TotalMinutes < 1) return t["Time.JustNow"];
        if (span.TotalHours < 1) return t[past ? "Time.MinutesAgo" : "Time.InMinutes", (int)span.TotalMinutes];
        var days = (Local(utc, zone).Date - Local(nowUtc, zone).Date).Days;
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
