using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Records;

/// <summary>
/// Turns <see cref="FilterSpec"/>s and <see cref="SortSpec"/>s into SQL over records: bound fields use the typed,
/// indexed columns; other fields read the JSON values with <see cref="JsonSql"/>. Shared by lists, boards and
/// reports, so "owner is me" or "level = A" means the same everywhere. Unknown fields are ignored, never thrown on
/// (a saved view may outlive a field).
/// </summary>
public static class RecordFilters
{
    /// <param name="zone">The workspace's time zone: "$today" is the workspace's date (UTC when null).</param>
    public static IQueryable<Record> Apply(IQueryable<Record> query, EntityMeta entity, IEnumerable<FilterSpec> filters, Guid currentUserId, DateTime utcNow, TimeZoneInfo? zone = null)
    {
        foreach (var filter in filters) query = Apply(query, entity, filter, currentUserId, utcNow, zone);
        return query;
    }

    /// <summary>Quick search over the title and text fields (case-insensitive, anywhere in the text).</summary>
    /// <remarks>NUL and broken characters are dropped: no stored text contains them (PostgreSQL refuses NUL in a query).</remarks>
    public static IQueryable<Record> Search(IQueryable<Record> query, string? text)
    {
        text = text is null ? null : Crm.Core.Text.StorableText.Clean(text);
        if (string.IsNullOrWhiteSpace(text)) return query;
        var needle = text.Trim().ToLowerInvariant();
        return query.Where(r => r.SearchText.Contains(needle));
    }

    /// <summary>
    /// Quick search as <paramref name="fields"/>' actor may run it. The stored search text holds every text field;
    /// when one of them (or the title) is hidden from the actor, the search matches the visible text fields one by
    /// one instead, so no hit comes through a hidden value (slower: no single column to scan, only for such actors).
    /// </summary>
    public static IQueryable<Record> Search(IQueryable<Record> query, string? text, EntityFieldView fields)
    {
        if (!fields.SearchTextLeaks) return Search(query, text);
        text = text is null ? null : Crm.Core.Text.StorableText.Clean(text);
        if (string.IsNullOrWhiteSpace(text)) return query;
        return query.Where(VisibleTextContains(fields, text.Trim().ToLowerInvariant()));
    }

    /// <summary>r => lower(title) LIKE %needle% OR lower(values->>'f1') LIKE %needle% OR … over the visible text fields.</summary>
    public static System.Linq.Expressions.Expression<Func<Record, bool>> VisibleTextContains(EntityFieldView fields, string needle)
    {
        var predicates = new List<System.Linq.Expressions.Expression<Func<Record, bool>>>();
        if (!fields.TitleHidden) predicates.Add(r => r.Title.ToLower().Contains(needle));
        foreach (var field in fields.SearchableFields.Where(f => f.Key != fields.Entity.Entity.TitleFieldKey))
        {
            var key = field.Key;
            predicates.Add(r => JsonSql.Text(r.Values, EF.Constant(key))!.ToLower().Contains(needle));
        }
        if (predicates.Count == 0) return r => false;
        var predicate = predicates[0];
        foreach (var p in predicates.Skip(1)) predicate = Or(predicate, p);
        return predicate;
    }

