using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Records;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>
/// A number the server assigns on create: prefix + zero-padded sequence (OPP-00042), or a serial pattern with date
/// parts and a reset period (HT-20261203-0001, counting from 1 again each day). Read-only.
/// </summary>
public sealed class AutoNumberField : FieldType
{
    public override string Name => FieldTypes.AutoNumber;
    public override IReadOnlyList<string> Bindings => [FieldBindings.Title];
    public override IReadOnlyList<string> ConversionTargets => [FieldTypes.Text, FieldTypes.LongText];
    public override Metadata.FieldSettings NewSettings() => new() { Digits = 5 };
    public override FieldValueKind ValueKind => FieldValueKind.Text;
    public override bool IsComputed => true;
    public override bool NumbersRecords => true;
    public override bool IsSearchable => true;
    public override IReadOnlyList<string> SettingNames => ["Prefix", "Digits", "SerialPattern"];
    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => ValueChecks.String(!required, required);

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        if ((ctx.Settings.Prefix ?? "").Length > 20) errors.Add(path + "/prefix", t("Settings.Prefix"));
        if (ctx.Settings.Digits is < 1 or > 12) errors.Add(path + "/digits", t("Settings.Digits"));
        if (ctx.Settings.SerialPattern is { } pattern)
        {
            var problem = SerialPattern.Check(pattern, ctx.Settings.SerialReset);
            if (problem == SerialPatternProblem.UnknownReset) errors.Add(path + "/serialReset", t("Settings.SerialReset"));
            else if (problem != SerialPatternProblem.None) errors.Add(path + "/serialPattern", SerialProblemText(problem, t));
        }
        else if (ctx.Settings.SerialReset is { } reset && reset != SerialReset.Never) errors.Add(path + "/serialReset", t("Settings.SerialResetWithoutPattern"));
    }

    /// <summary>The resource key of the message for a pattern's problem (shared with the template checker; the
    /// too-long message takes <see cref="SerialPattern.MaxLength"/>).</summary>
    public static string SerialProblemKey(SerialPatternProblem problem) => problem switch
    {
        SerialPatternProblem.TooLong => "Settings.SerialPatternTooLong",
        SerialPatternProblem.NumberPart => "Settings.SerialPatternNumber",
        SerialPatternProblem.ResetWithoutDate => "Settings.SerialPatternResetDate",
        SerialPatternProblem.UnknownReset => "Settings.SerialReset",
        _ => "Settings.SerialPatternPart",
    };

    private static string SerialProblemText(SerialPatternProblem problem, Func<string, string> t)
        => string.Format(CultureInfo.CurrentCulture, t(SerialProblemKey(problem)), SerialPattern.MaxLength);

    /// <summary>The key of the sequence counter a record created on <paramref name="localDay"/> takes its number from.</summary>
    public static string CounterKey(FieldContext ctx, DateTime localDay)
        => ctx.Settings.SerialPattern is null ? ctx.Field.Key : SerialPattern.CounterKey(ctx.Field.Key, ctx.Settings.SerialReset, localDay);

    /// <summary>The number as the field writes it; <paramref name="localDay"/> is the creation day in the workspace's time zone.</summary>
    public static string Format(FieldContext ctx, long number, DateTime localDay)
        => ctx.Settings.SerialPattern is { } pattern && SerialPattern.TryParse(pattern, out var parsed) == SerialPatternProblem.None
            ? parsed!.Format(number, localDay)
            : (ctx.Settings.Prefix ?? "") + number.ToString(CultureInfo.InvariantCulture).PadLeft(ctx.Settings.Digits ?? 5, '0');
}

/// <summary>
/// A value computed from other fields by an expression (<see cref="FormulaExpression"/>): a number by default
/// (<c>amount * stage.probability / 100</c>), or text, a date or a boolean (<see cref="FieldSettings.ResultType"/>).
/// Computed on every write and stored, so lists filter, sort and group on it as a value of its result type.
/// </summary>
public sealed class FormulaField : NumberField
{
    /// <summary>The result types a formula field may have; number is the default (null in settings).</summary>
    public static readonly IReadOnlyList<string> ResultTypes = ["number", "text", "date", "boolean"];

    public override string Name => FieldTypes.Formula;
    public override IReadOnlyList<string> Bindings => [FieldBindings.Amount];
    public override Metadata.FieldSettings NewSettings() => new() { Format = "number" };
    public override NumberFormat NumberFormat(Metadata.FieldSettings settings) => settings.Format switch
    {
        "money" => Fields.NumberFormat.Money,
        "percent" => Fields.NumberFormat.Percent,
        _ => Fields.NumberFormat.Number,
    };
    public override bool IsComputed => true;
    public override bool ReadsOtherFields => true;
    public override IReadOnlyList<string> SettingNames => ["Expression", "Format", "Decimals", "ResultType"];

