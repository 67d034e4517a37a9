using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Design;

/// <summary>A field's new type and the settings it gets (options for a select, a currency for money …).</summary>
public sealed record TypeChangeRequest(string EntityKey, string FieldKey, string NewType, FieldSettings Settings);

public sealed record ValueCount(string Value, int Count);

/// <summary>
/// What a type change would do to the stored values: of the records with a value, how many convert and how many
/// do not (those are kept aside, readable, never deleted), how many values kept aside by an earlier change would
/// come back, and examples of values that do not convert.
/// </summary>
public sealed record TypeChangePreview(ValidationErrors Errors, int WithValue = 0, int Converted = 0, int NotConverted = 0, int Restored = 0, IReadOnlyList<ValueCount>? NotConvertedExamples = null)
{
    public bool Succeeded => Errors.IsEmpty;
}

/// <summary>
/// Changes a field's type where values convert (text → single select, number → money, date → date and time …).
/// The preview decides per distinct stored value in SQL (GROUP BY the value's text), so it never loads the records.
/// Applying converts the records in batches inside one transaction: converted values are written; a value that does
/// not convert is removed from the field and kept under the record's reserved "_unconverted" key, where the record
/// form shows it read-only; values kept aside earlier come back when they convert to the new type.
/// </summary>
public sealed class FieldTypeChanger(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock, RecordValidator validator, AuditTrail audit)
{
    public const string UnconvertedKey = "_unconverted";

    /// <summary>The types a field of <paramref name="from"/> may become (values of these convert, at least in part):
    /// the type's own <see cref="FieldType.ConversionTargets"/>.</summary>
    public static IReadOnlyList<string> TargetsFor(string from)
        => (FieldTypeRegistry.Find(from)?.ConversionTargets ?? []).Where(x => x != from && FieldTypeRegistry.Find(x) is { IsComputed: false }).Distinct().ToList();

    public static bool CanChange(string from, string to) => TargetsFor(from).Contains(to);

    private string T(string key, params object[] args) => args.Length == 0 ? t[key] : t[key, args];

    public async Task<TypeChangePreview> PreviewAsync(Actor actor, TypeChangeRequest request, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var plan = Prepare(metadata, request);
        if (!plan.Errors.IsEmpty) return new TypeChangePreview(plan.Errors);

        var key = request.FieldKey;
        var id = plan.From.Entity.Entity.Id;
        var groups = await db.Records.AsNoTracking()
            .Where(r => r.EntityTypeId == id && JsonSql.Text(r.Values, EF.Constant(key)) != null)
            .GroupBy(r => JsonSql.Text(r.Values, EF.Constant(key)))
            .Select(g => new { Value = g.Key!, Count = g.Count() })
            .ToListAsync(ct);
        int withValue = 0, converted = 0;
        var failed = new List<ValueCount>();
        foreach (var g in groups)
        {
            withValue += g.Count;
            if (Convert(plan, FromSqlText(plan.From.Type.ValueKind, g.Value), out _)) converted += g.Count;
            else failed.Add(new ValueCount(g.Value, g.Count));
        }
        var restored = 0;
        foreach (var kept in await KeptAsideAsync(db, id, key, ct))
            if (JsonNode.Parse(kept) is JsonObject o && o[key] is { } value && Restore(plan, value, out _)) restored++;
        return new TypeChangePreview(plan.Errors, withValue, converted, withValue - converted, restored,
            failed.OrderByDescending(f => f.Count).ThenBy(f => f.Value, StringComparer.Ordinal).Take(10).ToList());
    }

