using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;

namespace Crm.Core.Import;

/// <summary>A cell turned into a stored value, or the reason it could not be (a CoreStrings key and arguments).</summary>
public readonly record struct ParsedCell(JsonNode? Value, string? ErrorKey = null, object[]? Args = null)
{
    public bool Failed => ErrorKey is not null;
    public static ParsedCell Error(string key, params object[] args) => new(null, key, args);
}

/// <summary>Members and records that cells may name, read once per import (see <see cref="ImportService"/>).</summary>
public sealed class ImportLookups
{
    /// <summary>Lower-cased display name or e-mail → member ids (a name two members share is ambiguous).</summary>
    public Dictionary<string, List<Guid>> Members { get; } = new(StringComparer.Ordinal);
    /// <summary>Target entity key → lower-cased title or unique value → record ids.</summary>
    public Dictionary<string, Dictionary<string, List<Guid>>> Records { get; } = new(StringComparer.Ordinal);

    /// <summary>Lower-cased department name or path ("销售部/华东区", each ancestor's name joined by "/") → department ids.</summary>
    public Dictionary<string, List<Guid>> Departments { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds the workspace's departments: each by its own name and by its full path from the top.</summary>
    public void AddDepartments(IEnumerable<(Guid Id, string Name, Guid? ParentId)> departments)
    {
        var all = departments.ToDictionary(d => d.Id);
        foreach (var d in all.Values)
        {
            var names = new List<string> { d.Name.Trim() };
            var seen = new HashSet<Guid> { d.Id };
            for (var parent = d.ParentId; parent is { } p && all.TryGetValue(p, out var up) && seen.Add(p); parent = up.ParentId) names.Insert(0, up.Name.Trim());
            if (names[^1].Length == 0) continue;
            Add(Departments, names[^1].ToLowerInvariant(), d.Id);
            if (names.Count > 1) Add(Departments, string.Join('/', names).ToLowerInvariant(), d.Id);
        }
    }

    public void AddMember(Guid id, string? name, string? email)
    {
        foreach (var key in new[] { name, email }.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => k!.Trim().ToLowerInvariant()).Distinct())
            Add(Members, key, id);
    }

    public void AddRecord(string entityKey, string? text, Guid id)
    {
        if (string.IsNullOrWhiteSpace(text)) return;
        if (!Records.TryGetValue(entityKey, out var byText)) Records[entityKey] = byText = new(StringComparer.Ordinal);
        Add(byText, text.Trim().ToLowerInvariant(), id);
    }

    private static void Add(Dictionary<string, List<Guid>> map, string key, Guid id)
    {
        if (!map.TryGetValue(key, out var ids)) map[key] = ids = [];
        if (!ids.Contains(id)) ids.Add(id);
    }
}

/// <summary>
/// How a spreadsheet cell becomes a field's value, one parser per field type (keyed by <see cref="FieldType.Name"/>):
/// dates in ISO and common Chinese forms (2026-03-05, 2026/3/5, 2026年3月5日, Excel dates), money with ¥, commas and
/// 万, options by key or by label in either language, members by name or e-mail, lookups by title or a unique value,
/// yes/no as 是/否/true/1. Each parser reuses the type's own <see cref="FieldType.Normalize"/> where it exists, so
/// this table can move into the field types later; what it adds is only the reading of human-typed text.
/// Formulas are never evaluated: "=1+1" in a text field is stored as that text, in a number field it is an error.
/// </summary>
public static class ImportValueParsers
{
    public delegate ParsedCell Parser(string text, FieldContext ctx, ImportLookups lookups);

