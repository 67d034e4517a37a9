namespace Crm.Core.Reports;

/// <summary>
/// The 12-column grid of a dashboard, as pure functions: where a new widget goes, moving and resizing (widgets
/// in the way are pushed down, never overlapped), and the checks a saved layout must pass.
/// </summary>
public static class DashboardLayout
{
    public const int Columns = 12;
    public const int MaxHeight = 12;
    public static readonly IReadOnlyList<string> Kinds = ["kpi", "chart", "table", "funnel"];

    /// <summary>The widget kind that shows a report drawn as <paramref name="chart"/>.</summary>
    public static string KindFor(string chart) => chart switch
    {
        "kpi" => "kpi",
        "funnel" => "funnel",
        "table" => "table",
        _ => "chart",
    };

    /// <summary>The usual size of a widget of <paramref name="kind"/>: KPIs a quarter row and 2 high, others half a row.</summary>
    public static (int W, int H) DefaultSize(string kind) => kind switch
    {
        "kpi" => (3, 2),
        "table" => (12, 5),
        _ => (6, 5),
    };

    public static bool Overlaps(DashboardWidget a, DashboardWidget b)
        => a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H;

    /// <summary>The top-most, then left-most free place for a w × h widget.</summary>
    public static (int X, int Y) FirstFree(IReadOnlyList<DashboardWidget> widgets, int w, int h)
    {
        w = Math.Clamp(w, 1, Columns);
        for (var y = 0; ; y++)
            for (var x = 0; x + w <= Columns; x++)
            {
                var probe = new DashboardWidget("", "", "", null, x, y, w, h);
                if (widgets.All(o => !Overlaps(o, probe))) return (x, y);
            }
    }

    /// <summary>Moves a widget by whole cells (kept on the grid); widgets it lands on move down.</summary>
    public static List<DashboardWidget> Move(IReadOnlyList<DashboardWidget> widgets, string key, int dx, int dy)
        => Change(widgets, key, w => w with { X = Math.Clamp(w.X + dx, 0, Columns - w.W), Y = Math.Max(0, w.Y + dy) });

    /// <summary>Makes a widget wider/narrower and taller/shorter (kept on the grid); widgets in the way move down.</summary>
    public static List<DashboardWidget> Resize(IReadOnlyList<DashboardWidget> widgets, string key, int dw, int dh)
        => Change(widgets, key, w =>
        {
            var width = Math.Clamp(w.W + dw, 1, Columns);
            return w with { W = width, X = Math.Min(w.X, Columns - width), H = Math.Clamp(w.H + dh, 1, MaxHeight) };
        });

    /// <summary>Places a widget at an exact cell and size (drag and drop); widgets in the way move down.</summary>
    public static List<DashboardWidget> Place(IReadOnlyList<DashboardWidget> widgets, string key, int x, int y, int w, int h)
        => Change(widgets, key, _ =>
        {
            var width = Math.Clamp(w, 1, Columns);
            return _ with { X = Math.Clamp(x, 0, Columns - width), Y = Math.Max(0, y), W = width, H = Math.Clamp(h, 1, MaxHeight) };
        });

    private static List<DashboardWidget> Change(IReadOnlyList<DashboardWidget> widgets, string key, Func<DashboardWidget, DashboardWidget> change)
    {
        var list = widgets.ToList();
        var index = list.FindIndex(w => w.Key == key);
        if (index < 0) return list;
        list[index] = change(list[index]);
        return Settle(list, key);
    }

    /// <summary>Pushes widgets down until none overlaps; <paramref name="fixedKey"/> (the one just moved) stays put.</summary>
    public static List<DashboardWidget> Settle(List<DashboardWidget> widgets, string? fixedKey = null)
    {
        var placed = new List<DashboardWidget>();
        if (widgets.FirstOrDefault(w => w.Key == fixedKey) is { } pinned) placed.Add(pinned);
        foreach (var widget in widgets.Where(w => w.Key != fixedKey).OrderBy(w => w.Y).ThenBy(w => w.X))
        {
            var w = widget;
            while (placed.FirstOrDefault(p => Overlaps(p, w)) is { } blocker) w = w with { Y = blocker.Y + blocker.H };
            placed.Add(w);
        }
        // Keep the caller's order (it is the reading order of the widgets in the saved JSON).
        return widgets.Select(w => placed.First(p => p.Key == w.Key)).ToList();
    }

    /// <summary>Problems with a layout, as (widget index, message key) pairs; empty when it is valid.</summary>
    public static IEnumerable<(int Index, string Problem)> Check(IReadOnlyList<DashboardWidget> widgets)
    {
        for (var i = 0; i < widgets.Count; i++)
        {
            var w = widgets[i];
            if (string.IsNullOrWhiteSpace(w.Key) || widgets.Take(i).Any(o => o.Key == w.Key)) yield return (i, "Dashboard.Validation.Key");
            if (!Kinds.Contains(w.Kind)) yield return (i, "Dashboard.Validation.Kind");
            if (w.X < 0 || w.W < 1 || w.X + w.W > Columns || w.Y < 0 || w.H < 1 || w.H > MaxHeight) yield return (i, "Dashboard.Validation.Grid");
            else if (widgets.Take(i).Any(o => Overlaps(o, w))) yield return (i, "Dashboard.Validation.Overlap");
        }
    }
}
