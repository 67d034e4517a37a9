using System.Text.Json.Nodes;
using Crm.Core.Metadata;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>A value that names something by id (a member, a record, a department): shown by its name.</summary>
public abstract class ReferenceFieldBase : FieldType
{
    public override FieldValueKind ValueKind => FieldValueKind.Reference;
    public override bool ShowsNames => true;
    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String, Format = JsonFormatStrings.Guid };
    public override ValueChecker CompileCheck(FieldContext ctx, bool required)
        => ValueChecks.String(!required, required, format: ValueChecks.IsGuid, formatProblem: ValueProblem.Reference);

    public override IEnumerable<Guid> ReferencedIds(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var id) => [id],
        JsonArray a => a.OfType<JsonValue>().Select(n => n.TryGetValue<string>(out var s) && Guid.TryParse(s, out var id) ? id : Guid.Empty).Where(g => g != Guid.Empty),
        _ => [],
    };

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var id) => dc.Name(id) ?? s,
        JsonArray a => string.Join(", ", a.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? (Guid.TryParse(s, out var id) ? dc.Name(id) ?? s : s) : "")),
        _ => base.Display(value, ctx, dc),
    };

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) ? JsonValue.Create(g.ToString()) : base.Normalize(value, ctx);
}

/// <summary>A person of the workspace (owner, assignee). The value is the user id; membership is checked on save.</summary>
public sealed class MemberField : ReferenceFieldBase
{
    public override string Name => FieldTypes.Member;
    public override bool NamesMembers => true;
    public override bool IsGroupable => true;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default"];
    public override IReadOnlyList<string> Bindings => [FieldBindings.Owner];
    public override IReadOnlyList<string> DynamicDefaults => ["$me"];
    public override ReportGrouping Grouping => ReportGrouping.Value;
    public override JsonNode? ResolveDefault(string token, Guid userId, DateTime utcNow) => token == "$me" ? JsonValue.Create(userId.ToString()) : null;
}

/// <summary>A record of another (or the same) entity type, e.g. an opportunity's company. Checked on save.</summary>
public sealed class LookupField : ReferenceFieldBase
{
    public override string Name => FieldTypes.Lookup;
    public override bool LinksRecords => true;
    public override bool IsGroupable => true;
    public override IReadOnlyList<string> SettingNames => ["Required", "Target"];
    public override ReportGrouping Grouping => ReportGrouping.Value;

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        base.ValidateSettings(ctx, errors, path, t);
        if (ctx.Metadata.Entity(ctx.Settings.Target ?? "") is not { } target) { errors.Add(path + "/target", t("Settings.TargetMissing")); return; }
        // Linked fields (fill, pick filter, fields shown): each problem names the field or pair.
        foreach (var p in Records.LinkedFields.Check(ctx.Field, ctx.Entity, target))
            errors.Add(path + "/" + p.Setting, string.Format(System.Globalization.CultureInfo.CurrentCulture, t("Settings.Link." + p.Kind), p.Subject, p.Other));
    }
}

/// <summary>
/// One department of the workspace (部门单选), or several when <see cref="FieldSettings.Multiple"/> is set (部门多选):
/// a department id as a string, or a JSON array of them. The writer checks that they exist. A single department
/// groups reports like a member does; several filter like a multi-select (any of).
/// </summary>
public sealed class DepartmentField : ReferenceFieldBase
{
    public override string Name => FieldTypes.Department;
    public override IReadOnlyList<string> SettingNames => ["Required", "Multiple"];
    public override FieldValueKind KindOf(FieldSettings settings) => settings.Multiple == true ? FieldValueKind.Choices : FieldValueKind.Reference;
    public override ReportGrouping Grouping => ReportGrouping.Value;

    public override JsonSchema BuildSchema(FieldContext ctx)
    {
        var one = new JsonSchema { Type = JsonObjectType.String, Format = JsonFormatStrings.Guid };
        return ctx.Settings.Multiple == true ? new JsonSchema { Type = JsonObjectType.Array, Item = one, UniqueItems = true } : one;
    }

    public override ValueChecker CompileCheck(FieldContext ctx, bool required) => ctx.Settings.Multiple == true
        ? ValueChecks.List(!required, required, ValueChecks.String(nullable: false, nonEmpty: false, format: ValueChecks.IsGuid, formatProblem: ValueProblem.Reference))
        : base.CompileCheck(ctx, required);

    /// <summary>Ids are written in canonical form; a multiple field takes a single id as a list of one and drops
    /// repeats; a single field takes a list of one as that one.</summary>
    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
    {
        static JsonNode? One(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s)
            ? (string.IsNullOrWhiteSpace(s) ? null : Guid.TryParse(s, out var g) ? JsonValue.Create(g.ToString()) : JsonValue.Create(s.Trim()))
            : n?.DeepClone();
        if (ctx.Settings.Multiple == true)
        {
            // Not a switch with "[value]": its type would be JsonArray, which would give the node a second parent.
            IEnumerable<JsonNode?> items = value is JsonArray a ? a : value is null ? Array.Empty<JsonNode?>() : new[] { value };
            var list = items.Select(One).Where(n => n is not null).ToList();
            var distinct = list.DistinctBy(n => n!.ToJsonString()).ToArray();
            return distinct.Length == 0 ? null : new JsonArray(distinct);
        }
        return value is JsonArray { Count: 1 } single ? One(single[0]) : value is JsonArray { Count: 0 } ? null : One(value);
    }
}
