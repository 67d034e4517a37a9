using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using Crm.Core.Records;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>
/// A subform (子表单, line items): rows of cells, each row an object with a stable id (<see cref="RowId"/>) and one
/// value per column; the columns are fields of scalar types (<see cref="ColumnTypes"/>) kept in the field's settings,
/// so each cell is normalised, checked and shown by its column's own type. A formula column computes from the
/// row's other columns; a formula field of the record sums a column (<c>SUM(items.subtotal)</c>).
/// </summary>
public sealed class SubformField : FieldType
{
    /// <summary>The key of a row's id inside the row object (not a column key: column keys start with a letter).</summary>
    public const string RowId = "_id";
    /// <summary>The most rows a subform holds when its settings say nothing (a record stays one JSON document).</summary>
    public const int RowLimit = 200;
    /// <summary>The most columns of a subform.</summary>
    public const int ColumnLimit = 20;

    /// <summary>The types a column may have: scalar values that a table cell can edit and a row formula can read.</summary>
    public static readonly IReadOnlyList<string> ColumnTypes =
    [
        FieldTypes.Text, FieldTypes.Number, FieldTypes.Money, FieldTypes.Percent, FieldTypes.Date, FieldTypes.Select,
        FieldTypes.Lookup, FieldTypes.Member, FieldTypes.Bool, FieldTypes.Formula,
    ];

    public override string Name => FieldTypes.Subform;
    public override FieldValueKind ValueKind => FieldValueKind.Rows;
    public override bool IsGroupable => false;
    public override bool MakesBoardColumns => false;
    public override bool InDefaultList => false;
    public override bool ShowsNames => true;
    public override IReadOnlyList<string> SettingNames => ["Required", "Columns", "MinRows", "MaxRows"];

    public override FieldSettings NewSettings() => new()
    {
        Columns = [new SubformColumn { Key = "item", Type = FieldTypes.Text, Label = new LocalizedText("名称", "Item") }],
    };

    /// <summary>The columns as fields (their labels as the column's own).</summary>
    public static IReadOnlyList<FieldDefinition> ColumnFields(FieldSettings settings)
        => (settings.Columns ?? []).Select(c => c.AsField()).ToList();

    /// <summary>The numeric columns (number, money, percent, formula): those a footer totals and a formula may sum.</summary>
    public static bool IsNumericColumn(SubformColumn column) => FieldTypeRegistry.Find(column.Type)?.IsNumeric == true;

    /// <summary>A column's footer: the sum of its cells (the default), their average, or nothing.</summary>
    public const string TotalSum = "sum", TotalAvg = "avg", TotalNone = "none";

    /// <summary>The values of a numeric column's <see cref="FieldSettings.Total"/> (null reads as <see cref="TotalSum"/>).</summary>
    public static readonly IReadOnlyList<string> Totals = [TotalSum, TotalAvg, TotalNone];

    /// <summary>What the footer shows for <paramref name="column"/>: <see cref="TotalSum"/>, <see cref="TotalAvg"/>, or
    /// <see cref="TotalNone"/> (also for a column that is not numeric, and for an unknown setting).</summary>
    public static string TotalOf(SubformColumn column)
        => !IsNumericColumn(column) ? TotalNone : column.Settings.Total switch { null or TotalSum => TotalSum, TotalAvg => TotalAvg, _ => TotalNone };

    /// <summary>The column shows a total in the footer (it is numeric and its setting is not "none").</summary>
    public static bool HasTotal(SubformColumn column) => TotalOf(column) != TotalNone;

    /// <summary>The footer of <paramref name="column"/> as text: the sum as the column shows a value, the average as
    /// "平均 ¥1,200.00" / "avg ¥1,200.00" (<c>Subform.AverageValue</c>), or "" (no total, or an average of no cells).</summary>
    public static string TotalText(JsonNode? value, SubformColumn column, FieldContext ctx, DisplayContext dc)
    {
        if (ColumnTotal(value, column) is not { } total || FieldTypeRegistry.Find(column.Type) is not { } type) return "";
        var text = type.Display(JsonValue.Create(total), ctx, dc);
        return TotalOf(column) == TotalAvg ? string.Format(dc.Culture, dc.T("Subform.AverageValue"), text) : text;
    }

