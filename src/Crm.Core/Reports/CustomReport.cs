using System.Linq.Expressions;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Reports;

/// <summary>
/// The report builder's reports: group records by a select, status, stage, member, lookup, yes/no or a date
/// (by day, week or month) and measure count, or sum / average / min / max of a number or money field, in one
/// GROUP BY. Bound fields use their typed columns; other fields are read from the JSON values with the
/// provider's JSON functions (<see cref="JsonSql"/>), dates are bucketed with <see cref="DateSql"/>.
/// </summary>
internal static class CustomReport
{
    private sealed record Money<TKey>(TKey Key, decimal? Value);
    private sealed record Real<TKey>(TKey Key, double? Value);
    private sealed record Counted<TKey>(TKey Key, int Value);

    /// <summary>How the measure is read: the typed amount column, the field's typed index copy (a number slot), a JSON number, or none (count).</summary>
    private enum Source { Count, Amount, Slot, Json }

    public static async Task<ReportResult> RunAsync(ReportContext c, CancellationToken ct)
    {
        var entity = c.Entity;
        var measure = c.Spec.Measure ?? new MeasureSpec();
        var aggregate = ReportTypes.Aggregates.Contains(measure.Aggregate) ? measure.Aggregate : "count";
        var field = aggregate == "count" ? null : entity.Field(measure.Field);
        if (aggregate != "count" && !FieldType.IsNumericField(field))
            return c.Problem(c.T("Report.Problem.MeasureField", measure.Field ?? ""));
        var source = field is null ? Source.Count
            : field.Key == entity.Entity.AmountFieldKey && !FieldTypeRegistry.Get(field.Type).IsComputed ? Source.Amount
            : IndexSlots.Ready(field) is { } slot && slot[0] == 'n' && IndexSlots.FamilyOf(field) == 'n' ? Source.Slot
            : Source.Json;
        // The slot's property for a slot, else the JSON key.
        var fieldKey = source == Source.Slot ? IndexSlots.Property(IndexSlots.Ready(field!)!) : field?.Key ?? "";

        var group = c.Spec.GroupBy;
        var zone = c.ZoneSql;
        var groupField = group is null ? null : entity.Field(group.Field);
        var dimension = group is null ? Dimension.Kind.None : Dimension.Of(entity, group.Field, groupField);
        // The date range narrows the grouped date when there is one, else the creation date.
        var records = dimension switch
        {
            Dimension.Kind.CloseDate => c.Records(DateAxis.CloseDate),
            Dimension.Kind.JsonDate => RecordFilters.Apply(c.Records(DateAxis.Change), entity,
                FieldTypeRegistry.Get(groupField!.Type).ValueKind == FieldValueKind.DateTime ? c.InstantRangeOn(groupField.Key) : c.Filters.RangeOn(groupField.Key), c.Actor.UserId, c.Now, c.Zone),
            Dimension.Kind.UpdatedAt => RecordFilters.Apply(c.Records(DateAxis.Change), entity, c.InstantRangeOn("$updatedAt"), c.Actor.UserId, c.Now, c.Zone),
            _ => c.Records(DateAxis.Created),
        };
        if (c.Spec.Pipeline is { } pipelineKey && entity.Pipeline(pipelineKey) is { } pipeline)
        {
            var pipelineId = pipeline.Pipeline.Id;
            records = records.Where(r => r.PipelineId == pipelineId);
        }

        var column = new ReportColumn(aggregate, MeasureLabel(c, aggregate, field), Format(aggregate, field), field?.Settings.Currency ?? (field is not null && FieldTypeRegistry.Get(field.Type) is { IsComputed: false } ft && ft.NumberFormat(field.Settings) == NumberFormat.Money ? "CNY" : null));

        if (group is null)
        {
            var value = (await AggregateAsync(records, r => r.TenantId, source, aggregate, fieldKey, ct)).Select(x => x.Value).FirstOrDefault();
            if (value is null && aggregate is "count" or "sum") value = 0;
            var single = new ReportRow("", column.Label, [value]);
            var result = c.Result("", [column], [single]);
            return PipelineReports.With(result, kpi: new ReportKpi(column.Label, value, column.Format, column.Currency, []));
        }

        var unit = group.Bucket is { } b && ReportTypes.Buckets.Contains(b) ? b : "month";
        List<(string Key, decimal? Value)> values;
        switch (dimension)
        {
            case Dimension.Kind.Stage when c.Spec.Pipeline is null && entity.Pipelines.Count > 1:
                // Several pipelines: a stage key means the same step in each, so group by key, not by id.
                var byKey = entity.AllPipelines.SelectMany(p => p.AllStages).Select(s => KeyValuePair.Create((Guid?)s.Id, s.Key)).ToList();
                values = Text(await AggregateAsync(records, SqlExpressions.MapText<Record, Guid?>(r => r.StageId, byKey), source, aggregate, fieldKey, ct));
                break;
            case Dimension.Kind.Stage:
                values = Keyed(await AggregateAsync(records, r => r.StageId, source, aggregate, fieldKey, ct), id => c.Metadata.Stage(id)?.Stage.Key, aggregate);
                break;
            case Dimension.Kind.Status:
                values = Keyed(await AggregateAsync(records, r => r.StatusOptionId, source, aggregate, fieldKey, ct), id => c.Metadata.StatusOption(id)?.Option.Key, aggregate);
                break;
            case Dimension.Kind.Owner:
                values = Ids(await AggregateAsync(records, r => r.OwnerId, source, aggregate, fieldKey, ct));
                break;
            case Dimension.Kind.CreatedAt or Dimension.Kind.UpdatedAt:
                var created = dimension == Dimension.Kind.CreatedAt;
                values = Text(await (unit switch
                {
                    "day" => created ? AggregateAsync(records, r => DateSql.Day(r.CreatedAt, EF.Constant(zone)), source, aggregate, fieldKey, ct) : AggregateAsync(records, r => DateSql.Day(r.UpdatedAt, EF.Constant(zone)), source, aggregate, fieldKey, ct),
                    "week" => created ? AggregateAsync(records, r => DateSql.Week(r.CreatedAt, EF.Constant(zone)), source, aggregate, fieldKey, ct) : AggregateAsync(records, r => DateSql.Week(r.UpdatedAt, EF.Constant(zone)), source, aggregate, fieldKey, ct),
                    _ => created ? AggregateAsync(records, r => DateSql.Month(r.CreatedAt, EF.Constant(zone)), source, aggregate, fieldKey, ct) : AggregateAsync(records, r => DateSql.Month(r.UpdatedAt, EF.Constant(zone)), source, aggregate, fieldKey, ct),
                }));
                break;
            case Dimension.Kind.CloseDate:
                values = Text(await (unit switch
                {
                    "day" => AggregateAsync(records, r => DateSql.Day(r.CloseDate), source, aggregate, fieldKey, ct),
                    "week" => AggregateAsync(records, r => DateSql.Week(r.CloseDate), source, aggregate, fieldKey, ct),
                    _ => AggregateAsync(records, r => DateSql.Month(r.CloseDate), source, aggregate, fieldKey, ct),
                }));
                break;
            case Dimension.Kind.JsonDate:
                var dateKey = groupField!.Key;
                values = Text(await (FieldTypeRegistry.Get(groupField.Type).ValueKind == FieldValueKind.DateTime ? unit switch
                {
                    "day" => AggregateAsync(records, r => DateSql.Day(JsonSql.Text(r.Values, EF.Constant(dateKey)), EF.Constant(zone)), source, aggregate, fieldKey, ct),
                    "week" => AggregateAsync(records, r => DateSql.Week(JsonSql.Text(r.Values, EF.Constant(dateKey)), EF.Constant(zone)), source, aggregate, fieldKey, ct),
                    _ => AggregateAsync(records, r => DateSql.Month(JsonSql.Text(r.Values, EF.Constant(dateKey)), EF.Constant(zone)), source, aggregate, fieldKey, ct),
                } : unit switch
                {
                    "day" => AggregateAsync(records, r => DateSql.Day(JsonSql.Text(r.Values, EF.Constant(dateKey))), source, aggregate, fieldKey, ct),
                    "week" => AggregateAsync(records, r => DateSql.Week(JsonSql.Text(r.Values, EF.Constant(dateKey))), source, aggregate, fieldKey, ct),
                    _ => AggregateAsync(records, r => DateSql.Month(JsonSql.Text(r.Values, EF.Constant(dateKey))), source, aggregate, fieldKey, ct),
                }));
                break;
            case Dimension.Kind.JsonRegion:
                // An address by province (bucket "province") or city: the code of that part, read in SQL.
                var regionKey = groupField!.Key;
                var regionPart = group.Bucket == Fields.Types.AddressField.City ? Fields.Types.AddressField.City : Fields.Types.AddressField.Province;
                values = Text(await AggregateAsync(records, r => JsonSql.TextAt(r.Values, EF.Constant(regionKey), EF.Constant(regionPart)), source, aggregate, fieldKey, ct));
                break;
            case Dimension.Kind.JsonValue:
                var valueKey = groupField!.Key;
                // The typed index copy (Records.IndexSlots) where the field has one; the JSON (with its statistics) else.
                var groupValue = IndexSlots.TextOf(groupField);
                if (IndexSlots.Ready(groupField) is null) await c.GroupingByJsonAsync(valueKey, ct);
                values = Text(await AggregateAsync(records, groupValue, source, aggregate, fieldKey, ct));
                break;
            default:
                return c.Problem(c.T("Report.Problem.GroupField", group.Field));
        }

        var rows = await LabelAsync(c, dimension, groupField, values, aggregate, unit, ct);
        var all = rows.Count;
        const int max = 100;
        if (rows.Count > max) rows = rows.OrderByDescending(r => r.Cells[0].Number ?? decimal.MinValue).Take(max).ToList();
        var kpi = aggregate switch
        {
            "count" or "sum" => rows.Sum(r => r.Cells[0].Number ?? 0),
            "min" => rows.Min(r => r.Cells[0].Number),
            "max" => rows.Max(r => r.Cells[0].Number),
            _ => (await AggregateAsync(records, r => r.TenantId, source, aggregate, fieldKey, ct)).Select(x => x.Value).FirstOrDefault(),
        };
        var grouped = c.Result(DimensionLabel(c, group, groupField), [column], rows);
        return new ReportResult
        {
            Type = grouped.Type, Chart = grouped.Chart, Dimension = grouped.Dimension, Columns = grouped.Columns, Rows = rows, TotalRows = all,
            Kpi = new ReportKpi(column.Label, kpi, column.Format, column.Currency, []),
        };
    }

