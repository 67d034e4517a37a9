using System.Globalization;

namespace Crm.Core.Reports;

/// <summary>How a report value is shown (and what unit a number is in).</summary>
public enum ReportFormat
{
    Integer,
    Number,
    Money,
    /// <summary>Percentage points: 42.5 means 42.5 %.</summary>
    Percent,
    Days,
    Hours,
    Text,
}

public sealed record ReportColumn(string Key, string Label, ReportFormat Format, string? Currency = null);

/// <summary>A value: a number, or a text for text columns.</summary>
public readonly record struct ReportCell(decimal? Number, string? Text = null)
{
    public static implicit operator ReportCell(decimal? number) => new(number);
    public static ReportCell Of(string? text) => new(null, text);
}

/// <summary>One group (stage, status, month, owner …) with a cell per column.</summary>
public sealed record ReportRow(string Key, string Label, IReadOnlyList<ReportCell> Cells)
{
    /// <summary>A colour from the metadata (stage, status, option), when it has one.</summary>
    public string? Color { get; init; }
    /// <summary>The record the row is about (record lists such as the churn warning).</summary>
    public Guid? RecordId { get; init; }
}

public sealed record ReportKpiDetail(string Label, decimal? Value, ReportFormat Format, string? Currency = null);

/// <summary>The single number a KPI tile shows, with a few supporting figures.</summary>
public sealed record ReportKpi(string Label, decimal? Value, ReportFormat Format, string? Currency, IReadOnlyList<ReportKpiDetail> Details);

/// <summary>
/// What every report returns, whatever it is: rows × columns (tables, CSV), the columns charted as series (bar,
/// line, pie), a KPI (tiles) and a highlighted row (the funnel's bottleneck). Labels are already in the UI culture.
/// </summary>
public sealed class ReportResult
{
    public required string Type { get; init; }
    public required string Chart { get; init; }
    /// <summary>Header of the row-label column ("Stage", "Month", "Owner" …).</summary>
    public required string Dimension { get; init; }
    public required IReadOnlyList<ReportColumn> Columns { get; init; }
    public required IReadOnlyList<ReportRow> Rows { get; init; }
    /// <summary>Indexes of <see cref="Columns"/> drawn as chart series.</summary>
    public IReadOnlyList<int> Series { get; init; } = [0];
    public ReportKpi? Kpi { get; init; }
    /// <summary>Index of a row to point out (the funnel stage with the lowest conversion, the slowest stage).</summary>
    public int? Highlight { get; init; }
    public string? HighlightNote { get; init; }
    /// <summary>Rows before the list was cut (record lists show the first ones).</summary>
    public int TotalRows { get; init; }
    /// <summary>Why the report could not run (a field it needs is missing …); null when it ran.</summary>
    public string? Problem { get; init; }
    /// <summary>Set when the report reads a field hidden from the viewer: it was not computed (<see cref="Problem"/> says so).</summary>
    public Permissions.HiddenFieldRef? HiddenField { get; init; }

    public int Column(string key)
    {
        for (var i = 0; i < Columns.Count; i++) if (Columns[i].Key == key) return i;
        return -1;
    }

    public ReportRow? Row(string key) => Rows.FirstOrDefault(r => r.Key == key);

    /// <summary>The number in row <paramref name="rowKey"/>, column <paramref name="columnKey"/> (null when either is missing).</summary>
    public decimal? Value(string rowKey, string columnKey)
    {
        var column = Column(columnKey);
        return column < 0 ? null : Row(rowKey)?.Cells[column].Number;
    }

    public static string FormatNumber(decimal? value, ReportFormat format, CultureInfo culture, string? currency = null) => value is not { } v ? "–" : format switch
    {
        ReportFormat.Integer => v.ToString("#,0", culture),
        ReportFormat.Money => currency switch { null or "CNY" or "JPY" => "¥", "USD" => "$", "EUR" => "€", "GBP" => "£", _ => currency + " " } + v.ToString("#,0.##", culture),
        ReportFormat.Percent => v.ToString("0.#", culture) + " %",
        ReportFormat.Days => v.ToString("0.#", culture),
        ReportFormat.Hours => v.ToString("0.#", culture),
        _ => v.ToString("#,0.##", culture),
    };
}