    /// <summary>The footer value of <paramref name="column"/> over the rows: the sum (blank cells as 0; no rows give 0),
    /// the average of the non-blank cells (none: no value), or null when the column shows no total.</summary>
    public static decimal? ColumnTotal(JsonNode? value, SubformColumn column)
    {
        var values = ColumnValues(value, column.Key);
        return TotalOf(column) switch
        {
            TotalSum => values.Sum(v => v ?? 0m),
            TotalAvg when values.Any(v => v is not null) => Math.Round(values.Where(v => v is not null).Average(v => v!.Value), 10, MidpointRounding.AwayFromZero),
            _ => null,
        };
    }

    public override JsonSchema BuildSchema(FieldContext ctx)
    {
        var row = new JsonSchema { Type = JsonObjectType.Object };
        var id = new JsonSchemaProperty { Type = JsonObjectType.String };
        row.Properties[RowId] = id;
        foreach (var column in ctx.Settings.Columns ?? [])
        {
            if (FieldTypeRegistry.Find(column.Type) is not { } type || type is SubformField) continue;
            var cell = type.BuildSchema(new FieldContext(column.AsField(), ctx.Entity));
            var property = new JsonSchemaProperty();
            // The column's own rules, and null for an empty cell.
            property.Type = cell.Type | JsonObjectType.Null;
            property.Format = cell.Format;
            property.Minimum = cell.Minimum;
            property.Maximum = cell.Maximum;
            property.MaxLength = cell.MaxLength;
            foreach (var e in cell.Enumeration) property.Enumeration.Add(e);
            if (cell.Item is not null) property.Item = cell.Item;
            row.Properties[column.Key] = property;
        }
        return new JsonSchema { Type = JsonObjectType.Array, Item = row, MinItems = ctx.Settings.MinRows ?? 0, MaxItems = ctx.Settings.MaxRows ?? RowLimit };
    }

    /// <summary>The shape: a list of row objects (at least one when required). Cells and row counts are checked by
    /// <see cref="PartProblems"/>, which names the row and column.</summary>
    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => value =>
    {
        if (value is null) return required ? ValueProblem.List : ValueProblem.None;
        if (value is not JsonArray rows) return ValueProblem.List;
        if (required && rows.Count < 1) return ValueProblem.Required;
        foreach (var row in rows)
            if (row is not JsonObject) return ValueProblem.Type;
        return ValueProblem.None;
    };

    public override IEnumerable<PartProblem> PartProblems(FieldContext ctx, JsonNode? value)
    {
        if (value is not JsonArray rows) yield break;
        var s = ctx.Settings;
        if (s.MinRows is { } min && rows.Count < min && (rows.Count > 0 || s.Required || min > 0))
            yield return new PartProblem("", ctx.Field, ValueProblem.None, "Validation.TooFewRows", [min]);
        var max = s.MaxRows ?? RowLimit;
        if (rows.Count > max) yield return new PartProblem("", ctx.Field, ValueProblem.None, "Validation.TooManyRows", [max]);
        var columns = (s.Columns ?? []).Where(c => FieldTypeRegistry.Find(c.Type) is { } t && t is not SubformField).ToList();
        var checks = columns.Select(c =>
        {
            var type = FieldTypeRegistry.Get(c.Type);
            var required = c.Settings.Required && !type.IsComputed;
            return (Column: c, Required: required, Check: type.CompileCheck(new FieldContext(c.AsField(), ctx.Entity), required));
        }).ToList();
        for (var i = 0; i < rows.Count && i < max; i++)
        {
            if (rows[i] is not JsonObject row) continue;
            foreach (var (column, required, check) in checks)
            {
                var cell = row[column.Key];
                // An empty cell of a required column is "required" (as a missing field is), not "must be text".
                var problem = cell is null ? (required ? ValueProblem.Required : ValueProblem.None) : check(cell);
                if (problem == ValueProblem.None && cell is JsonValue v && v.TryGetValue<string>(out var key)
                    && column.Type == FieldTypes.Select && column.Settings.Options?.FirstOrDefault(o => o.Key == key) is not { IsArchived: false })
                    problem = ValueProblem.NotAnOption;
                if (problem == ValueProblem.None) continue;
                yield return new PartProblem($"{i}/{column.Key}", CellField(ctx.Field, column, i), problem);
            }
            foreach (var (key, _) in row)
                if (key != RowId && columns.All(c => c.Key != key))
                    yield return new PartProblem($"{i}/{key}", ctx.Field, ValueProblem.None, "Record.UnknownField", [$"{ctx.Field.Label.Get()}[{i + 1}].{key}"]);
        }
    }