    /// <summary>The formula's result type from its settings (unknown values read as number; the settings check refuses them).</summary>
    public static FormulaType ResultOf(Metadata.FieldSettings settings) => settings.ResultType switch
    {
        "text" => FormulaType.Text,
        "date" => FormulaType.Date,
        "boolean" => FormulaType.Boolean,
        _ => FormulaType.Number,
    };

    public override bool IsNumericFor(Metadata.FieldSettings settings) => ResultOf(settings) == FormulaType.Number;

    public override FieldValueKind KindOf(Metadata.FieldSettings settings) => ResultOf(settings) switch
    {
        FormulaType.Text => FieldValueKind.Text,
        FormulaType.Date => FieldValueKind.Date,
        FormulaType.Boolean => FieldValueKind.Boolean,
        _ => FieldValueKind.Number,
    };

    public override JsonSchema BuildSchema(FieldContext ctx) => ResultOf(ctx.Settings) switch
    {
        FormulaType.Text => new() { Type = JsonObjectType.String },
        FormulaType.Date => new() { Type = JsonObjectType.String, Format = JsonFormatStrings.Date },
        FormulaType.Boolean => new() { Type = JsonObjectType.Boolean },
        _ => new() { Type = JsonObjectType.Number },
    };

    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => ResultOf(ctx.Settings) switch
    {
        FormulaType.Text or FormulaType.Date => ValueChecks.String(!required, false),
        FormulaType.Boolean => ValueChecks.Boolean(!required),
        _ => ValueChecks.Number(!required),
    };

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc) => ResultOf(ctx.Settings) switch
    {
        FormulaType.Text => value is JsonValue v && v.TryGetValue<string>(out var s) ? s : "",
        FormulaType.Date => value is JsonValue v && v.TryGetValue<string>(out var s)
            && DateOnly.TryParseExact(s, DateField.Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? d.ToString(dc.Culture.Name.StartsWith("zh") ? "yyyy-MM-dd" : "d MMM yyyy", dc.Culture) : "",
        FormulaType.Boolean => value is JsonValue v && v.TryGetValue<bool>(out var b) ? dc.T(b ? "Value.Yes" : "Value.No") : "",
        _ => base.Display(value, ctx, dc),
    };

    /// <summary>The formula's value as stored in the record JSON (number rounded to the field's decimals, date "yyyy-MM-dd"), null when blank.</summary>
    public static JsonNode? Store(object? result, Metadata.FieldSettings settings, int defaultDecimals = 2) => (ResultOf(settings), result) switch
    {
        (FormulaType.Number, decimal d) => JsonValue.Create(Math.Round(d, Math.Clamp(settings.Decimals ?? defaultDecimals, 0, 10), MidpointRounding.AwayFromZero)),
        (FormulaType.Text, string s) => s.Length == 0 ? null : JsonValue.Create(s.Length > 2000 ? s[..2000] : s),
        (FormulaType.Date, DateOnly d) => JsonValue.Create(d.ToString(DateField.Format, CultureInfo.InvariantCulture)),
        (FormulaType.Boolean, bool b) => JsonValue.Create(b),
        _ => null,
    };

    /// <summary>A stored value as the formula language reads it: by the field's value kind (a select or stage reads its key).</summary>
    public static object? Read(JsonNode? node, FieldValueKind kind)
    {
        if (node is not JsonValue v) return null;
        switch (kind)
        {
            case FieldValueKind.Number: return JsonNumbers.AsDecimal(v);
            case FieldValueKind.Boolean: return v.TryGetValue<bool>(out var b) ? b : null;
            case FieldValueKind.Date:
            case FieldValueKind.DateTime:
                return v.TryGetValue<string>(out var ds) && ds.Length >= 10
                    && DateOnly.TryParseExact(ds[..10], DateField.Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
            case FieldValueKind.Text:
            case FieldValueKind.Choice:
                return v.TryGetValue<string>(out var s) ? s : null;
            default: return null;
        }
    }

    /// <summary>The formula type of a field's values, or null when a formula cannot read it (lookups, members, lists, subforms).</summary>
    public static FormulaType? TypeOfField(string type, Metadata.FieldSettings settings) => FieldTypeRegistry.Find(type)?.KindOf(settings) switch
    {
        FieldValueKind.Number => FormulaType.Number,
        FieldValueKind.Text or FieldValueKind.Choice => FormulaType.Text,
        FieldValueKind.Date or FieldValueKind.DateTime => FormulaType.Date,
        FieldValueKind.Boolean => FormulaType.Boolean,
        _ => null,
    };

    /// <summary>
    /// What a formula of field <paramref name="self"/> on entity type <paramref name="entity"/> may read, from
    /// <paramref name="field"/> (entity key, field key → the field's type and settings, or null). Used by the
    /// designer (the workspace's metadata) and the template checker (the template over the workspace).
    /// </summary>
    public static FormulaSchema SchemaFor(string entity, string? self, Func<string, string, (string Type, Metadata.FieldSettings Settings)?> field, bool rollups = true)
    {
        FormulaType? Scalar(string reference)
        {
            if (reference == FormulaExpression.StageProbability) return FormulaType.Number;
            var dot = reference.IndexOf('.');
            if (dot < 0)
                return reference != self && field(entity, reference) is { } f ? TypeOfField(f.Type, f.Settings) : null;
            // lookup.field: a field of the looked-up record (not a formula of it that reads further records).
            if (field(entity, reference[..dot]) is not { Type: FieldTypes.Lookup } lookup || lookup.Settings.Target is not { } target) return null;
            return field(target, reference[(dot + 1)..]) is { } tf ? TypeOfField(tf.Type, tf.Settings) : null;
        }
        FormulaType? List(string reference)
        {
            var dot = reference.IndexOf('.');
            if (dot < 1 || field(entity, reference[..dot]) is not { Type: FieldTypes.Subform } sub) return null;
            return sub.Settings.Columns?.FirstOrDefault(c => c.Key == reference[(dot + 1)..]) is { } column && SubformField.IsNumericColumn(column) ? FormulaType.Number : null;
        }
        FormulaSchema? Related(string child, string lookup)
            => rollups && field(child, lookup) is { Type: FieldTypes.Lookup } l && l.Settings.Target == entity ? SchemaFor(child, null, field, rollups: false) : null;
        return new FormulaSchema(Scalar, List, Related);
    }

    /// <summary>A metadata-backed field resolver for <see cref="SchemaFor"/>.</summary>
    public static Func<string, string, (string Type, Metadata.FieldSettings Settings)?> FieldsOf(Metadata.TenantMetadata metadata, Metadata.EntityMeta? current = null)
        => (entity, key) => (current is not null && current.Entity.Key == entity ? current : metadata.Entity(entity))?.Field(key) is { } f ? (f.Type, f.Settings) : null;

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        if (string.IsNullOrWhiteSpace(ctx.Settings.Expression)) { errors.Add(path + "/expression", t("Settings.ExpressionRequired")); return; }
        if (ctx.Settings.Format is not (null or "number" or "money" or "percent")) errors.Add(path + "/format", t("Settings.Format"));
        if (ctx.Settings.ResultType is { } rt && !ResultTypes.Contains(rt)) errors.Add(path + "/resultType", t("Settings.ResultType"));
        // The amount binding feeds boards and reports with a number.
        else if (ctx.Settings.ResultType is not (null or "number") && ctx.Entity.AmountField?.Key == ctx.Field.Key) errors.Add(path + "/resultType", t("Settings.ResultTypeBound"));
        var fields = FieldsOf(ctx.Metadata, ctx.Entity);
        var problems = CheckExpression(ctx.Entity.Entity.Key, ctx.Field.Key, ctx.Settings, fields);
        foreach (var problem in problems) errors.Add(path + "/expression", Message(problem, t));
        if (problems.Count > 0) return;
        var cycle = CycleAcross(ctx.Entity.Entity.Key, ctx.Field.Key, fields);
        if (cycle is not null) errors.Add(path + "/expression", string.Format(CultureInfo.CurrentCulture, t("Settings.FormulaCycle"), string.Join(" → ", cycle)));
    }

    /// <summary>A formula's problem: the resource key and its arguments (the English detail, the position).</summary>
    public sealed record Problem(string Key, params object[] Arguments);

    public static string Message(Problem problem, Func<string, string> t) => string.Format(CultureInfo.CurrentCulture, t(problem.Key), problem.Arguments);

    /// <summary>
    /// Parses and type-checks a formula of field <paramref name="self"/> (or a row formula): null when it is fine,
    /// else the problem — a syntax or type error with its position, or a result that is not the field's result type.
    /// </summary>
    public static IReadOnlyList<Problem> CheckExpression(string entity, string self, Metadata.FieldSettings settings, Func<string, string, (string Type, Metadata.FieldSettings Settings)?> fields)
    {
        FormulaExpression expr;
        try { expr = FormulaExpression.Parse(settings.Expression ?? ""); }
        catch (FormatException e) { return [new Problem("Settings.ExpressionSyntax", e.Message)]; }
        var schema = SchemaFor(entity, self, fields);
        // Every name it cannot read, all at once (then the types, first problem only).
        var unknown = expr.References
            .Where(r => (expr.ListReferences.Contains(r) ? schema.List(r) ?? schema.Scalar(r) : schema.Scalar(r)) is null)
            .Select(r => new Problem("Settings.ExpressionReference", r)).ToList();
        if (unknown.Count > 0) return unknown;
        FormulaType result;
        try { result = expr.Check(schema); }
        catch (FormulaException e) when (e.Name is { } name) { return [new Problem("Settings.ExpressionReference", name)]; }
        catch (FormulaException e) { return [new Problem("Settings.ExpressionType", e.Message, e.Position)]; }
        var wanted = ResultOf(settings);
        return result == wanted ? [] : [new Problem("Settings.ExpressionResult", result.ToString().ToLowerInvariant(), wanted.ToString().ToLowerInvariant())];
    }

    /// <summary>
    /// The chain by which the formula <paramref name="key"/> of <paramref name="entity"/> depends on itself, across
    /// entity types: through other formulas, through a looked-up record's formula (<c>customer.score</c>) and through
    /// roll-ups of related records (<c>ROLLUP_SUM(deal.customer, weighted)</c>). Names of other entity types are
    /// written <c>entity.field</c>. Null when there is none.
    /// </summary>
    public static IReadOnlyList<string>? CycleAcross(string entity, string key, Func<string, string, (string Type, Metadata.FieldSettings Settings)?> field)
    {
        IEnumerable<string> Next(string node)
        {
            var colon = node.IndexOf(':');
            var (e, k) = (node[..colon], node[(colon + 1)..]);
            if (field(e, k) is not { Type: FieldTypes.Formula } f || string.IsNullOrWhiteSpace(f.Settings.Expression)) yield break;
            FormulaExpression expr;
            try { expr = FormulaExpression.Parse(f.Settings.Expression); }
            catch (FormatException) { yield break; }
            foreach (var r in expr.References)
            {
                if (r == FormulaExpression.StageProbability) continue;
                var dot = r.IndexOf('.');
                if (dot < 0) { yield return e + ":" + r; continue; }
                if (field(e, r[..dot]) is { Type: FieldTypes.Lookup } l && l.Settings.Target is { } target) yield return target + ":" + r[(dot + 1)..];
            }
            foreach (var rollup in expr.Rollups)
                foreach (var r in rollup.References)
                    yield return rollup.Entity + ":" + r;
        }
        var start = entity + ":" + key;
        var chain = CycleOf(start, Next);
        return chain?.Select(n => n.StartsWith(entity + ":", StringComparison.Ordinal) ? n[(entity.Length + 1)..] : n.Replace(':', '.')).ToList();
    }

    /// <summary>A path from <paramref name="start"/> back to itself in the graph <paramref name="next"/>, or null.</summary>
    public static IReadOnlyList<string>? CycleOf(string start, Func<string, IEnumerable<string>> next)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var chain = new List<string> { start };
        bool Visit(string node)
        {
            foreach (var n in next(node).Where(n => n != node).Distinct().ToList())
            {
                chain.Add(n);
                if (n == start) return true;
                if (visited.Add(n) && Visit(n)) return true;
                chain.RemoveAt(chain.Count - 1);
            }
            return false;
        }
        return Visit(start) ? chain : null;
    }

    /// <summary>True when <paramref name="reference"/> is "subform.column" naming a numeric column of a subform field.</summary>
    public static bool IsSubformColumn(Metadata.EntityMeta entity, string reference)
    {
        var dot = reference.IndexOf('.');
        return dot > 0 && entity.Field(reference[..dot]) is { Type: FieldTypes.Subform } sub
            && sub.Settings.Columns?.FirstOrDefault(c => c.Key == reference[(dot + 1)..]) is { } column && SubformField.IsNumericColumn(column);
    }

    /// <summary>
    /// The chain of formulas by which <paramref name="start"/> depends on itself ("a", "b", "a"), or null.
    /// Such formulas could never be computed and would stay empty forever. <paramref name="expressionOf"/>
    /// gives a field's formula, or null when the field is not a formula.
    /// </summary>
    public static IReadOnlyList<string>? Cycle(string start, Func<string, string?> expressionOf)
        => CycleOf(start, key =>
        {
            try { return expressionOf(key) is { } e ? FormulaExpression.Parse(e).References.Where(r => r != FormulaExpression.StageProbability) : []; }
            catch (FormatException) { return []; }
        });

    protected override string Format(decimal d, FieldContext ctx, CultureInfo culture) => ctx.Settings.Format switch
    {
        "money" => MoneyField.CurrencySymbol(ctx.Settings.Currency) + d.ToString("N2", culture),
        "percent" => d.ToString("0.##", culture) + "%",
        _ => d.ToString(ctx.Settings.Decimals is { } p ? "N" + Math.Clamp(p, 0, 10) : "#,##0.##", culture),
    };
}