    private static readonly FrozenDictionary<string, Parser> ByType = new Dictionary<string, Parser>
    {
        ["text"] = Normalized,
        ["longtext"] = Normalized,
        ["email"] = Normalized,
        ["phone"] = Normalized,
        ["url"] = Normalized,
        ["number"] = Number,
        ["percent"] = Number,
        ["money"] = Money,
        ["date"] = Date,
        ["datetime"] = DateTimeValue,
        ["bool"] = Bool,
        ["select"] = Choice,
        ["status"] = Choice,
        ["stage"] = Choice,
        ["multiselect"] = Choices,
        ["member"] = Member,
        ["lookup"] = Lookup,
        ["department"] = Department,
        // "广东省深圳市南山区科技园…": split into region codes and the detail line by the type's own Normalize.
        ["address"] = Normalized,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Whether a field of this type can be imported into (computed fields cannot).</summary>
    public static bool CanImport(string type) => ByType.ContainsKey(type);

    /// <summary>
    /// The parser of one mapped column, made once per import: the same answers as <see cref="Parse"/>, with what
    /// does not change from row to row looked up once — a choice field's options by key and by either label (in
    /// the options' order, so the first option that matches wins, as <see cref="ChoiceFieldBase.Match"/> does)
    /// instead of listing the options again for every cell.
    /// </summary>
    public static Func<string?, ParsedCell> Column(FieldContext ctx, ImportLookups lookups)
    {
        if (ctx.Field.Type is "select" or "status" or "stage" && ctx.Type is ChoiceFieldBase choice)
        {
            var keys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var o in choice.Options(ctx).Where(o => !o.Archived))
                foreach (var name in new[] { o.Key, o.Label.ZhCn, o.Label.En })
                    if (name is not null) keys.TryAdd(name, o.Key);
            return text =>
            {
                if (string.IsNullOrWhiteSpace(text)) return new ParsedCell(null);
                var trimmed = text.Trim();
                return keys.TryGetValue(trimmed, out var key) ? new ParsedCell(JsonValue.Create(key)) : ParsedCell.Error("Import.NoSuchOption", trimmed, ctx.Label());
            };
        }
        return text => Parse(ctx, text, lookups);
    }

    public static ParsedCell Parse(FieldContext ctx, string? text, ImportLookups lookups)
    {
        if (string.IsNullOrWhiteSpace(text)) return new ParsedCell(null);
        return ByType.TryGetValue(ctx.Field.Type, out var parser) ? parser(text.Trim(), ctx, lookups) : ParsedCell.Error("Import.NotImportable", ctx.Label());
    }

    private static ParsedCell Normalized(string text, FieldContext ctx, ImportLookups _) => new(ctx.Type.Normalize(JsonValue.Create(text), ctx));

    private static ParsedCell Number(string text, FieldContext ctx, ImportLookups _)
        => ctx.Type.Normalize(JsonValue.Create(text), ctx) is JsonValue v && JsonNumbers.TryGetDecimal(v, out var d) && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? new ParsedCell(ctx.Type.Normalize(JsonValue.Create(d), ctx))
            : ParsedCell.Error("Import.NotANumber", text);

    /// <summary>"¥1,200.50", "1.2万", "12万元", "CNY 300": 万 multiplies by 10,000; the rest is the number type's reading.</summary>
    private static ParsedCell Money(string text, FieldContext ctx, ImportLookups lookups)
    {
        var t = text.Replace("元", "").Replace("人民币", "").Replace("RMB", "", StringComparison.OrdinalIgnoreCase).Replace("CNY", "", StringComparison.OrdinalIgnoreCase).Trim();
        var factor = 1m;
        if (t.EndsWith('万')) { factor = 10_000m; t = t[..^1]; }
        else if (t.EndsWith('亿')) { factor = 100_000_000m; t = t[..^1]; }
        var parsed = Number(t, ctx, lookups);
        if (parsed.Failed) return ParsedCell.Error("Import.NotAnAmount", text);
        return factor == 1m ? parsed : new ParsedCell(ctx.Type.Normalize(JsonValue.Create(parsed.Value!.GetValue<decimal>() * factor), ctx));
    }