    /// <summary>Ids to keys (stage or status keys); ids that map to one key are merged.</summary>
    private static List<(string Key, decimal? Value)> Keyed(List<(Guid? Key, decimal? Value)> values, Func<Guid, string?> keyOf, string aggregate)
        => values.GroupBy(v => v.Key is { } id ? keyOf(id) ?? id.ToString() : "")
            .Select(g => (g.Key, g.Count() == 1 ? g.First().Value : aggregate switch
            {
                "min" => g.Min(v => v.Value),
                "max" => g.Max(v => v.Value),
                "avg" => g.First().Value,
                _ => g.Sum(v => v.Value),
            })).ToList();

    public const string NoValueColor = "#adb5bd";

    private static List<(string Key, decimal? Value)> Ids(List<(Guid? Key, decimal? Value)> values) => values.Select(v => (v.Key?.ToString() ?? "", v.Value)).ToList();

    private static List<(string Key, decimal? Value)> Text(List<(string? Key, decimal? Value)> values) => values.Select(v => (v.Key ?? "", v.Value)).ToList();

    /// <summary>One GROUP BY with the measure; the value type follows the source (exact decimals for the amount column).</summary>
    private static async Task<List<(TKey Key, decimal? Value)>> AggregateAsync<TKey>(IQueryable<Record> records, Expression<Func<Record, TKey>> key, Source source, string aggregate, string fieldKey, CancellationToken ct)
    {
        var groups = records.GroupBy(key);
        switch (source)
        {
            case Source.Count:
                return (await groups.Select(g => new Counted<TKey>(g.Key, g.Count())).ToListAsync(ct)).Select(x => (x.Key, (decimal?)x.Value)).ToList();
            case Source.Amount:
                var money = aggregate switch
                {
                    "sum" => groups.Select(g => new Money<TKey>(g.Key, g.Sum(r => r.Amount))),
                    "avg" => groups.Select(g => new Money<TKey>(g.Key, g.Average(r => r.Amount))),
                    "min" => groups.Select(g => new Money<TKey>(g.Key, g.Min(r => r.Amount))),
                    _ => groups.Select(g => new Money<TKey>(g.Key, g.Max(r => r.Amount))),
                };
                return (await money.ToListAsync(ct)).Select(x => (x.Key, x.Value is { } v ? Math.Round(v, 2, MidpointRounding.AwayFromZero) : (decimal?)null)).ToList();
            case Source.Slot:
                // Number slots are double precision (as the JSON path's numbers): rounded like them.
                var copy = aggregate switch
                {
                    "sum" => groups.Select(g => new Real<TKey>(g.Key, g.Sum(r => EF.Property<double?>(r, fieldKey)))),
                    "avg" => groups.Select(g => new Real<TKey>(g.Key, g.Average(r => EF.Property<double?>(r, fieldKey)))),
                    "min" => groups.Select(g => new Real<TKey>(g.Key, g.Min(r => EF.Property<double?>(r, fieldKey)))),
                    _ => groups.Select(g => new Real<TKey>(g.Key, g.Max(r => EF.Property<double?>(r, fieldKey)))),
                };
                return (await copy.ToListAsync(ct)).Select(x => (x.Key, ReportContext.Round(x.Value))).ToList();
            default:
                var real = aggregate switch
                {
                    "sum" => groups.Select(g => new Real<TKey>(g.Key, g.Sum(r => JsonSql.Number(r.Values, EF.Constant(fieldKey))))),
                    "avg" => groups.Select(g => new Real<TKey>(g.Key, g.Average(r => JsonSql.Number(r.Values, EF.Constant(fieldKey))))),
                    "min" => groups.Select(g => new Real<TKey>(g.Key, g.Min(r => JsonSql.Number(r.Values, EF.Constant(fieldKey))))),
                    _ => groups.Select(g => new Real<TKey>(g.Key, g.Max(r => JsonSql.Number(r.Values, EF.Constant(fieldKey))))),
                };
                return (await real.ToListAsync(ct)).Select(x => (x.Key, ReportContext.Round(x.Value))).ToList();
        }
    }