    public static IQueryable<Record> Apply(IQueryable<Record> query, EntityMeta entity, FilterSpec filter, Guid currentUserId, DateTime utcNow, TimeZoneInfo? zone = null)
    {
        var op = filter.Op;
        var values = Values(filter.Value, currentUserId, utcNow, zone ?? TimeZoneInfo.Utc);
        var first = values.FirstOrDefault();

        switch (Target(entity, filter.Field))
        {
            case Column.Owner:
                var owners = values.Select(v => Guid.TryParse(v, out var g) ? g : (Guid?)null).Where(g => g is not null).ToList();
                return op switch
                {
                    "empty" => query.Where(r => r.OwnerId == null),
                    "notEmpty" => query.Where(r => r.OwnerId != null),
                    "neq" or "nin" => query.Where(r => r.OwnerId == null || !owners.Contains(r.OwnerId)),
                    _ => query.Where(r => owners.Contains(r.OwnerId)),
                };
            case Column.Stage:
                var stages = entity.AllPipelines.SelectMany(p => p.AllStages).Where(s => values.Contains(s.Key) || values.Contains(s.Id.ToString())).Select(s => (Guid?)s.Id).ToList();
                return op switch
                {
                    "empty" => query.Where(r => r.StageId == null),
                    "notEmpty" => query.Where(r => r.StageId != null),
                    "neq" or "nin" => query.Where(r => r.StageId == null || !stages.Contains(r.StageId)),
                    _ => query.Where(r => stages.Contains(r.StageId)),
                };
            case Column.Status:
                var list = entity.Owner.StatusList(entity.StatusField?.Settings.StatusList);
                // A value may name a status or a whole status group ("at_risk").
                var statuses = list?.AllOptions.Where(o => values.Contains(o.Key) || (o.GroupKey is not null && values.Contains(o.GroupKey))).Select(o => (Guid?)o.Id).ToList() ?? [];
                return op switch
                {
                    "empty" => query.Where(r => r.StatusOptionId == null),
                    "notEmpty" => query.Where(r => r.StatusOptionId != null),
                    "neq" or "nin" => query.Where(r => r.StatusOptionId == null || !statuses.Contains(r.StatusOptionId)),
                    _ => query.Where(r => statuses.Contains(r.StatusOptionId)),
                };
            case Column.Amount:
                return Numeric(query, r => r.Amount, op, values);
            case Column.CloseDate:
                var dates = values.Select(v => DateOnly.TryParseExact(v, DateField.Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : (DateOnly?)null).ToList();
                var d0 = dates.FirstOrDefault();
                var d1 = dates.Skip(1).FirstOrDefault();
                return op switch
                {
                    "empty" => query.Where(r => r.CloseDate == null),
                    "notEmpty" => query.Where(r => r.CloseDate != null),
                    "eq" => query.Where(r => r.CloseDate == d0),
                    "neq" => query.Where(r => r.CloseDate != d0),
                    "gt" => query.Where(r => r.CloseDate > d0),
                    "gte" => query.Where(r => r.CloseDate >= d0),
                    "lt" => query.Where(r => r.CloseDate < d0),
                    "lte" => query.Where(r => r.CloseDate <= d0),
                    "between" => query.Where(r => r.CloseDate >= d0 && r.CloseDate <= d1),
                    _ => query,
                };
            case Column.CreatedAt:
                return Instant(query, op, values, created: true);
            case Column.UpdatedAt:
                return Instant(query, op, values, created: false);
            case Column.Title:
                return Text(query, r => r.Title, op, values);
        }

        var field = entity.Field(filter.Field);
        if (field is null) return query;
        var key = field.Key;
        var type = FieldTypeRegistry.Get(field.Type);
        if (SlotFilter(query, field, type.KindOf(field.Settings), op, values) is { } onSlot) return onSlot;
        switch (type.KindOf(field.Settings))
        {
            case FieldValueKind.Number:
                var numbers = values.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : (double?)null).ToList();
                var n0 = numbers.FirstOrDefault();
                var n1 = numbers.Skip(1).FirstOrDefault();
                return op switch
                {
                    "empty" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) == null),
                    "notEmpty" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) != null),
                    "eq" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) == n0),
                    "neq" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) != n0 || JsonSql.Number(r.Values, EF.Constant(key)) == null),
                    "gt" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) > n0),
                    "gte" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) >= n0),
                    "lt" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) < n0),
                    "lte" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) <= n0),
                    "between" => query.Where(r => JsonSql.Number(r.Values, EF.Constant(key)) >= n0 && JsonSql.Number(r.Values, EF.Constant(key)) <= n1),
                    _ => query,
                };
            case FieldValueKind.Boolean:
                // SQLite's json_extract gives 1/0 (a number, never equal to the text "1"), PostgreSQL's ->> gives
                // true/false as text: test both forms. "No" also matches records without a value.
                var wantTrue = first is "true" or "1" or "yes";
                System.Linq.Expressions.Expression<Func<Record, bool>> isTrue = r => (JsonSql.Number(r.Values, EF.Constant(key)) ?? 0) == 1 || (JsonSql.Text(r.Values, EF.Constant(key)) ?? "") == "true";
                return op switch
                {
                    "empty" => query.Where(r => JsonSql.Text(r.Values, EF.Constant(key)) == null),
                    "notEmpty" => query.Where(r => JsonSql.Text(r.Values, EF.Constant(key)) != null),
                    _ when wantTrue == (op != "neq") => query.Where(isTrue),
                    _ => query.Where(Not(isTrue)),
                };
            case FieldValueKind.Choices:
                // A JSON array of keys: match a key with its quotes, so "a" never matches "ab". Several values
                // mean "has any of them" (in, eq) or "has none of them" (nin, neq).
                var patterns = values.Select(v => "\"" + v + "\"").DefaultIfEmpty("\"\"").ToList();
                System.Linq.Expressions.Expression<Func<Record, string?>> array = r => JsonSql.Text(r.Values, EF.Constant(key));
                var any = AnyOf(array, patterns);
                return op switch
                {
                    "empty" => query.Where(r => JsonSql.Text(r.Values, EF.Constant(key)) == null),
                    "notEmpty" => query.Where(r => JsonSql.Text(r.Values, EF.Constant(key)) != null),
                    "neq" or "nin" => query.Where(Or(Compose(array, s => s == null), Not(any))),
                    _ => query.Where(any),
                };
            case FieldValueKind.Address:
                return Address(query, key, op, values);
            default:
                return Text(query, r => JsonSql.Text(r.Values, EF.Constant(key)), op, values);
        }
    }

    /// <summary>
    /// An address by region: each value is a code, compared with the part its length names (2 digits a province,
    /// 4 a city, more a district), so "in [44, 3301]" is "in 广东省 or in 杭州市"; "contains" searches the detail line.
    /// </summary>
    private static IQueryable<Record> Address(IQueryable<Record> query, string key, string op, List<string> values)
    {
        switch (op)
        {
            case "empty": return query.Where(r => JsonSql.Text(r.Values, EF.Constant(key)) == null);
            case "notEmpty": return query.Where(r => JsonSql.Text(r.Values, EF.Constant(key)) != null);
            case "contains": return Text(query, r => JsonSql.TextAt(r.Values, EF.Constant(key), EF.Constant(Fields.Types.AddressField.Detail)), op, values);
        }
        System.Linq.Expressions.Expression<Func<Record, bool>>? any = null;
        foreach (var group in values.Where(v => v.Length > 0).GroupBy(Fields.Address.ChinaRegions.PartOf))
        {
            var part = group.Key;
            var codes = group.ToList();
            System.Linq.Expressions.Expression<Func<Record, bool>> one = codes.Count == 1
                ? r => (JsonSql.TextAt(r.Values, EF.Constant(key), EF.Constant(part)) ?? "") == codes[0]
                : r => codes.Contains(JsonSql.TextAt(r.Values, EF.Constant(key), EF.Constant(part)) ?? "");
            any = any is null ? one : Or(any, one);
        }
        any ??= r => false;
        return op is "neq" or "nin" ? query.Where(Not(any)) : query.Where(any);
    }

    /// <summary>
    /// The filter on the field's typed index copy (<see cref="IndexSlots"/>), or null where the copy cannot answer
    /// it exactly (no slot; "contains" or a value longer than the copied prefix on text): then the JSON is read.
    /// </summary>
    private static IQueryable<Record>? SlotFilter(IQueryable<Record> query, Metadata.FieldDefinition field, FieldValueKind kind, string op, List<string> values)
    {
        if (IndexSlots.Ready(field) is not { } slot || IndexSlots.FamilyOf(field) != slot[0]) return null;
        var property = IndexSlots.Property(slot);
        if (slot[0] == 'n')
        {
            if (kind != FieldValueKind.Boolean) return Real(query, r => EF.Property<double?>(r, property), op, values);
            var wantTrue = values.FirstOrDefault() is "true" or "1" or "yes";
            return op switch
            {
                "empty" => query.Where(r => EF.Property<double?>(r, property) == null),
                "notEmpty" => query.Where(r => EF.Property<double?>(r, property) != null),
                // "No" also matches records without a value, as on the JSON.
                _ when wantTrue == (op != "neq") => query.Where(r => EF.Property<double?>(r, property) == 1d),
                _ => query.Where(r => EF.Property<double?>(r, property) == null || EF.Property<double?>(r, property) != 1d),
            };
        }
        if (kind == FieldValueKind.Text && (op is not ("eq" or "neq" or "in" or "nin" or "empty" or "notEmpty") || values.Any(v => v.Length >= IndexSlots.PrefixLength)))
            return null;
        return Text(query, r => EF.Property<string?>(r, property), op, values);
    }

    private enum Column { None, Owner, Stage, Status, Amount, CloseDate, CreatedAt, UpdatedAt, Title }

    private static Column Target(EntityMeta entity, string field) => field switch
    {
        "$owner" => Column.Owner,
        "$stage" => Column.Stage,
        "$status" => Column.Status,
        "$createdAt" => Column.CreatedAt,
        "$updatedAt" => Column.UpdatedAt,
        "$title" => Column.Title,
        _ when field == entity.Entity.OwnerFieldKey => Column.Owner,
        _ when field == entity.Entity.StageFieldKey => Column.Stage,
        _ when field == entity.Entity.StatusFieldKey => Column.Status,
        _ when field == entity.Entity.AmountFieldKey && entity.AmountField is { } amount && !FieldTypeRegistry.Get(amount.Type).IsComputed => Column.Amount,
        _ when field == entity.Entity.CloseDateFieldKey => Column.CloseDate,
        _ => Column.None,
    };

    /// <summary>The filter's value(s) as strings, with "$me" and "$today±N" resolved ("$today" is the workspace's date).</summary>
    private static List<string> Values(JsonNode? value, Guid me, DateTime utcNow, TimeZoneInfo zone)
    {
        // Not "[value]": the conditional's type is JsonArray, so that would add the node to a new array and give it a parent.
        IEnumerable<JsonNode?> nodes = value is JsonArray a ? a : new[] { value };
        return nodes.Where(n => n is not null).Select(n =>
        {
            var s = n is JsonValue v && v.TryGetValue<string>(out var str) ? str : n!.ToJsonString();
            if (s == "$me") return me.ToString();
            if (s.StartsWith("$today", StringComparison.Ordinal))
                return Today(s["$today".Length..], utcNow, zone).ToString(DateField.Format, CultureInfo.InvariantCulture);
            return s;
        }).ToList();
    }

    /// <summary>"$today" plus the offset in days, in the workspace's zone; a huge offset stops at the first or last representable day.</summary>
    public static DateOnly Today(string offset, DateTime utcNow, TimeZoneInfo zone)
    {
        var today = DateOnly.FromDateTime(Tenancy.WorkspaceTimeZone.ToLocal(utcNow, zone));
        var days = offset.Length == 0 ? 0 : double.TryParse(offset, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? Math.Truncate(d) : 0;
        var target = Math.Clamp(today.DayNumber + days, DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber);
        return DateOnly.FromDayNumber((int)target);
    }

    private static IQueryable<Record> Text(IQueryable<Record> query, System.Linq.Expressions.Expression<Func<Record, string?>> selector, string op, List<string> values)
    {
        var v0 = values.FirstOrDefault() ?? "";
        var v1 = values.Skip(1).FirstOrDefault() ?? "";
        var lower = v0.ToLowerInvariant();
        return op switch
        {
            "empty" => query.Where(Compose(selector, s => s == null || s == "")),
            "notEmpty" => query.Where(Compose(selector, s => s != null && s != "")),
            "eq" => query.Where(Compose(selector, s => s == v0)),
            "neq" => query.Where(Compose(selector, s => s == null || s != v0)),
            "in" => query.Where(Compose(selector, s => values.Contains(s!))),
            "nin" => query.Where(Compose(selector, s => s == null || !values.Contains(s))),
            "contains" => query.Where(Compose(selector, s => s != null && s.ToLower().Contains(lower))),
            "gt" => query.Where(Compose(selector, s => string.Compare(s, v0) > 0)),
            "gte" => query.Where(Compose(selector, s => string.Compare(s, v0) >= 0)),
            "lt" => query.Where(Compose(selector, s => string.Compare(s, v0) < 0)),
            "lte" => query.Where(Compose(selector, s => string.Compare(s, v0) <= 0)),
            "between" => query.Where(Compose(selector, s => string.Compare(s, v0) >= 0 && string.Compare(s, v1) <= 0)),
            _ => query,
        };
    }

    private static IQueryable<Record> Numeric(IQueryable<Record> query, System.Linq.Expressions.Expression<Func<Record, decimal?>> selector, string op, List<string> values)
    {
        var numbers = values.Select(v => decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : (decimal?)null).ToList();
        var n0 = numbers.FirstOrDefault();
        var n1 = numbers.Skip(1).FirstOrDefault();
        return op switch
        {
            "empty" => query.Where(Compose(selector, x => x == null)),
            "notEmpty" => query.Where(Compose(selector, x => x != null)),
            "eq" => query.Where(Compose(selector, x => x == n0)),
            "neq" => query.Where(Compose(selector, x => x == null || x != n0)),
            "gt" => query.Where(Compose(selector, x => x > n0)),
            "gte" => query.Where(Compose(selector, x => x >= n0)),
            "lt" => query.Where(Compose(selector, x => x < n0)),
            "lte" => query.Where(Compose(selector, x => x <= n0)),
            "between" => query.Where(Compose(selector, x => x >= n0 && x <= n1)),
            _ => query,
        };
    }

    /// <summary>A number slot (double precision: leakproof comparisons, so PostgreSQL uses them as index conditions under row-level security).</summary>
    private static IQueryable<Record> Real(IQueryable<Record> query, System.Linq.Expressions.Expression<Func<Record, double?>> selector, string op, List<string> values)
    {
        var numbers = values.Select(v => decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? (double)n : (double?)null).ToList();
        var n0 = numbers.FirstOrDefault();
        var n1 = numbers.Skip(1).FirstOrDefault();
        return op switch
        {
            "empty" => query.Where(Compose(selector, x => x == null)),
            "notEmpty" => query.Where(Compose(selector, x => x != null)),
            "eq" => query.Where(Compose(selector, x => x == n0)),
            "neq" => query.Where(Compose(selector, x => x == null || x != n0)),
            "gt" => query.Where(Compose(selector, x => x > n0)),
            "gte" => query.Where(Compose(selector, x => x >= n0)),
            "lt" => query.Where(Compose(selector, x => x < n0)),
            "lte" => query.Where(Compose(selector, x => x <= n0)),
            "between" => query.Where(Compose(selector, x => x >= n0 && x <= n1)),
            _ => query,
        };
    }

    private static IQueryable<Record> Instant(IQueryable<Record> query, string op, List<string> values, bool created)
    {
        var instants = values.Select(v => DateTime.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d) ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : (DateTime?)null).ToList();
        var t0 = instants.FirstOrDefault() ?? DateTime.MinValue;
        var t1 = instants.Skip(1).FirstOrDefault() ?? DateTime.MaxValue;
        // A date-only bound ("2026-11-30") includes that whole day.
        if (values.Count > 1 && values[1].Length == 10) t1 = t1 < DateTime.MaxValue.AddDays(-1) ? t1.AddDays(1).AddTicks(-1) : DateTime.MaxValue;
        System.Linq.Expressions.Expression<Func<Record, DateTime>> at = created ? r => r.CreatedAt : r => r.UpdatedAt;
        // "lte 2026-11-30" and "gt 2026-11-30" mean up to / after that whole day (reports' date ranges).
        var wholeDay = values.Count > 0 && values[0].Length == 10;
        var nextDay = wholeDay && t0 < DateTime.MaxValue.AddDays(-1) ? t0.AddDays(1) : t0;
        return op switch
        {
            "gt" when wholeDay => query.Where(Compose(at, x => x >= nextDay)),
            "gt" => query.Where(Compose(at, x => x > t0)),
            "gte" => query.Where(Compose(at, x => x >= t0)),
            "lt" => query.Where(Compose(at, x => x < t0)),
            "lte" when wholeDay => query.Where(Compose(at, x => x < nextDay)),
            "lte" => query.Where(Compose(at, x => x <= t0)),
            "between" => query.Where(Compose(at, x => x >= t0 && x <= t1)),
            _ => query,
        };
    }

    /// <summary>Sorts by fields (bound ones by column, others by JSON value), then by id so paging is stable.</summary>
    public static IQueryable<Record> Sort(IQueryable<Record> query, EntityMeta entity, IReadOnlyList<SortSpec> sort)
    {
        IOrderedQueryable<Record>? ordered = null;
        foreach (var s in sort)
        {
            ordered = SortBy(ordered, query, entity, s);
        }
        ordered ??= query.OrderByDescending(r => r.UpdatedAt);
        return ordered.ThenBy(r => r.Id);
    }

    private static IOrderedQueryable<Record> SortBy(IOrderedQueryable<Record>? ordered, IQueryable<Record> query, EntityMeta entity, SortSpec s)
    {
        IOrderedQueryable<Record> By<T>(System.Linq.Expressions.Expression<Func<Record, T>> key) => ordered is null
            ? (s.Descending ? query.OrderByDescending(key) : query.OrderBy(key))
            : (s.Descending ? ordered.ThenByDescending(key) : ordered.ThenBy(key));

        switch (Target(entity, s.Field))
        {
            case Column.Owner: return By(r => r.OwnerId);
            case Column.Stage:
                // Stages sort by their order in the pipeline, not by id: map ids to positions (CASE in SQL).
                var stageIds = entity.AllPipelines.SelectMany(p => p.AllStages).Select(x => (Guid?)x.Id).ToList();
                return stageIds.Count == 0 ? By(r => r.StageId) : By(PositionIn(r => r.StageId, stageIds));
            case Column.Status:
                // Statuses sort by their order in the status list (a lifecycle), not by id.
                var statusIds = entity.Owner.StatusList(entity.StatusField?.Settings.StatusList)?.AllOptions.Select(o => (Guid?)o.Id).ToList() ?? [];
                return statusIds.Count == 0 ? By(r => r.StatusOptionId) : By(PositionIn(r => r.StatusOptionId, statusIds));
            case Column.Amount: return By(r => r.Amount);
            case Column.CloseDate: return By(r => r.CloseDate);
            case Column.CreatedAt: return By(r => r.CreatedAt);
            case Column.UpdatedAt: return By(r => r.UpdatedAt);
            case Column.Title: return By(r => EF.Functions.Collate(r.Title, PinyinCollation.Name));
        }
        var field = entity.Field(s.Field);
        if (field is null) return ordered ?? query.OrderBy(r => r.Title);
        var key = field.Key;
        var type = FieldTypeRegistry.Get(field.Type);
        // A text title field is projected unchanged into the indexed Title column: sort there.
        if (field.Key == entity.Entity.TitleFieldKey && field.Type == FieldTypes.Text) return By(r => EF.Functions.Collate(r.Title, PinyinCollation.Name));
        var kind = type.KindOf(field.Settings);
        if (IndexSlots.Ready(field) is { } slot && IndexSlots.FamilyOf(field) == slot[0] && kind != FieldValueKind.Text)
        {
            // The typed index copy: a B-tree range scan for numbers, dates and references.
            var property = IndexSlots.Property(slot);
            if (slot[0] == 'n') return By(r => EF.Property<double?>(r, property));
            if (type is ChoiceFieldBase slotChoice)
            {
                var optionKeys = slotChoice.Options(new FieldContext(field, entity)).Select(o => (string?)o.Key).Distinct().ToList();
                if (optionKeys.Count > 0) return By(PositionIn(r => EF.Property<string?>(r, property), optionKeys));
            }
            return By(r => EF.Property<string?>(r, property));
        }
        if (kind == FieldValueKind.Number) return By(r => JsonSql.Number(r.Values, EF.Constant(key)));
        if (kind == FieldValueKind.Address)
        {
            // Province, city and district in code order (the official order of forms and yearbooks: 北京, 天津, 河北 …,
            // the cities of a province together), then the detail line in pinyin order; records without one last.
            System.Linq.Expressions.Expression<Func<Record, bool>> none = r => JsonSql.TextAt(r.Values, EF.Constant(key), EF.Constant(AddressField.Province)) == null;
            var byParts = ordered is null ? query.OrderBy(none) : ordered.ThenBy(none);
            foreach (var part in new[] { AddressField.Province, AddressField.City, AddressField.District })
            {
                var p = part;
                byParts = s.Descending ? byParts.ThenByDescending(r => JsonSql.TextAt(r.Values, EF.Constant(key), EF.Constant(p)))
                    : byParts.ThenBy(r => JsonSql.TextAt(r.Values, EF.Constant(key), EF.Constant(p)));
            }
            return s.Descending ? byParts.ThenByDescending(r => EF.Functions.Collate(JsonSql.TextAt(r.Values, EF.Constant(key), EF.Constant(AddressField.Detail)), PinyinCollation.Name))
                : byParts.ThenBy(r => EF.Functions.Collate(JsonSql.TextAt(r.Values, EF.Constant(key), EF.Constant(AddressField.Detail)), PinyinCollation.Name));
        }
        if (type is ChoiceFieldBase choice)
        {
            // Options sort in their designed order (high, medium, low), not alphabetically by key.
            var keys = choice.Options(new FieldContext(field, entity)).Select(o => (string?)o.Key).Distinct().ToList();
            if (keys.Count > 0) return By(PositionIn(r => JsonSql.Text(r.Values, EF.Constant(key)), keys));
        }
        // Text in pinyin order (北京 < 南京 < 上海) on both databases.
        return By(r => EF.Functions.Collate(JsonSql.Text(r.Values, EF.Constant(key)), PinyinCollation.Name));
    }

    /// <summary>The position of the selected value in <paramref name="order"/> (a CASE in SQL); values not listed come last.</summary>
    private static System.Linq.Expressions.Expression<Func<Record, int>> PositionIn<T>(System.Linq.Expressions.Expression<Func<Record, T>> selector, IReadOnlyList<T> order)
    {
        System.Linq.Expressions.Expression body = System.Linq.Expressions.Expression.Constant(order.Count);
        for (var i = order.Count - 1; i >= 0; i--)
            body = System.Linq.Expressions.Expression.Condition(
                System.Linq.Expressions.Expression.Equal(selector.Body, System.Linq.Expressions.Expression.Constant(order[i], typeof(T))),
                System.Linq.Expressions.Expression.Constant(i), body);
        return System.Linq.Expressions.Expression.Lambda<Func<Record, int>>(body, selector.Parameters);
    }

    private static System.Linq.Expressions.Expression<Func<Record, bool>> AnyOf(System.Linq.Expressions.Expression<Func<Record, string?>> selector, IReadOnlyList<string> patterns)
    {
        var predicate = Compose(selector, s => s != null && s.Contains(patterns[0]));
        foreach (var pattern in patterns.Skip(1))
            predicate = Or(predicate, Compose(selector, s => s != null && s.Contains(pattern)));
        return predicate;
    }

    internal static System.Linq.Expressions.Expression<Func<Record, bool>> Or(System.Linq.Expressions.Expression<Func<Record, bool>> a, System.Linq.Expressions.Expression<Func<Record, bool>> b)
        => System.Linq.Expressions.Expression.Lambda<Func<Record, bool>>(
            System.Linq.Expressions.Expression.OrElse(a.Body, new Replace(b.Parameters[0], a.Parameters[0]).Visit(b.Body)!), a.Parameters);

    private static System.Linq.Expressions.Expression<Func<Record, bool>> Not(System.Linq.Expressions.Expression<Func<Record, bool>> a)
        => System.Linq.Expressions.Expression.Lambda<Func<Record, bool>>(System.Linq.Expressions.Expression.Not(a.Body), a.Parameters);

    private static System.Linq.Expressions.Expression<Func<Record, bool>> Compose<T>(
        System.Linq.Expressions.Expression<Func<Record, T>> selector, System.Linq.Expressions.Expression<Func<T, bool>> predicate)
    {
        var body = new Replace(predicate.Parameters[0], selector.Body).Visit(predicate.Body)!;
        return System.Linq.Expressions.Expression.Lambda<Func<Record, bool>>(body, selector.Parameters);
    }

    private sealed class Replace(System.Linq.Expressions.ParameterExpression from, System.Linq.Expressions.Expression to) : System.Linq.Expressions.ExpressionVisitor
    {
        protected override System.Linq.Expressions.Expression VisitParameter(System.Linq.Expressions.ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}