    /// <summary>A cell as a field whose label says where it is: "产品明细[2].数量" / "Line items[2].Qty" (rows count from 1).</summary>
    public static FieldDefinition CellField(FieldDefinition subform, SubformColumn column, int row)
    {
        var field = column.AsField();
        field.Label = new LocalizedText($"{subform.Label.ZhCn}[{row + 1}].{column.Label.ZhCn}", $"{subform.Label.En}[{row + 1}].{column.Label.En}");
        return field;
    }

    /// <summary>
    /// Rows as stored: each a row object with its id (kept, or a new one), its columns' values normalised by their
    /// types and its row formulas computed; keys that are not columns are kept for the validator to refuse; rows
    /// without any value are dropped; an empty list is no value.
    /// </summary>
    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var text))
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            return value.DeepClone();
        }
        if (value is not JsonArray rows) return value?.DeepClone();
        var columns = ctx.Settings.Columns ?? [];
        var result = new JsonArray();
        foreach (var node in rows)
        {
            if (node is not JsonObject row) { result.Add(node?.DeepClone()); continue; }
            var clean = new JsonObject();
            var id = row[RowId] is JsonValue iv && iv.TryGetValue<string>(out var s) && IsRowId(s) ? s : NewRowId();
            clean[RowId] = id;
            if (!NormalizeRow(row, clean, ctx)) continue;
            ComputeRow(columns, clean);
            result.Add(clean);
        }
        return result.Count == 0 ? null : result;
    }

    /// <summary>Writes <paramref name="row"/>'s cells into <paramref name="clean"/> as their columns normalise them
    /// (computed columns left out, keys that are not columns kept for the validator); false when no cell has a value.</summary>
    private static bool NormalizeRow(JsonObject row, JsonObject clean, FieldContext ctx)
    {
        var columns = ctx.Settings.Columns ?? [];
        var any = false;
        foreach (var (key, cell) in row)
        {
            if (key == RowId) continue;
            var column = columns.FirstOrDefault(c => c.Key == key);
            if (column is null) { if (cell is not null) { clean[key] = cell.DeepClone(); any = true; } continue; }
            var type = FieldTypeRegistry.Find(column.Type);
            if (type is null || type.IsComputed) continue;
            var normalized = type.Normalize(cell, new FieldContext(column.AsField(), ctx.Entity));
            if (normalized is null) continue;
            clean[key] = normalized;
            any = true;
        }
        return any;
    }

    /// <summary>A row without any value (the server drops it): forms number the rows they show as the server will.</summary>
    public static bool IsBlankRow(JsonObject row, FieldContext ctx) => !NormalizeRow(row, new JsonObject(), ctx);

    /// <summary>A row id: 12 lower-case hex digits (short in the JSON, not a GUID so that it never reads as a reference).</summary>
    public static string NewRowId() => Guid.NewGuid().ToString("N")[..12];

    private static bool IsRowId(string s) => s.Length is > 0 and <= 40 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Computes the row formulas of <paramref name="row"/> in place (a formula may read another formula of the
    /// row; a blank operand gives no value). Forms call it as cells change, the server on every write.</summary>
    public static void ComputeRow(IReadOnlyList<SubformColumn> columns, JsonObject row)
    {
        var formulas = new List<(SubformColumn Column, FormulaExpression Expression)>();
        foreach (var column in columns.Where(c => c.Type == FieldTypes.Formula))
        {
            row.Remove(column.Key);
            if (string.IsNullOrWhiteSpace(column.Settings.Expression)) continue;
            try { formulas.Add((column, FormulaExpression.Parse(column.Settings.Expression))); }
            catch (FormatException) { }
        }
        var done = new HashSet<string>(StringComparer.Ordinal);
        for (var pass = 0; pass < formulas.Count && done.Count < formulas.Count; pass++)
        {
            foreach (var (column, expression) in formulas)
            {
                if (done.Contains(column.Key) || expression.References.Any(r => r != column.Key && !done.Contains(r) && formulas.Any(f => f.Column.Key == r))) continue;
                var result = expression.Evaluate(r => r == column.Key ? null : JsonNumbers.AsDecimal(row[r]));
                if (result is { } d) row[column.Key] = JsonValue.Create(Math.Round(d, Math.Clamp(column.Settings.Decimals ?? 2, 0, 10), MidpointRounding.AwayFromZero));
                done.Add(column.Key);
            }
        }
    }

    /// <summary>The values of one column over the rows (blank cells as null), for <c>SUM(subform.column)</c> and footers.</summary>
    public static IReadOnlyList<decimal?> ColumnValues(JsonNode? value, string column)
        => value is JsonArray rows ? rows.Select(r => r is JsonObject o ? JsonNumbers.AsDecimal(o[column]) : null).ToList() : [];

    public override IEnumerable<Guid> ReferencedIds(JsonNode? value)
    {
        if (value is not JsonArray rows) yield break;
        foreach (var row in rows.OfType<JsonObject>())
            foreach (var (key, cell) in row)
                if (key != RowId && cell is JsonValue v && v.TryGetValue<string>(out var s) && s.Length == 36 && Guid.TryParse(s, out var id))
                    yield return id;
    }

    /// <summary>The rows as one line of text, for exports, the timeline and searches: each row's cells as their
    /// columns show them, joined by " × " between the first two cells when the second is a number ("产品A × 2"), by
    /// ", " otherwise, rows joined by "; ".</summary>
    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
    {
        if (value is not JsonArray rows) return base.Display(value, ctx, dc);
        return string.Join("; ", rows.OfType<JsonObject>().Select(r => RowText(r, ctx, dc)));
    }

    /// <summary>One row as text: its non-empty cells as their columns show them, ", " between them.</summary>
    public static string RowText(JsonObject row, FieldContext ctx, DisplayContext dc)
    {
        var parts = new List<string>();
        foreach (var column in ctx.Settings.Columns ?? [])
        {
            if (row[column.Key] is not { } cell || FieldTypeRegistry.Find(column.Type) is not { } type) continue;
            var text = type.Display(cell, new FieldContext(column.AsField(), ctx.Entity), dc);
            if (text.Length > 0) parts.Add(text);
        }
        return string.Join(", ", parts);
    }

    /// <summary>The row count: "3 行" / "3 rows" (<c>Subform.RowCount</c>).</summary>
    public static string CountText(JsonNode? value, DisplayContext dc)
        => string.Format(dc.Culture, dc.T("Subform.RowCount"), value is JsonArray rows ? rows.Count : 0);

    /// <summary>The timeline tells the row counts and what happened to rows: "2 rows" → "3 rows (1 added, 0 removed, 1 changed)".</summary>
    public override (string Old, string New) DisplayChange(JsonNode? old, JsonNode? @new, FieldContext ctx, DisplayContext dc)
    {
        var (added, removed, changed) = Compare(old, @new);
        var summary = string.Format(dc.Culture, dc.T("Subform.Changes"), added, removed, changed);
        return (old is null ? "" : CountText(old, dc), $"{CountText(@new, dc)} ({summary})");
    }

    /// <summary>What changed between two row lists, for the timeline: rows added, removed and changed (by row id).</summary>
    public static (int Added, int Removed, int Changed) Compare(JsonNode? before, JsonNode? after)
    {
        static Dictionary<string, JsonObject> ById(JsonNode? n) => (n as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select((r, i) => (Id: r[RowId] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "#" + i, Row: r))
            .GroupBy(x => x.Id).ToDictionary(g => g.Key, g => g.First().Row);
        var a = ById(before);
        var b = ById(after);
        var added = b.Keys.Count(k => !a.ContainsKey(k));
        var removed = a.Keys.Count(k => !b.ContainsKey(k));
        var changed = b.Count(kv => a.TryGetValue(kv.Key, out var old) && !JsonNode.DeepEquals(old, kv.Value));
        return (added, removed, changed);
    }

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        var s = ctx.Settings;
        string F(string key, params object[] args) => string.Format(CultureInfo.CurrentCulture, t(key), args);
        if (s.MinRows is < 0) errors.Add(path + "/minRows", t("Settings.MinRows"));
        if (s.MaxRows is < 1 or > RowLimit) errors.Add(path + "/maxRows", F("Settings.MaxRows", RowLimit));
        if (s.MinRows is { } min && s.MaxRows is { } max && min > max) errors.Add(path + "/maxRows", t("Settings.MinAboveMax"));
        var columns = s.Columns ?? [];
        if (columns.Count == 0) { errors.Add(path + "/columns", t("Settings.ColumnsRequired")); return; }
        if (columns.Count > ColumnLimit) errors.Add(path + "/columns", F("Settings.ColumnsTooMany", ColumnLimit));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            var column = columns[i];
            var at = $"{path}/columns/{i}";
            var name = column.Label.Get() is { Length: > 0 } l ? l : column.Key;
            if (!MetadataKeys.IsValid(column.Key)) errors.Add(at + "/key", F("Settings.ColumnKey", name));
            else if (!seen.Add(column.Key)) errors.Add(at + "/key", F("Settings.ColumnKeyTaken", name, column.Key));
            if (string.IsNullOrWhiteSpace(column.Label.ZhCn) && string.IsNullOrWhiteSpace(column.Label.En)) errors.Add(at + "/label", F("Settings.ColumnLabel", column.Key));
            if (!ColumnTypes.Contains(column.Type)) { errors.Add(at + "/type", F("Settings.ColumnType", name, column.Type)); continue; }
            if (column.Type == FieldTypes.Select && (column.Settings.Options ?? []).Count == 0) errors.Add(at + "/options", F("Settings.ColumnOptions", name));
            if (column.Type == FieldTypes.Lookup && ctx.Metadata.Entity(column.Settings.Target ?? "") is null) errors.Add(at + "/target", F("Settings.ColumnTarget", name));
            else if (column.Type == FieldTypes.Lookup && ctx.Metadata.Entity(column.Settings.Target!) is { } target)
            {
                // A lookup column fills columns of its own row (数据联动 in line items); each problem names the column.
                if (column.Settings.PickFilter is { Count: > 0 } || column.Settings.ShowFields is { Count: > 0 })
                    errors.Add(at + (column.Settings.PickFilter is { Count: > 0 } ? "/pickFilter" : "/showFields"), F("Settings.ColumnLinkOnlyFill", name));
                foreach (var p in LinkedFields.Check(column.AsField(), ctx.Entity, target, LinkedFields.RowFields(s)))
                    errors.Add($"{at}/{p.Setting}", F("Settings.ColumnLink", name, string.Format(CultureInfo.CurrentCulture, t("Settings.Link." + p.Kind), p.Subject, p.Other)));
            }
            if (column.Type == FieldTypes.Formula)
            {
                if (string.IsNullOrWhiteSpace(column.Settings.Expression)) { errors.Add(at + "/expression", F("Settings.ColumnExpression", name)); continue; }
                try
                {
                    foreach (var reference in FormulaExpression.Parse(column.Settings.Expression).References)
                        if (reference == column.Key || columns.FirstOrDefault(c => c.Key == reference) is not { } other || !IsNumericColumn(other))
                            errors.Add(at + "/expression", F("Settings.ColumnExpressionReference", name, reference));
                }
                catch (FormatException e) { errors.Add(at + "/expression", F("Settings.ColumnExpressionSyntax", name, e.Message)); continue; }
                var cycle = FormulaField.Cycle(column.Key, key => columns.FirstOrDefault(c => c.Key == key && c.Type == FieldTypes.Formula)?.Settings.Expression);
                if (cycle is not null) errors.Add(at + "/expression", F("Settings.FormulaCycle", string.Join(" → ", cycle)));
            }
            else if (column.Settings.Min is { } lo && column.Settings.Max is { } hi && lo > hi) errors.Add(at + "/max", F("Settings.ColumnMinAboveMax", name));
            if (column.Settings.Total is { } total)
            {
                if (!Totals.Contains(total)) errors.Add(at + "/total", F("Settings.ColumnTotal", name, total));
                else if (!IsNumericColumn(column)) errors.Add(at + "/total", F("Settings.ColumnTotalNotNumeric", name));
            }
        }
    }

    /// <summary>No conversion into or out of a subform: rows do not become one value, nor one value rows.</summary>
    public override IReadOnlyList<string> ConversionTargets => [];

    public override bool TryConvertFrom(FieldContext from, JsonNode? value, FieldContext to, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return true;
        if (from.Type.Name != Name) return false;
        converted = value.DeepClone();
        return true;
    }
}
