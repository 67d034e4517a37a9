using System.Collections.Frozen;
using System.Text.Json;

namespace Crm.Core.Fields.Address;

/// <summary>One administrative division: 省 (2-digit code), 市 (4 digits) or 区/县 (6 digits; 9 for the towns of the
/// few cities without counties, such as 东莞市).</summary>
public sealed class Region
{
    public required string Code { get; init; }
    public required string Name { get; init; }
    public Region? Parent { get; init; }
    public List<Region> Children { get; } = [];

    /// <summary>A level that only groups (北京市 → 市辖区, 省直辖县级行政区划): not shown in an address's text.</summary>
    public bool IsPlaceholder => ChinaRegions.Placeholders.Contains(Name);

    /// <summary>The name without its administrative suffix ("广东省" → "广东", "南山区" → "南山"), for matching typed text.</summary>
    public string ShortName { get; init; } = "";

    public override string ToString() => Code + " " + Name;
}

/// <summary>
/// The national province/city/district list (民政部/国家统计局 2023 division codes, from modood/Administrative-divisions-of-China
/// 2.7.0, dist/pca-code.json, WTFPL; see NOTICE), shipped inside Crm.Core and loaded once per process. Records store the
/// codes (<see cref="Types.AddressField"/>), names are looked up here when shown, so a data update renames without
/// touching records.
/// </summary>
public static class ChinaRegions
{
    /// <summary>Names of levels that only group their children.</summary>
    internal static readonly FrozenSet<string> Placeholders = new[] { "市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划" }.ToFrozenSet();

    /// <summary>Where the list comes from (shown in docs and tests).</summary>
    public const string Source = "modood/Administrative-divisions-of-China 2.7.0 (2023 codes), WTFPL";

    private static readonly Lazy<(IReadOnlyList<Region> Provinces, FrozenDictionary<string, Region> ByCode)> Data = new(Load);

    public static IReadOnlyList<Region> Provinces => Data.Value.Provinces;

    public static Region? Find(string? code) => code is not null && Data.Value.ByCode.TryGetValue(code, out var r) ? r : null;

    /// <summary>Which part of an address a code names by its length: "province", "city" or "district".</summary>
    public static string PartOf(string code) => code.Length switch { <= 2 => "province", <= 4 => "city", _ => "district" };

    /// <summary>The path of names, placeholders left out ("广东省深圳市南山区"; "北京市东城区").</summary>
    public static string PathName(Region? region)
    {
        if (region is null) return "";
        var names = new List<string>();
        for (var r = region; r is not null; r = r.Parent)
            if (!r.IsPlaceholder) names.Add(r.Name);
        names.Reverse();
        return string.Concat(names);
    }

    private static readonly string[] Suffixes =
    [
        "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "新区",
        "省", "市", "盟", "区", "县", "旗",
    ];

    private static string Short(string name)
    {
        foreach (var s in Suffixes)
            if (name.Length > s.Length + 1 && name.EndsWith(s, StringComparison.Ordinal)) return name[..^s.Length];
        return name;
    }

    private static (IReadOnlyList<Region>, FrozenDictionary<string, Region>) Load()
    {
        using var stream = typeof(ChinaRegions).Assembly.GetManifestResourceStream("Crm.Core.Fields.Address.pca-code.json")
            ?? throw new InvalidOperationException("The region list is not embedded.");
        using var doc = JsonDocument.Parse(stream);
        var all = new Dictionary<string, Region>(StringComparer.Ordinal);
        var provinces = new List<Region>();
        void Add(JsonElement e, Region? parent, List<Region> into)
        {
            var name = e.GetProperty("name").GetString()!;
            var region = new Region { Code = e.GetProperty("code").GetString()!, Name = name, Parent = parent, ShortName = Short(name) };
            into.Add(region);
            all[region.Code] = region;
            if (e.TryGetProperty("children", out var children))
                foreach (var c in children.EnumerateArray()) Add(c, region, region.Children);
        }
        foreach (var p in doc.RootElement.EnumerateArray()) Add(p, null, provinces);
        return (provinces, all.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// Reads a written address ("广东省深圳市南山区科技园一路1号", "广东 深圳 南山区 科技园", "北京市朝阳区建国路"): the
    /// province, city and district it starts with (full or short names; a municipality's 市辖区 and a province's
    /// directly governed counties are found without being written) and the rest as the detail line. Parts that are
    /// not recognised stay in the detail; nothing is guessed from the middle of the text.
    /// </summary>
    public static (Region? Province, Region? City, Region? District, string Detail) Parse(string text)
    {
        var rest = text.Trim();
        Region? province = null, city = null, district = null;
        province = Match(Provinces, ref rest);
        if (province is not null)
        {
            city = Match(province.Children, ref rest);
            if (city is null)
            {
                // 北京市朝阳区: the city level is 市辖区; 济源市: a county under 省直辖县级行政区划.
                foreach (var placeholder in province.Children.Where(c => c.IsPlaceholder))
                {
                    var probe = rest;
                    if (Match(placeholder.Children, ref probe) is { } d) { city = placeholder; district = d; rest = probe; break; }
                }
                if (city is null && province.Children.Count == 1 && province.Children[0].IsPlaceholder) city = province.Children[0];
            }
            if (city is not null && district is null) district = Match(city.Children, ref rest);
        }
        return (province, city, district, rest.Trim().TrimStart(',', '，', ' ').Trim());
    }

    /// <summary>The region whose name (or short name of at least two characters) starts the text; the longest wins.</summary>
    private static Region? Match(IEnumerable<Region> candidates, ref string text)
    {
        var t = text.TrimStart(' ', ',', '，', '/', '-');
        Region? best = null;
        var length = 0;
        foreach (var r in candidates)
        {
            if (r.IsPlaceholder) continue;
            if (t.StartsWith(r.Name, StringComparison.Ordinal) && r.Name.Length > length) { best = r; length = r.Name.Length; }
            else if (r.ShortName.Length >= 2 && r.ShortName.Length > length && t.StartsWith(r.ShortName, StringComparison.Ordinal)) { best = r; length = r.ShortName.Length; }
        }
        if (best is null) return null;
        text = t[length..];
        return best;
    }
}
