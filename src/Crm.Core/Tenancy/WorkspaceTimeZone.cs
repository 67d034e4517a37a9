using System.Globalization;

namespace Crm.Core.Tenancy;

/// <summary>
/// A workspace's time zone: IANA ids (the same on Linux, macOS and, through ICU, Windows), resolved once and cached.
/// Reports bucket instants by the workspace's local day, week and month, and read date ranges as local days.
/// </summary>
public static class WorkspaceTimeZone
{
    public const string Utc = "UTC";
    public const string China = "Asia/Shanghai";

    /// <summary>New workspaces: China time for a Chinese sign-up (the product's home market), else UTC; admins change it in settings.</summary>
    public static string DefaultFor(string? culture) => culture is "en" ? Utc : China;

    /// <summary>The zone, or UTC when the id is unknown on this machine (a stored id never breaks a page).</summary>
    public static TimeZoneInfo Resolve(string? id)
        => !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    public static bool IsKnown(string? id) => !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out _);

    /// <summary>Every zone this machine knows, by IANA id, west to east (what the settings page offers).</summary>
    public static IReadOnlyList<TimeZoneInfo> All { get; } = TimeZoneInfo.GetSystemTimeZones()
        .Where(z => z.Id.Contains('/', StringComparison.Ordinal) || z.Id == Utc)
        .OrderBy(z => z.BaseUtcOffset).ThenBy(z => z.Id, StringComparer.Ordinal).ToList();

    /// <summary>"(UTC+08:00) Asia/Shanghai": the offset now, then the id.</summary>
    public static string Label(TimeZoneInfo zone, DateTime utcNow)
    {
        var offset = zone.GetUtcOffset(utcNow);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return string.Create(CultureInfo.InvariantCulture, $"(UTC{sign}{offset.Duration():hh\\:mm}) {zone.Id}");
    }

    /// <summary>The UTC instant at which <paramref name="day"/> begins in <paramref name="zone"/>.</summary>
    public static DateTime StartOfDayUtc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A day that starts inside a DST gap (rare: a few zones skip midnight) starts at the first valid minute.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    /// <summary>The local date and time in <paramref name="zone"/> of a UTC instant.</summary>
    public static DateTime ToLocal(DateTime utc, TimeZoneInfo zone)
        => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
}
