namespace Crm.Core.Boards;

/// <summary>
/// Order inside a column: records sort by <c>Rank</c> (smaller first, then id). A moved card takes a rank between
/// its new neighbours, so no other record is rewritten.
/// </summary>
public static class BoardRanks
{
    /// <summary>A rank strictly between <paramref name="above"/> and <paramref name="below"/> when there is room.</summary>
    public static double Between(double? above, double? below, double current)
    {
        switch (above, below)
        {
            case (null, null): return current;
            case ({ } a, null): return a + 1;
            case (null, { } b): return b - 1;
            case ({ } a, { } b):
                if (a > b) (a, b) = (b, a);
                var mid = a + (b - a) / 2;
                // Halving the same gap about fifty times exhausts a double; then the card shares its neighbour's
                // rank and ties sort by id (documented in docs/decisions.md).
                return mid > a && mid < b ? mid : a;
        }
    }
}
