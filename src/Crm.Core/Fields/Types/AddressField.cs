using System.Text.Json.Nodes;
using Crm.Core.Fields.Address;
using Crm.Core.Metadata;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>
/// An address in China (地址): the codes of its province, city and district from the shipped division list
/// (<see cref="ChinaRegions"/>) and a free-text detail line, stored as
/// <c>{"province":"44","city":"4403","district":"440305","detail":"科技园一路1号"}</c>. Codes, not names, are stored
/// so that names follow a data update; names are shown. Filters and report groups read the province or city code
/// in SQL (<see cref="Data.JsonSql.TextAt"/>). Text written as an address ("广东省深圳市南山区科技园") is split into
/// its parts when it comes in (CSV import, API, a text field changed into an address).
/// </summary>
public sealed class AddressField : FieldType
{
    public const string Province = "province";
    public const string City = "city";
    public const string District = "district";
    public const string Detail = "detail";
    /// <summary>The longest detail line.</summary>
    public const int DetailLength = 200;

    public static readonly IReadOnlyList<string> Parts = [Province, City, District, Detail];

    public override string Name => FieldTypes.Address;
    public override FieldValueKind ValueKind => FieldValueKind.Address;
    public override bool IsSearchable => true;
    public override bool IsGroupable => true;
    public override bool MakesBoardColumns => false;
    public override bool ChecksParts => true;
    public override ReportGrouping Grouping => ReportGrouping.Region;
    public override IReadOnlyList<string> SettingNames => ["Required"];
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.Text, FieldTypes.LongText];

    public override JsonSchema BuildSchema(FieldContext ctx)
    {
        // Other keys are allowed by the shape and dropped by Normalize (a client's extra part is not an error).
        var schema = new JsonSchema { Type = JsonObjectType.Object };
        foreach (var part in Parts)
            schema.Properties[part] = new JsonSchemaProperty { Type = JsonObjectType.String | JsonObjectType.Null, MaxLength = part == Detail ? DetailLength : 12 };
        return schema;
    }

    /// <summary>The shape (the schema's rules): an object whose four parts are text or null (other keys never reach
    /// the store: <see cref="Normalize"/> drops them); codes are checked against the list by <see cref="PartProblems"/>,
    /// which names the part.</summary>
    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => value =>
    {
        if (value is null) return required ? ValueProblem.Type : ValueProblem.None;
        if (value is not JsonObject o) return ValueProblem.Type;
        foreach (var (key, v) in o)
        {
            if (v is null || !Parts.Contains(key)) continue;
            if (!ValueChecks.TryString(v, out var s)) return ValueProblem.Text;
            if (s.Length > (key == Detail ? DetailLength : 12)) return ValueProblem.TooLong;
        }
        return ValueProblem.None;
    };

    /// <summary>Codes that are not in the list, or a city/district not under the part before it.</summary>
    public override IEnumerable<PartProblem> PartProblems(FieldContext ctx, JsonNode? value)
    {
        if (value is not JsonObject o) yield break;
        Region? parent = null;
        foreach (var part in new[] { Province, City, District })
        {
            var code = Part(o, part);
            if (code is null) continue;
            var region = ChinaRegions.Find(code);
            if (region is null || ChinaRegions.PartOf(code) != part && !(part == District && code.Length == 9) || (parent is not null && region.Parent != parent))
            {
                yield return new PartProblem(part, ctx.Field, ValueProblem.None, "Validation.AddressRegion", [code]);
                yield break;
            }
            parent = region;
        }
    }

    public static string? Part(JsonObject o, string part)
        => o[part] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>
    /// An object of codes as stored: text is split into parts (<see cref="ChinaRegions.Parse"/>); names given instead
    /// of codes are looked up; a missing city or province is filled from the part below it; empty parts are dropped;
    /// an address without any part is no value.
    /// </summary>
    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var text))
            return string.IsNullOrWhiteSpace(text) ? null : FromText(Crm.Core.Text.StorableText.Clean(text));
        if (value is not JsonObject o) return value?.DeepClone();
        var result = new JsonObject();
        Region? parent = null;
        var codes = new Dictionary<string, string>();
        foreach (var part in new[] { Province, City, District })
        {
            if (o[part] is not JsonValue pv || !pv.TryGetValue<string>(out var s) || string.IsNullOrWhiteSpace(s)) { if (o[part] is { } other && !(other is JsonValue ov && ov.TryGetValue<string>(out _))) result[part] = other.DeepClone(); continue; }
            s = s.Trim();
            // A municipality named again as its city (北京市 / 北京市 / 朝阳区): its 市辖区 when it has only that level;
            // 重庆 (市辖区 and 县) takes the level from the district.
            if (part == City && parent is { Parent: null } municipality && municipality.Children.All(c => c.IsPlaceholder)
                && (s == municipality.Name || s == municipality.ShortName || s == municipality.Code))
            {
                if (municipality.Children is [var only]) { codes[City] = only.Code; parent = only; }
                continue;
            }
            if (ChinaRegions.Find(s) is null && ByName(s, parent, part) is { } named) s = named.Code;
            // A municipality written in two levels (北京市 / 朝阳区, as many forms show it): the district given as the
            // city moves down, and the 市辖区 in between is filled from it below.
            if (part == City && ChinaRegions.Find(s) is { Parent: { IsPlaceholder: true, Parent.Parent: null } } asCity && asCity.Code.Length > 4 && !codes.ContainsKey(District)
                && !(o[District] is JsonValue dv0 && dv0.TryGetValue<string>(out var d0) && !string.IsNullOrWhiteSpace(d0)))
            {
                codes[District] = asCity.Code;
                parent = asCity;
                break;
            }
            codes[part] = s;
            if (ChinaRegions.Find(s) is { } found) parent = found;
        }
        // The district (or city) alone says the rest.
        var lowest = codes.GetValueOrDefault(District) ?? codes.GetValueOrDefault(City);
        if (ChinaRegions.Find(lowest) is { } low)
        {
            for (var r = low.Parent; r is not null; r = r.Parent)
                codes.TryAdd(ChinaRegions.PartOf(r.Code), r.Code);
        }
        foreach (var part in new[] { Province, City, District })
            if (codes.TryGetValue(part, out var c)) result[part] = c;
        if (o[Detail] is JsonValue dv && dv.TryGetValue<string>(out var detail))
        {
            detail = Crm.Core.Text.StorableText.Clean(detail).Trim();
            if (detail.Length > 0) result[Detail] = detail;
        }
        else if (o[Detail] is { } odd) result[Detail] = odd.DeepClone();
        return result.Count == 0 ? null : result;
    }

    private static Region? ByName(string name, Region? parent, string part)
    {
        IEnumerable<Region> candidates = parent?.Children ?? ChinaRegions.Provinces;
        // A district under a province whose city was left out (北京 + 朝阳区; 广东 + 南山区): searched one level further,
        // taken only when one district of the province has that name.
        if (part == District && parent is { Parent: null }) candidates = parent.Children.SelectMany(c => c.Children);
        // A municipality's district given as its city (北京 / 朝阳区): found under the 市辖区 (moved down by the caller).
        if (part == City && parent is { Parent: null } && parent.Children.All(c => c.IsPlaceholder)) candidates = parent.Children.SelectMany(c => c.Children);
        var matches = candidates.Where(r => r.Name == name).ToList();
        if (matches.Count == 0) matches = candidates.Where(r => r.ShortName == name).ToList();
        return matches.Count == 1 ? matches[0] : matches.Count > 1 && part != District ? matches[0] : null;
    }

    /// <summary>Written text as an address value (its recognised parts and the rest as the detail line).</summary>
    public static JsonObject? FromText(string text)
    {
        var (province, city, district, detail) = ChinaRegions.Parse(text);
        var o = new JsonObject();
        if (province is not null) o[Province] = province.Code;
        if (city is not null) o[City] = city.Code;
        if (district is not null) o[District] = district.Code;
        if (detail.Length > 0) o[Detail] = detail.Length > DetailLength ? detail[..DetailLength] : detail;
        return o.Count == 0 ? null : o;
    }

    /// <summary>"广东省深圳市南山区 科技园一路1号": the names of the parts, then the detail line after a space.</summary>
    public static string Format(JsonNode? value)
    {
        if (value is not JsonObject o) return value is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        var lowest = ChinaRegions.Find(Part(o, District)) ?? ChinaRegions.Find(Part(o, City)) ?? ChinaRegions.Find(Part(o, Province));
        var names = ChinaRegions.PathName(lowest);
        var detail = Part(o, Detail) ?? "";
        return names.Length == 0 ? detail : detail.Length == 0 ? names : names + " " + detail;
    }

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc) => Format(value);

    /// <summary>Text that reads as an address becomes one (the parts recognised, the rest as the detail line).</summary>
    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        if (from.Type is AddressField) { converted = value.DeepClone(); return true; }
        if (value is not JsonValue v || !v.TryGetValue<string>(out var text)) return false;
        if (string.IsNullOrWhiteSpace(text)) return true;
        converted = FromText(text);
        return converted is not null && (Part((JsonObject)converted, Detail)?.Length ?? 0) <= DetailLength;
    }
}
