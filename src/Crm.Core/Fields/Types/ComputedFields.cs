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
/// A number computed from other numeric fields and the stage's win probability, e.g.
/// <c>amount * stage.probability / 100</c> or <c>(revenue - cost) / cost * 100</c>. Computed on every write.
/// </summary>
public sealed class FormulaField : NumberField
{
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
    public override IReadOnlyList<string> SettingNames => ["Expression", "Format", "Decimals"];
    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.Number };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => ValueChecks.Number(!required);

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        if (string.IsNullOrWhiteSpace(ctx.Settings.Expression)) { errors.Add(path + "/expression", t("Settings.ExpressionRequired")); return; }
        if (ctx.Settings.Format is not (null or "number" or "money" or "percent")) errors.Add(path + "/format", t("Settings.Format"));
        try
        {
            var expr = FormulaExpression.Parse(ctx.Settings.Expression);
            foreach (var reference in expr.References)
            {
                if (reference == FormulaExpression.StageProbability) continue;
                if (FormulaExpression.FieldOf(reference) != reference)
                {
                    // subform.column: a numeric column of a subform, read as a list by a function (SUM).
                    if (!IsSubformColumn(ctx.Entity, reference) || !expr.ListReferences.Contains(reference))
                        errors.Add(path + "/expression", string.Format(CultureInfo.CurrentCulture, t("Settings.ExpressionReference"), reference));
                    continue;
                }
                var field = ctx.Entity.Field(reference);
                if (field is null || field.Key == ctx.Field.Key || !FieldTypeRegistry.Get(field.Type).IsNumeric)
                    errors.Add(path + "/expression", string.Format(CultureInfo.CurrentCulture, t("Settings.ExpressionReference"), reference));
            }
        }
        catch (FormatException e)
        {
            errors.Add(path + "/expression", string.Format(CultureInfo.CurrentCulture, t("Settings.ExpressionSyntax"), e.Message));
            return;
        }
        var cycle = Cycle(ctx.Field.Key, key => ctx.Entity.Field(key) is { Type: FieldTypes.Formula } f ? f.Settings.Expression : null);
        if (cycle is not null) errors.Add(path + "/expression", string.Format(CultureInfo.CurrentCulture, t("Settings.FormulaCycle"), string.Join(" → ", cycle)));
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
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var chain = new List<string> { start };
        bool Visit(string key)
        {
            IReadOnlyCollection<string> references;
            try { references = expressionOf(key) is { } e ? FormulaExpression.Parse(e).References : []; }
            catch (FormatException) { return false; }
            foreach (var next in references.Where(r => r != FormulaExpression.StageProbability && r != key))
            {
                chain.Add(next);
                if (next == start) return true;
                if (visited.Add(next) && Visit(next)) return true;
                chain.RemoveAt(chain.Count - 1);
            }
            return false;
        }
        return Visit(start) ? chain : null;
    }

    protected override string Format(decimal d, FieldContext ctx, CultureInfo culture) => ctx.Settings.Format switch
    {
        "money" => MoneyField.CurrencySymbol(ctx.Settings.Currency) + d.ToString("N2", culture),
        "percent" => d.ToString("0.##", culture) + "%",
        _ => d.ToString(ctx.Settings.Decimals is { } p ? "N" + Math.Clamp(p, 0, 10) : "#,##0.##", culture),
    };
}