    /// <summary>ISO and Chinese forms (the date type's own parser), and Excel's day numbers (45721 = 2025-03-05).</summary>
    private static ParsedCell Date(string text, FieldContext ctx, ImportLookups _)
    {
        if (DateField.TryParse(text, out var d)) return new ParsedCell(JsonValue.Create(d.ToString(DateField.Format, CultureInfo.InvariantCulture)));
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is > 1 and < 2958466)
            return new ParsedCell(JsonValue.Create(DateOnly.FromDateTime(DateTime.FromOADate(serial)).ToString(DateField.Format, CultureInfo.InvariantCulture)));
        return ParsedCell.Error("Import.NotADate", text);
    }

    private static ParsedCell DateTimeValue(string text, FieldContext ctx, ImportLookups lookups)
    {
        var normalized = ctx.Type.Normalize(JsonValue.Create(text), ctx);
        if (normalized is JsonValue v && v.TryGetValue<string>(out var s) && System.DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) && s.Contains('T'))
            return new ParsedCell(normalized);
        var cleaned = text.Replace("年", "-").Replace("月", "-").Replace("日", " ").Replace('/', '-').Trim();
        if (System.DateTime.TryParse(cleaned, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dt))
            return new ParsedCell(JsonValue.Create(dt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
        return ParsedCell.Error("Import.NotADate", text);
    }

    private static ParsedCell Bool(string text, FieldContext ctx, ImportLookups _)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t is "√" or "✓" or "对" or "真") return new ParsedCell(JsonValue.Create(true));
        if (t is "×" or "✗" or "错" or "假") return new ParsedCell(JsonValue.Create(false));
        return ctx.Type.Normalize(JsonValue.Create(text), ctx) is JsonValue v && v.TryGetValue<bool>(out var b)
            ? new ParsedCell(JsonValue.Create(b))
            : ParsedCell.Error("Import.NotYesNo", text);
    }

    private static ParsedCell Choice(string text, FieldContext ctx, ImportLookups _)
        => ctx.Type is ChoiceFieldBase choice && choice.Match(ctx, text) is { } key
            ? new ParsedCell(JsonValue.Create(key))
            : ParsedCell.Error("Import.NoSuchOption", text, ctx.Label());

    private static readonly char[] ListSeparators = [',', '，', ';', '；', '、', '|', '\n'];

    private static ParsedCell Choices(string text, FieldContext ctx, ImportLookups _)
    {
        var keys = new JsonArray();
        foreach (var part in text.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var option = (ctx.Settings.Options ?? []).FirstOrDefault(o => !o.IsArchived && (string.Equals(o.Key, part, StringComparison.OrdinalIgnoreCase)
                || string.Equals(o.Label.ZhCn, part, StringComparison.OrdinalIgnoreCase) || string.Equals(o.Label.En, part, StringComparison.OrdinalIgnoreCase)));
            if (option is null) return ParsedCell.Error("Import.NoSuchOption", part, ctx.Label());
            if (!keys.Any(k => k!.GetValue<string>() == option.Key)) keys.Add(option.Key);
        }
        return new ParsedCell(keys.Count == 0 ? null : keys);
    }

    private static ParsedCell Member(string text, FieldContext ctx, ImportLookups lookups)
    {
        if (Guid.TryParse(text, out var id)) return new ParsedCell(JsonValue.Create(id.ToString()));
        return lookups.Members.TryGetValue(text.ToLowerInvariant(), out var ids)
            ? ids.Count == 1 ? new ParsedCell(JsonValue.Create(ids[0].ToString())) : ParsedCell.Error("Import.Ambiguous", text)
            : ParsedCell.Error("Import.NoSuchMember", text);
    }

    private static readonly char[] DepartmentSeparators = ['、', ',', '，', ';', '；', '\n'];

    /// <summary>
    /// A department by its name ("华东区") or its path from the top ("销售部/华东区", also with "／", "\\" or " / ");
    /// several, separated by 、 , ; when the field takes several. A name two departments share is ambiguous: the
    /// path tells them apart.
    /// </summary>
    private static ParsedCell Department(string text, FieldContext ctx, ImportLookups lookups)
    {
        var ids = new List<Guid>();
        foreach (var part in text.Split(DepartmentSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Guid.TryParse(part, out var id)) { if (!ids.Contains(id)) ids.Add(id); continue; }
            var path = string.Join('/', part.Replace('／', '/').Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToLowerInvariant();
            if (!lookups.Departments.TryGetValue(path, out var found)) return ParsedCell.Error("Import.NoSuchDepartment", part);
            if (found.Count > 1) return ParsedCell.Error("Import.Ambiguous", part);
            if (!ids.Contains(found[0])) ids.Add(found[0]);
        }
        if (ids.Count == 0) return new ParsedCell(null);
        if (ctx.Settings.Multiple == true) return new ParsedCell(new JsonArray(ids.Select(i => (JsonNode)JsonValue.Create(i.ToString())).ToArray()));
        return ids.Count == 1 ? new ParsedCell(JsonValue.Create(ids[0].ToString())) : ParsedCell.Error("Import.OneDepartment", ctx.Label());
    }

    private static ParsedCell Lookup(string text, FieldContext ctx, ImportLookups lookups)
    {
        if (Guid.TryParse(text, out var id)) return new ParsedCell(JsonValue.Create(id.ToString()));
        var target = ctx.Settings.Target ?? "";
        return lookups.Records.TryGetValue(target, out var byText) && byText.TryGetValue(text.ToLowerInvariant(), out var ids)
            ? ids.Count == 1 ? new ParsedCell(JsonValue.Create(ids[0].ToString())) : ParsedCell.Error("Import.Ambiguous", text)
            : ParsedCell.Error("Import.NoSuchRecord", text, ctx.Metadata.Entity(target)?.Entity.Label.Get() ?? target);
    }
}
