using Crm.Core.Text;

namespace Crm.Core.Data;

/// <summary>
/// Chinese text sorts in pinyin order (北京, 南京, 上海), not by code point (上海, 北京, 南京). Both databases know a
/// collation of this name: PostgreSQL an ICU collation <c>zh-u-co-pinyin</c> created by the PinyinCollation
/// migration; SQLite a collation registered on each connection (<see cref="SqlitePragmaInterceptor"/>) that compares
/// <see cref="Pinyin.SortKey"/>s, so it needs no ICU and sorts the same with invariant globalization.
/// </summary>
public static class PinyinCollation
{
    public const string Name = "zh_pinyin";

    /// <summary>The SQLite collation: pinyin of GB2312 hanzi, other characters by code point (lower-cased).</summary>
    public static int Compare(string? a, string? b) => string.CompareOrdinal(Pinyin.SortKey(a), Pinyin.SortKey(b));
}