    public async Task<DesignResult> ApplyAsync(Actor actor, TypeChangeRequest request, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var current = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, ct), ct);
        var plan = Prepare(current, request);
        if (!plan.Errors.IsEmpty) return new DesignResult(plan.Errors);

        var entityId = plan.From.Entity.Entity.Id;
        var key = request.FieldKey;
        var field = await db.Fields.FirstAsync(f => f.EntityTypeId == entityId && f.Key == key, ct);
        field.Type = request.NewType;
        field.Settings = plan.To.Settings;
        field.UpdatedAt = now;
        var entity = await db.EntityTypes.FirstAsync(e => e.Id == entityId, ct);
        entity.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await MetadataStore.BumpVersionAsync(db, ct);

        var updated = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, ct), ct);
        var to = updated.Entity(entityId)!;
        plan = plan with { To = new FieldContext(to.Field(key)!, to) };
        var rewriter = new RecordRewriter(db, updated, actor, t, now);
        var records = db.Records.Where(r => r.EntityTypeId == entityId
            && (JsonSql.Text(r.Values, EF.Constant(key)) != null || JsonSql.Text(r.Values, EF.Constant(UnconvertedKey)) != null));
        var changed = await rewriter.RewriteAsync(records, (_, values) => ConvertRecord(plan, key, values), ct);
        if (!plan.To.Settings.Unique) await UniqueValueIndex.DropAsync(db, entityId, key, ct);
        audit.Stage(db, actor, new AuditEvent(AuditActions.FieldTypeChanged, AuditActions.Targets.Field, $"{request.EntityKey}/{key}", field.Label.Get(),
            new JsonObject { ["entity"] = request.EntityKey, ["from"] = plan.From.Field.Type, ["to"] = request.NewType, ["recordsChanged"] = changed }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await metadataStore.WarmAsync(actor.TenantId, ct);
        return DesignResult.Ok(changed);
    }

    /// <summary>The most frequent stored values of a field (to offer them as options of a new select).</summary>
    public async Task<IReadOnlyList<ValueCount>> ExistingValuesAsync(Actor actor, string entityKey, string fieldKey, int take = 50, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity?.Field(fieldKey) is null) return [];
        var id = entity.Entity.Id;
        return await db.Records.AsNoTracking()
            .Where(r => r.EntityTypeId == id && JsonSql.Text(r.Values, EF.Constant(fieldKey)) != null)
            .GroupBy(r => JsonSql.Text(r.Values, EF.Constant(fieldKey)))
            .Select(g => new ValueCount(g.Key!, g.Count()))
            .OrderByDescending(v => v.Count).ThenBy(v => v.Value)
            .Take(Math.Clamp(take, 1, 200))
            .ToListAsync(ct);
    }

    private sealed record Plan(ValidationErrors Errors, FieldContext From, FieldContext To);

    private Plan Prepare(TenantMetadata metadata, TypeChangeRequest request)
    {
        var errors = new ValidationErrors();
        var entity = metadata.Entity(request.EntityKey);
        var field = entity?.Field(request.FieldKey);
        if (entity is null || field is null)
        {
            errors.Add(DesignResult.GeneralKey, T("Design.FieldNotFound", request.FieldKey));
            return new Plan(errors, default!, default!);
        }
        var from = new FieldContext(field, entity);
        var name = field.Label.Get();
        var draft = EntityDraft.From(entity);
        var changed = draft.Field(field.Key)!;
        changed.Type = request.NewType;
        changed.Settings = DesignRules.Clean(request.NewType, request.Settings);
        var toEntity = draft.ToMeta(metadata);
        var to = new FieldContext(toEntity.Field(field.Key)!, toEntity);
        if (FieldTypeRegistry.Find(request.NewType) is null) { errors.Add("type", T("Design.UnknownType", name, request.NewType)); return new Plan(errors, from, to); }
        if (field.Type == request.NewType) errors.Add("type", T("Design.TypeChange.Same", name));
        else if (!CanChange(field.Type, request.NewType))
            errors.Add("type", T("Design.TypeChange.NotAllowed", name, T("Design.TypeName." + field.Type), T("Design.TypeName." + request.NewType)));
        foreach (var binding in draft.BindingsOf(field.Key))
            if (!EntityDraft.BindingTypes(binding).Contains(request.NewType))
                errors.Add("type", T("Design.TypeChange.Bound", name, T("Design.Binding." + binding), T("Design.TypeName." + request.NewType)));
        if (!FieldTypeRegistry.Get(request.NewType).IsNumeric)
            foreach (var formula in entity.AllFields.Where(f => FieldTypeRegistry.Get(f.Type).ReadsOtherFields && !f.IsArchived && ReferencesField(f, field.Key)))
                errors.Add("type", T("Design.TypeChange.UsedByFormula", name, formula.Label.Get()));
        if (!errors.IsEmpty) return new Plan(errors, from, to);

        var own = new ValidationErrors();
        to.Type.ValidateSettings(to, own, "settings", k => t[k]);
        foreach (var (key, messages) in own.ByField)
            foreach (var message in messages) errors.Add(key, $"{name}: {message}");
        var options = to.Settings.Options ?? [];
        for (var i = 0; i < options.Count; i++)
            if (DesignRules.IsEmpty(options[i].Label)) errors.Add($"settings/options/{i}/label", T("Design.OptionLabel", name));
        return new Plan(errors, from, to);
    }

    private static bool ReferencesField(FieldDefinition formula, string key)
    {
        try { return FormulaExpression.Parse(formula.Settings.Expression ?? "").References.Any(r => r == key || FormulaExpression.FieldOf(r) == key); }
        catch (FormatException) { return false; }
    }

    /// <summary>Converts one value; only a value the new field accepts (its schema and rules) counts as converted.</summary>
    private bool Convert(Plan plan, JsonNode? value, out JsonNode? converted)
    {
        converted = null;
        if (value is null) return false;
        if (!plan.To.Type.TryConvertFrom(plan.From, value, plan.To, out converted) || converted is null) return false;
        converted = plan.To.Type.Normalize(converted, plan.To);
        return converted is not null && DesignRules.CheckValue(plan.To.Entity, plan.To.Field, converted, validator) is null;
    }

    /// <summary>A value kept aside earlier comes back when it converts, read as the kind of JSON it is.</summary>
    private bool Restore(Plan plan, JsonNode kept, out JsonNode? converted)
    {
        var type = kept switch
        {
            JsonValue v when v.TryGetValue<bool>(out _) => "bool",
            JsonValue v when v.TryGetValue<decimal>(out _) => "number",
            JsonValue => "longtext",
            _ => "multiselect",
        };
        var source = new FieldContext(new FieldDefinition { Key = plan.From.Field.Key, Type = type }, plan.From.Entity);
        return Convert(plan with { From = source }, kept, out converted);
    }

    private bool ConvertRecord(Plan plan, string key, JsonObject values)
    {
        var value = values[key];
        var kept = values[UnconvertedKey] as JsonObject;
        if (value is not null)
        {
            if (Convert(plan, value, out var converted))
            {
                if (JsonNode.DeepEquals(converted, value)) return false;
                values[key] = converted;
                return true;
            }
            values.Remove(key);
            if (kept is null) values[UnconvertedKey] = kept = new JsonObject();
            // Never lose a value: one kept aside before stays, with the new one after it.
            kept[key] = kept[key] is { } earlier ? new JsonArray(earlier.DeepClone(), value.DeepClone()) : value.DeepClone();
            return true;
        }
        if (kept?[key] is { } aside && Restore(plan, aside, out var restored))
        {
            values[key] = restored;
            kept.Remove(key);
            if (kept.Count == 0) values.Remove(UnconvertedKey);
            return true;
        }
        return false;
    }

    /// <summary>The "_unconverted" objects of records with no value in the field (few: earlier changes' leftovers).</summary>
    private static Task<List<string>> KeptAsideAsync(CrmDbContext db, Guid entityTypeId, string key, CancellationToken ct)
        => db.Records.AsNoTracking()
            .Where(r => r.EntityTypeId == entityTypeId && JsonSql.Text(r.Values, EF.Constant(key)) == null && JsonSql.Text(r.Values, EF.Constant(UnconvertedKey)) != null)
            .Select(r => JsonSql.Text(r.Values, EF.Constant(UnconvertedKey))!)
            .ToListAsync(ct);

    /// <summary>
    /// The value as the JSON it is stored as, from its SQL text (<see cref="JsonSql.Text"/>): numbers and booleans
    /// come back as text (SQLite gives 1/0 for booleans), arrays as JSON text, strings unquoted.
    /// </summary>
    public static JsonNode? FromSqlText(FieldValueKind kind, string text) => kind switch
    {
        FieldValueKind.Number => decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(text),
        FieldValueKind.Boolean => text is "true" or "1" ? JsonValue.Create(true) : text is "false" or "0" ? JsonValue.Create(false) : JsonValue.Create(text),
        FieldValueKind.Choices or FieldValueKind.Rows => TryParse(text) ?? JsonValue.Create(text),
        _ => JsonValue.Create(text),
    };

    private static JsonNode? TryParse(string json)
    {
        try { return JsonNode.Parse(json); }
        catch (System.Text.Json.JsonException) { return null; }
    }
}