    private static async Task<List<ReportRow>> LabelAsync(ReportContext c, Dimension.Kind dimension, FieldDefinition? field, List<(string Key, decimal? Value)> values, string aggregate, string unit, CancellationToken ct)
    {
        var entity = c.Entity;
        var empty = c.T("Report.Row.None");
        // The group of records without a value is grey, so charts keep the metadata colours of the others.
        ReportRow Row(string key, string label, string? color = null) => new(key, label, [values.FirstOrDefault(v => v.Key == key).Value]) { Color = key.Length == 0 ? NoValueColor : color };
        IEnumerable<ReportRow> Rest(IEnumerable<string> known) => values.Where(v => !known.Contains(v.Key))
            .Select(v => new ReportRow(v.Key, v.Key.Length == 0 ? empty : v.Key, [v.Value]) { Color = v.Key.Length == 0 ? NoValueColor : null });
        var present = values.Select(v => v.Key).ToHashSet();

        switch (dimension)
        {
            case Dimension.Kind.Stage:
            {
                var stages = (c.Spec.Pipeline is { } pk && entity.Pipeline(pk) is { } p ? p.AllStages : entity.AllPipelines.SelectMany(x => x.AllStages))
                    .GroupBy(s => s.Key).Select(g => g.First()).ToList();
                return stages.Where(s => !s.IsArchived || present.Contains(s.Key)).Select(s => Row(s.Key, s.Label.Get(), s.Color))
                    .Concat(Rest(stages.Select(s => s.Key))).Select(r => Zero(r, aggregate)).ToList();
            }
            case Dimension.Kind.Status:
            {
                var options = c.StatusList?.AllOptions.Where(o => !o.IsArchived || present.Contains(o.Key)).ToList() ?? [];
                return options.Select(o => Row(o.Key, o.Label.Get(), o.Color))
                    .Concat(Rest(options.Select(o => o.Key))).Select(r => Zero(r, aggregate)).ToList();
            }
            case Dimension.Kind.Owner:
            case Dimension.Kind.JsonValue when FieldTypeRegistry.Find(field?.Type)?.ShowsNames == true:
            {
                var ids = values.Select(v => Guid.TryParse(v.Key, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).ToList();
                var names = await c.NamesAsync(ids, ct);
                return values.Select(v => new ReportRow(v.Key, v.Key.Length == 0 ? empty : Guid.TryParse(v.Key, out var g) && names.TryGetValue(g, out var n) ? n : c.T("Report.Row.FormerMember"), [v.Value]))
                    .OrderByDescending(r => r.Cells[0].Number ?? decimal.MinValue).ThenBy(r => r.Label, StringComparer.Ordinal).ToList();
            }
            case Dimension.Kind.JsonValue when field is { Type: "bool" }:
            {
                decimal? Merge(params string[] keys)
                {
                    var parts = values.Where(v => keys.Contains(v.Key)).Select(v => v.Value).ToList();
                    return parts.Count == 0 ? (aggregate is "count" or "sum" ? 0 : null) : aggregate switch
                    {
                        "min" => parts.Min(),
                        "max" => parts.Max(),
                        _ => parts.Sum(),
                    };
                }
                var rows = new List<ReportRow>
                {
                    new("true", c.T("Report.Row.Yes"), [Merge("true", "1")]),
                    new("false", c.T("Report.Row.No"), [Merge("false", "0")]),
                };
                if (present.Contains("")) rows.Add(Row("", empty));
                return rows;
            }
            case Dimension.Kind.JsonValue when field is { Type: "status" }:
            {
                var options = c.Metadata.StatusList(field.Settings.StatusList)?.AllOptions.Where(o => !o.IsArchived || present.Contains(o.Key)).ToList() ?? [];
                return options.Select(o => Row(o.Key, o.Label.Get(), o.Color)).Concat(Rest(options.Select(o => o.Key))).Select(r => Zero(r, aggregate)).ToList();
            }
            case Dimension.Kind.JsonValue:
            {
                var options = field?.Settings.Options?.Where(o => !o.IsArchived || present.Contains(o.Key)).ToList() ?? [];
                return options.Select(o => Row(o.Key, o.Label.Get(), o.Color)).Concat(Rest(options.Select(o => o.Key))).Select(r => Zero(r, aggregate)).ToList();
            }
            case Dimension.Kind.JsonRegion:
                // Region names from the shipped list (a city under its province: "广东省深圳市"), largest first.
                return values.Select(v => new ReportRow(v.Key, v.Key.Length == 0 ? empty : Fields.Address.ChinaRegions.Find(v.Key) is { } region ? Fields.Address.ChinaRegions.PathName(region) : v.Key, [v.Value]) { Color = v.Key.Length == 0 ? NoValueColor : null })
                    .OrderByDescending(r => r.Cells[0].Number ?? decimal.MinValue).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
            default:
            {
                // Dates: every bucket from the first to the last, in order; an empty period counts zero.
                var dated = values.Where(v => v.Key.Length > 0).ToDictionary(v => v.Key, v => v.Value);
                var rows = PipelineReports.FillBuckets(dated.Keys, unit)
                    .Select(k => Zero(new ReportRow(k, k, [dated.GetValueOrDefault(k)]), aggregate)).ToList();
                if (present.Contains("")) rows.Add(Row("", empty));
                return rows;
            }
        }
    }

    /// <summary>A group with no records counts (and sums) to zero.</summary>
    private static ReportRow Zero(ReportRow row, string aggregate)
        => row.Cells[0].Number is null && aggregate is "count" or "sum" ? row with { Cells = [0m] } : row;

    private static string MeasureLabel(ReportContext c, string aggregate, FieldDefinition? field)
        => field is null ? c.T("Report.Measure.count") : c.T("Report.Measure." + aggregate, field.Label.Get());

    private static ReportFormat Format(string aggregate, FieldDefinition? field) => field is null ? ReportFormat.Integer : FieldTypeRegistry.Get(field.Type).NumberFormat(field.Settings) switch
    {
        NumberFormat.Money => ReportFormat.Money,
        NumberFormat.Percent => ReportFormat.Percent,
        _ => ReportFormat.Number,
    };

    private static string DimensionLabel(ReportContext c, GroupBySpec group, FieldDefinition? field) => group.Field switch
    {
        "$stage" => c.T("Report.Dim.Stage"),
        "$status" => c.T("Report.Dim.Status"),
        "$owner" => c.T("Report.Dim.Owner"),
        "$createdAt" => c.T("Report.Dim.CreatedAt"),
        "$updatedAt" => c.T("Report.Dim.UpdatedAt"),
        _ => field?.Label.Get() ?? group.Field,
    } + (group.Bucket is { } b && (field is null || FieldTypeRegistry.Find(field.Type)?.Grouping is ReportGrouping.Date or ReportGrouping.Region) && group.Field is not ("$stage" or "$status" or "$owner") ? " · " + c.T("Report.Bucket." + b) : "");
}

/// <summary>What a group-by field is, and so which column or JSON value the GROUP BY reads.</summary>
public static class Dimension
{
    public enum Kind { None, Stage, Status, Owner, CreatedAt, UpdatedAt, CloseDate, JsonDate, JsonValue, JsonRegion }

