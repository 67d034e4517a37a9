using System.Data;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace Crm.Core.Data;

/// <summary>
/// Date bucketing and durations inside SQL, the same LINQ on both providers, so reports can GROUP BY day, week
/// or month and average durations in the database. Buckets are text keys in UTC: day and week
/// <c>yyyy-MM-dd</c> (a week is named by its Monday, ISO weeks), month <c>yyyy-MM</c>. Works on timestamps,
/// dates and ISO text read from the JSON values (<c>"2026-11-23"</c>, <c>"2026-11-23T09:30:00Z"</c>).
/// PostgreSQL: <c>to_char</c>, <c>date_trunc</c>, <c>date_part</c>; SQLite: <c>strftime</c>, <c>julianday</c>.
/// The overloads with a <c>zone</c> bucket an instant (a timestamp, or ISO date-time text) by the wall clock of a
/// time zone: pass <see cref="ZoneArgument"/> wrapped in <c>EF.Constant</c>. PostgreSQL converts with the IANA zone
/// (<c>timezone(zone, ts)</c>, daylight saving included); SQLite has no zone database, so it shifts by the zone's
/// offset at the time of the query (exact for zones without daylight saving, such as China's).
/// </summary>
public static class DateSql
{
    private const string Only = "Only for use in LINQ to Entities.";

    public static string? Day(DateTime? at) => throw new InvalidOperationException(Only);
    public static string? Week(DateTime? at) => throw new InvalidOperationException(Only);
    public static string? Month(DateTime? at) => throw new InvalidOperationException(Only);
    public static string? Day(DateOnly? date) => throw new InvalidOperationException(Only);
    public static string? Week(DateOnly? date) => throw new InvalidOperationException(Only);
    public static string? Month(DateOnly? date) => throw new InvalidOperationException(Only);
    public static string? Day(string? iso) => throw new InvalidOperationException(Only);
    public static string? Week(string? iso) => throw new InvalidOperationException(Only);
    public static string? Month(string? iso) => throw new InvalidOperationException(Only);
    public static string? Day(DateTime? at, string zone) => throw new InvalidOperationException(Only);
    public static string? Week(DateTime? at, string zone) => throw new InvalidOperationException(Only);
    public static string? Month(DateTime? at, string zone) => throw new InvalidOperationException(Only);
    public static string? Day(string? iso, string zone) => throw new InvalidOperationException(Only);
    public static string? Week(string? iso, string zone) => throw new InvalidOperationException(Only);
    public static string? Month(string? iso, string zone) => throw new InvalidOperationException(Only);

    /// <summary>
    /// What the zone overloads take for <paramref name="zone"/> on this provider: the IANA id on PostgreSQL, an
    /// strftime modifier (<c>+480 minutes</c>) on SQLite. UTC gives the same keys as the overloads without a zone.
    /// </summary>
    public static string ZoneArgument(TimeZoneInfo zone, bool postgres, DateTime utcNow)
        => postgres ? zone.Id : FormattableString.Invariant($"{(int)zone.GetUtcOffset(utcNow).TotalMinutes:+0;-0;+0} minutes");

    /// <summary>Seconds since 1970-01-01 UTC, for differences of two instants (averaged durations).</summary>
    public static double? Seconds(DateTime? at) => throw new InvalidOperationException(Only);
    /// <inheritdoc cref="Seconds(DateTime?)"/>
    public static double? Seconds(string? iso) => throw new InvalidOperationException(Only);

