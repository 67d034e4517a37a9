using System.Text.Json.Nodes;
using NJsonSchema;

namespace Crm.Core.Fields.Types;

/// <summary>A person of the workspace (owner, assignee). The value is the user id; membership is checked on save.</summary>
public sealed class MemberField : FieldType
{
    public override string Name => "member";
    public override FieldValueKind ValueKind => FieldValueKind.Reference;
    public override bool IsGroupable => true;
    public override IReadOnlyList<string> SettingNames => ["Required", "Default"];
    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String, Format = JsonFormatStrings.Guid };

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var id) ? dc.Name(id) ?? s : base.Display(value, ctx, dc);

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) ? JsonValue.Create(g.ToString()) : base.Normalize(value, ctx);
}

/// <summary>A record of another (or the same) entity type, e.g. an opportunity's company. Checked on save.</summary>
public sealed class LookupField : FieldType
{
    public override string Name => "lookup";
    public override FieldValueKind ValueKind => FieldValueKind.Reference;
    public override bool IsGroupable => true;
    public override IReadOnlyList<string> SettingNames => ["Required", "Target"];
    public override JsonSchema BuildSchema(FieldContext ctx) => new() { Type = JsonObjectType.String, Format = JsonFormatStrings.Guid };

    public override void ValidateSettings(FieldContext ctx, Accounts.ValidationErrors errors, string path, Func<string, string> t)
    {
        base.ValidateSettings(ctx, errors, path, t);
        if (ctx.Metadata.Entity(ctx.Settings.Target ?? "") is null) errors.Add(path + "/target", t("Settings.TargetMissing"));
    }

    public override string Display(JsonNode? value, FieldContext ctx, DisplayContext dc)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var id) ? dc.Name(id) ?? s : base.Display(value, ctx, dc);

    public override JsonNode? Normalize(JsonNode? value, FieldContext ctx)
        => value is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) ? JsonValue.Create(g.ToString()) : base.Normalize(value, ctx);
}