    public static Kind Of(EntityMeta entity, string key, FieldDefinition? field = null)
    {
        field ??= entity.Field(key);
        switch (key)
        {
            case "$stage": return entity.StageField is null ? Kind.None : Kind.Stage;
            case "$status": return entity.StatusField is null ? Kind.None : Kind.Status;
            case "$owner": return Kind.Owner;
            case "$createdAt": return Kind.CreatedAt;
            case "$updatedAt": return Kind.UpdatedAt;
        }
        if (field is null) return Kind.None;
        if (field.Key == entity.Entity.StageFieldKey) return Kind.Stage;
        if (field.Key == entity.Entity.StatusFieldKey) return Kind.Status;
        if (field.Key == entity.Entity.OwnerFieldKey) return Kind.Owner;
        if (field.Key == entity.Entity.CloseDateFieldKey) return Kind.CloseDate;
        // The type says how it groups; a field that holds several values (a multiple department field) does not.
        var type = FieldTypeRegistry.Find(field.Type);
        if (type is null || type.KindOf(field.Settings) == FieldValueKind.Choices) return Kind.None;
        return type.Grouping switch
        {
            ReportGrouping.Date => Kind.JsonDate,
            ReportGrouping.Value => Kind.JsonValue,
            ReportGrouping.Region => Kind.JsonRegion,
            _ => Kind.None,
        };
    }

    /// <summary>Dates need a bucket (day, week, month).</summary>
    public static bool IsDate(Kind kind) => kind is Kind.CreatedAt or Kind.UpdatedAt or Kind.CloseDate or Kind.JsonDate;
}