    /// <summary>The same bucket keys computed in memory (gap filling, labels and tests).</summary>
    public static string Bucket(DateTime utc, string unit) => unit switch
    {
        "day" => utc.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        "week" => utc.Date.AddDays(-(((int)utc.DayOfWeek + 6) % 7)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        _ => utc.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The next bucket key after <paramref name="key"/> (for filling empty days, weeks or months).</summary>
    public static string Next(string key, string unit)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (unit == "month")
            return DateTime.ParseExact(key + "-01", "yyyy-MM-dd", inv).AddMonths(1).ToString("yyyy-MM", inv);
        return DateTime.ParseExact(key, "yyyy-MM-dd", inv).AddDays(unit == "week" ? 7 : 1).ToString("yyyy-MM-dd", inv);
    }

    internal static void Register(ModelBuilder builder, bool postgres)
    {
        var text = postgres ? new StringTypeMapping("text", DbType.String) : new StringTypeMapping("TEXT", DbType.String);
        var real = postgres ? new DoubleTypeMapping("double precision") : new DoubleTypeMapping("REAL");
        foreach (var method in typeof(DateSql).GetMethods().Where(m => m.IsStatic && m.Name is "Day" or "Week" or "Month" or "Seconds"))
        {
            var input = Nullable.GetUnderlyingType(method.GetParameters()[0].ParameterType) ?? method.GetParameters()[0].ParameterType;
            var kind = input == typeof(DateTime) ? Input.Instant : input == typeof(DateOnly) ? Input.Date : Input.Text;
            var name = method.Name;
            builder.HasDbFunction(method).HasTranslation(args => postgres
                ? Postgres(name, kind, args[0], args.Count > 1 ? args[1] : null, text, real)
                : Sqlite(name, kind, args[0], args.Count > 1 ? args[1] : null, text, real));
        }
    }

    private enum Input { Instant, Date, Text }

    private static SqlExpression Fn(string name, Type type, RelationalTypeMapping? mapping, params SqlExpression[] args)
        => new SqlFunctionExpression(name, args, nullable: true, argumentsPropagateNullability: args.Select(_ => false).ToArray(), type, mapping);

    private static SqlExpression Text(string value, RelationalTypeMapping mapping) => new SqlConstantExpression(value, typeof(string), mapping);

    private static SqlExpression WithMapping(SqlExpression value, RelationalTypeMapping mapping) => value switch
    {
        SqlConstantExpression c => new SqlConstantExpression(c.Value, typeof(string), mapping),
        _ => value,
    };

    private static SqlExpression Postgres(string name, Input kind, SqlExpression value, SqlExpression? zone, RelationalTypeMapping text, RelationalTypeMapping real)
    {
        var timestamp = new DateTimeTypeMapping("timestamp without time zone", DbType.DateTime2);
        var timestamptz = new DateTimeTypeMapping("timestamp with time zone", DbType.DateTimeOffset);
        // Everything is bucketed as a wall-clock timestamp: timezone(zone, timestamptz) gives one (UTC unless a zone is given).
        var tz = zone is null ? Text("UTC", text) : WithMapping(zone, text);
        SqlExpression Wall() => kind switch
        {
            Input.Instant => Fn("timezone", typeof(DateTime), timestamp, tz, value),
            Input.Text when zone is not null => Fn("timezone", typeof(DateTime), timestamp, tz, new SqlUnaryExpression(ExpressionType.Convert, value, typeof(DateTime), timestamptz)),
            Input.Date => new SqlUnaryExpression(ExpressionType.Convert, value, typeof(DateTime), timestamp),
            _ => new SqlUnaryExpression(ExpressionType.Convert, Fn("substr", typeof(string), text, value, new SqlConstantExpression(1, typeof(int), new IntTypeMapping("integer")), new SqlConstantExpression(19, typeof(int), new IntTypeMapping("integer"))), typeof(DateTime), timestamp),
        };
        SqlExpression ToChar(SqlExpression at, string format) => Fn("to_char", typeof(string), text, at, Text(format, text));
        return name switch
        {
            "Day" => ToChar(Wall(), "YYYY-MM-DD"),
            "Week" => ToChar(Fn("date_trunc", typeof(DateTime), timestamp, Text("week", text), Wall()), "YYYY-MM-DD"),
            "Month" => ToChar(Wall(), "YYYY-MM"),
            // Seconds: an instant as is; ISO text parsed as timestamptz ("Z" or an offset is honoured, none means UTC).
            _ => Fn("date_part", typeof(double), real, Text("epoch", text), kind == Input.Text
                ? new SqlUnaryExpression(ExpressionType.Convert, value, typeof(DateTime), timestamptz)
                : value),
        };
    }

    private static SqlExpression Sqlite(string name, Input kind, SqlExpression value, SqlExpression? zone, RelationalTypeMapping text, RelationalTypeMapping real)
    {
        // EF stores DateTime as "yyyy-MM-dd HH:mm:ss.FFFFFFF" (UTC) and DateOnly as "yyyy-MM-dd": strftime reads both,
        // and ISO text with a "T" and "Z" too. A zone is an offset modifier applied first ("+480 minutes").
        SqlExpression Strftime(string format, params string[] modifiers)
            => Fn("strftime", typeof(string), text, [Text(format, text), value, .. zone is null ? [] : new[] { WithMapping(zone, text) }, .. modifiers.Select(m => Text(m, text))]);
        return name switch
        {
            "Day" => Strftime("%Y-%m-%d"),
            "Week" => Strftime("%Y-%m-%d", "-6 days", "weekday 1"),
            "Month" => Strftime("%Y-%m"),
            _ => new SqlBinaryExpression(ExpressionType.Multiply,
                new SqlBinaryExpression(ExpressionType.Subtract, Fn("julianday", typeof(double), real, value),
                    new SqlConstantExpression(2440587.5, typeof(double), real), typeof(double), real),
                new SqlConstantExpression(86400.0, typeof(double), real), typeof(double), real),
        };
    }
}
