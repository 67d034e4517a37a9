using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Records;

/// <summary>
/// Typed, indexed copies of custom fields in a fixed set of record columns ("slots"): <c>Num1..Num8</c> (double)
/// and <c>Text1..Text12</c> (text), each with a partial B-tree index on (tenant, entity type, slot). A field gets
/// a slot of its family by the rule of <see cref="AssignAsync"/> (from SaveChanges: a metadata change, no DDL; on a
/// type with records the slot is filled by <see cref="IndexSlotFill"/> before queries read it); <see cref="IndexCopiesStep"/> writes the copies with every record write; lists,
/// boards and reports filter, sort and group on the slot (<see cref="RecordFilters"/>). The JSON stays the truth:
/// <see cref="IndexCopyService"/> checks and rebuilds a workspace's copies.
/// </summary>
public static class IndexSlots
{
    public const int NumberSlots = 8;
    public const int TextSlots = 12;
    /// <summary>Text values are copied up to this many characters: equality on shorter values and prefixes is exact.</summary>
    public const int PrefixLength = 100;

    public static IReadOnlyList<string> All { get; } =
        [.. Enumerable.Range(1, NumberSlots).Select(i => "n" + i), .. Enumerable.Range(1, TextSlots).Select(i => "t" + i)];

    /// <summary>'n' for numbers and yes/no, 't' for choices, references, dates and text, null for what has no copy (multi-selects, stages, long text).</summary>
    public static char? FamilyOf(FieldDefinition field)
    {
        if (FieldTypeRegistry.Find(field.Type) is not { } type) return null;
        // A stage lives in its own indexed column (stage_id) and a long text's prefix answers no useful filter:
        // neither spends one of the twelve text slots (the b2b template alone would otherwise fill all of them).
        if (field.Type is FieldTypes.Stage or FieldTypes.LongText) return null;
        return type.KindOf(field.Settings) switch
        {
            FieldValueKind.Number or FieldValueKind.Boolean => 'n',
            FieldValueKind.Text or FieldValueKind.Choice or FieldValueKind.Reference or FieldValueKind.Date or FieldValueKind.DateTime => 't',
            _ => null,
        };
    }

    /// <summary>The EF property of a slot ("n3" → "Num3").</summary>
    public static string Property(string slot) => (slot[0] == 'n' ? "Num" : "Text") + Held(slot)![1..];

    /// <summary>The copy of a JSON value for a slot of <paramref name="family"/> (null: no value or not of the slot's shape).</summary>
    public static object? CopyOf(JsonNode? value, char family)
    {
        if (value is not JsonValue v) return null;
        if (family == 'n')
        {
            if (v.TryGetValue<bool>(out var b)) return b ? 1d : 0d;
            return JsonNumbers.AsDecimal(v) is { } d ? (double)d : null;
        }
        if (!v.TryGetValue<string>(out var s)) return null;
        return s.Length > PrefixLength ? s[..PrefixLength] : s;
    }

    public static object? Get(Record r, string slot) => Held(slot) switch
    {
        "n1" => r.Num1, "n2" => r.Num2, "n3" => r.Num3, "n4" => r.Num4, "n5" => r.Num5, "n6" => r.Num6, "n7" => r.Num7, "n8" => r.Num8,
        "t1" => r.Text1, "t2" => r.Text2, "t3" => r.Text3, "t4" => r.Text4, "t5" => r.Text5, "t6" => r.Text6,
        "t7" => r.Text7, "t8" => r.Text8, "t9" => r.Text9, "t10" => r.Text10, "t11" => r.Text11, "t12" => r.Text12,
        _ => throw new ArgumentOutOfRangeException(nameof(slot), slot, null),
    };

    public static void Set(Record r, string slot, object? value)
    {
        var n = value as double?;
        var s = value as string;
        switch (Held(slot))
        {
            case "n1": r.Num1 = n; break; case "n2": r.Num2 = n; break; case "n3": r.Num3 = n; break; case "n4": r.Num4 = n; break;
            case "n5": r.Num5 = n; break; case "n6": r.Num6 = n; break; case "n7": r.Num7 = n; break; case "n8": r.Num8 = n; break;
            case "t1": r.Text1 = s; break; case "t2": r.Text2 = s; break; case "t3": r.Text3 = s; break; case "t4": r.Text4 = s; break;
            case "t5": r.Text5 = s; break; case "t6": r.Text6 = s; break; case "t7": r.Text7 = s; break; case "t8": r.Text8 = s; break;
            case "t9": r.Text9 = s; break; case "t10": r.Text10 = s; break; case "t11": r.Text11 = s; break; case "t12": r.Text12 = s; break;
            default: throw new ArgumentOutOfRangeException(nameof(slot), slot, null);
        }
    }

    /// <summary>Sets every slot of <paramref name="record"/> from <paramref name="values"/>: mapped fields' copies, null elsewhere.</summary>
    public static void Project(Record record, EntityMeta entity, JsonObject values)
    {
        var mapped = Mapped(entity);
        foreach (var slot in All)
            Set(record, slot, mapped.TryGetValue(slot, out var field) ? CopyOf(values[field.Key], slot[0]) : null);
    }

    /// <summary>The entity type's fields by the slot they hold, filled or filling (what writes maintain).</summary>
    public static Dictionary<string, FieldDefinition> Mapped(EntityMeta entity)
        => entity.AllFields.Where(f => f.IndexSlot is not null).GroupBy(f => Held(f)!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>Marks a slot whose copies are still being filled (<see cref="IndexSlotFill"/>): "t5~3fa9".</summary>
    public const char FillingMark = '~';

    /// <summary>The slot the field holds, filled or filling ("t5"), or null.</summary>
    public static string? Held(FieldDefinition field) => Held(field.IndexSlot);

    /// <summary>The slot part of a stored <see cref="FieldDefinition.IndexSlot"/> ("t5~3fa9" → "t5").</summary>
    public static string? Held(string? indexSlot)
        => indexSlot is null ? null : indexSlot.IndexOf(FillingMark) is var i and >= 0 ? indexSlot[..i] : indexSlot;

    /// <summary>The slot queries may read: held and filled. A slot still filling is written, not read (its field is read from the JSON).</summary>
    public static string? Ready(FieldDefinition field) => field.IndexSlot is { } s && s.IndexOf(FillingMark) < 0 ? s : null;

    public static bool IsFilling(FieldDefinition field) => field.IndexSlot?.IndexOf(FillingMark) >= 0;

    /// <summary>
    /// Whether the field's filters, sorts, board columns and report groups already read a typed record column, so a
    /// slot would only duplicate it: the owner (owner_id), the close date (close_date), the stage (stage_id), the
    /// status (status_option_id) and a non-computed amount (amount) — the same rule as <see cref="RecordFilters"/>'
    /// column targets. The title (title) is not among them: a filter on the title field's key reads its slot.
    /// </summary>
    public static bool OnNativeColumn(FieldDefinition field, EntityType type)
    {
        var key = field.Key;
        if (key == type.OwnerFieldKey || key == type.CloseDateFieldKey || key == type.StageFieldKey || key == type.StatusFieldKey) return true;
        return key == type.AmountFieldKey && FieldTypeRegistry.Find(field.Type) is { IsComputed: false };
    }

    /// <summary>Whether the field should hold a slot: active, of a slot family, not served by a native column.</summary>
    public static bool Wants(FieldDefinition field, EntityType type)
        => !field.IsArchived && FamilyOf(field) is not null && !OnNativeColumn(field, type);

    /// <summary>Why a field has no slot (for the designer): null when it has one or could get one.</summary>
    public static string? WhyNone(FieldDefinition field, EntityType type)
    {
        if (field.IndexSlot is not null) return null;
        if (OnNativeColumn(field, type)) return "native";
        if (FamilyOf(field) is null) return "type";
        if (field.IsArchived) return "archived";
        return "full";
    }

    /// <summary>
    /// Gives slots by the rule recorded in docs/decisions.md (cf14c), for every entity type whose fields or bindings
    /// this unit of work changes (called by SaveChanges before saving; a metadata change, no DDL):
    /// <list type="number">
    /// <item>a field that no longer wants its slot (archived, deleted, bound to a native column, or its type moved to
    /// another family or to none) gives it up; its stale copies stay in the rows and are never read;</item>
    /// <item>a field that holds a slot of its family keeps it (no slot moves between fields: a move would refill);</item>
    /// <item>fields that want a slot and have none take the free ones of their family: fields used by the entity
    /// type's saved views (filters, sorts, board grouping) and reports (grouping, measure, filters) first, then in
    /// form order.</item>
    /// </list>
    /// A slot taken on an entity type that has records is marked filling ("t5~3fa9") and a <see cref="IndexSlotFill"/>
    /// job is queued in the same transaction: queries read such a field from the JSON until the job has written
    /// every record's copy and cleared the mark; the record writer keeps writing its copies meanwhile.
    /// </summary>
    public static async Task AssignAsync(CrmDbContext db, CancellationToken ct)
    {
        // Only field definitions and entity types are scanned for changes here: SaveChanges detects the rest once, after this.
        var auto = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry<FieldDefinition>> fields;
        List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry<EntityType>> types;
        try
        {
            fields = db.ChangeTracker.Entries<FieldDefinition>().ToList();
            types = db.ChangeTracker.Entries<EntityType>().ToList();
        }
        finally { db.ChangeTracker.AutoDetectChangesEnabled = auto; }
        if (fields.Count == 0 && types.Count == 0) return;
        foreach (var entry in fields) entry.DetectChanges();
        foreach (var entry in types) entry.DetectChanges();
        var affected = fields.Where(e => e.State is EntityState.Added or EntityState.Deleted
                || (e.State == EntityState.Modified && (e.Property(x => x.Type).IsModified || e.Property(x => x.IsArchived).IsModified || e.Property(x => x.Settings).IsModified)))
            .Select(e => e.Entity.EntityTypeId)
            .Concat(types.Where(e => e.State == EntityState.Added || (e.State == EntityState.Modified && Bindings.Any(b => e.Property(b).IsModified))).Select(e => e.Entity.Id))
            .ToHashSet();
        if (affected.Count == 0) return;
        foreach (var typeId in affected)
        {
            var typeEntry = types.FirstOrDefault(e => e.Entity.Id == typeId);
            if (typeEntry?.State == EntityState.Deleted) continue;
            var type = typeEntry?.Entity ?? await db.EntityTypes.AsNoTracking().FirstOrDefaultAsync(e => e.Id == typeId, ct);
            if (type is null) continue;
            // Every field of the type, tracked (the designer loads them all; else they are loaded here, which also
            // gives back the tracked instances of those already in this unit of work).
            var complete = typeEntry is not null && (typeEntry.State == EntityState.Added || typeEntry.Collection(x => x.Fields).IsLoaded);
            if (!complete) await db.Fields.Where(f => f.EntityTypeId == typeId).LoadAsync(ct);
            var all = db.ChangeTracker.Entries<FieldDefinition>()
                .Where(e => e.Entity.EntityTypeId == typeId && e.State is not (EntityState.Deleted or EntityState.Detached))
                .Select(e => e.Entity).ToList();
            await PlanAsync(db, type, all, hasRecords: typeEntry?.State == EntityState.Added ? false : null, ct);
        }
    }

    /// <summary>The entity type's properties that bind a field to a record column (a change re-plans its slots).</summary>
    private static readonly string[] Bindings =
        [nameof(EntityType.OwnerFieldKey), nameof(EntityType.CloseDateFieldKey), nameof(EntityType.StageFieldKey), nameof(EntityType.StatusFieldKey), nameof(EntityType.AmountFieldKey)];

    /// <summary>
    /// Applies the slot rule (see <see cref="AssignAsync"/>) to one entity type's tracked <paramref name="fields"/>;
    /// queues a fill job when a slot is taken on a type with records. Returns the fields that got a slot.
    /// </summary>
    private static async Task<List<FieldDefinition>> PlanAsync(CrmDbContext db, EntityType type, List<FieldDefinition> fields, bool? hasRecords, CancellationToken ct)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in fields.OrderBy(f => f.SortOrder).ThenBy(f => f.Key, StringComparer.Ordinal))
        {
            if (Held(field) is not { } held) continue;
            // Gives up a slot it no longer wants, of the wrong family, or held twice (the second holder).
            if (!Wants(field, type) || held[0] != FamilyOf(field) || !All.Contains(held) || !taken.Add(held)) field.IndexSlot = null;
        }
        var seekers = fields.Where(f => f.IndexSlot is null && Wants(f, type)).ToList();
        var given = new List<FieldDefinition>();
        if (seekers.Count == 0) return given;
        var free = All.Where(s => !taken.Contains(s)).ToList();
        HashSet<string>? used = null;
        if (seekers.GroupBy(f => FamilyOf(f)!.Value).Any(g => g.Count() > free.Count(s => s[0] == g.Key)))
            used = await UsedKeysAsync(db, type.Id, ct);
        var ordered = seekers.OrderBy(f => used?.Contains(f.Key) == true ? 0 : 1).ThenBy(f => f.SortOrder).ThenBy(f => f.Key, StringComparer.Ordinal);
        foreach (var field in ordered)
        {
            var slot = free.FirstOrDefault(s => s[0] == FamilyOf(field));
            if (slot is null) continue;
            free.Remove(slot);
            hasRecords ??= await db.Records.AnyAsync(r => r.EntityTypeId == type.Id, ct);
            // A slot on a type with records holds a former field's copies, or none: filled in the background first.
            field.IndexSlot = hasRecords == true ? slot + FillingMark + Random.Shared.Next(0x1000, 0x10000).ToString("x4", CultureInfo.InvariantCulture) : slot;
            given.Add(field);
        }
        if (hasRecords == true && given.Count > 0)
            db.QueuedJobs.Add(IndexSlotFill.Job(type.TenantId, type.Id, given.Select(f => (f.Id, f.IndexSlot!)), after: null, DateTime.UtcNow + IndexSlotFill.StartDelay));
        return given;
    }

    /// <summary>The field keys the entity type's saved views and reports filter, sort, group or measure on.</summary>
    public static async Task<HashSet<string>> UsedKeysAsync(CrmDbContext db, Guid entityTypeId, CancellationToken ct)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var view in await db.Views.AsNoTracking().Where(v => v.EntityTypeId == entityTypeId).Select(v => v.Definition).ToListAsync(ct))
        {
            used.UnionWith(view.Filters.Select(f => f.Field));
            used.UnionWith(view.Sort.Select(s => s.Field));
            if (view.GroupBy is { } g) used.Add(g);
        }
        foreach (var spec in await db.Reports.AsNoTracking().Where(r => r.EntityTypeId == entityTypeId).Select(r => r.Spec).ToListAsync(ct))
        {
            if (spec.GroupBy?.Field is { } g) used.Add(g);
            if (spec.Measure?.Field is { } m) used.Add(m);
            used.UnionWith(spec.Filters.Select(f => f.Field));
        }
        return used;
    }

    /// <summary>
    /// Applies the slot rule to every entity type of the workspace (fields from before slots existed, or waiting
    /// while every slot of their family was taken). Returns the fields that got a slot (marked filling where the
    /// type has records, with their fill jobs queued; the caller saves).
    /// </summary>
    public static async Task<List<FieldDefinition>> AssignMissingAsync(CrmDbContext db, CancellationToken ct)
    {
        var types = await db.EntityTypes.AsNoTracking().ToListAsync(ct);
        var fields = await db.Fields.ToListAsync(ct);
        var given = new List<FieldDefinition>();
        foreach (var type in types)
            given.AddRange(await PlanAsync(db, type, fields.Where(f => f.EntityTypeId == type.Id).ToList(), null, ct));
        db.ChangeTracker.DetectChanges();
        if (!db.ChangeTracker.HasChanges()) return given;
        await db.SaveChangesAsync(ct);
        await MetadataStore.BumpVersionAsync(db, ct);
        return given;
    }

    /// <summary>
    /// The field's text value as SQL reads it best: its text slot where it has one (choices, references, dates: the
    /// whole value), else the JSON. Long text is read from the JSON (its copy is a prefix).
    /// </summary>
    public static System.Linq.Expressions.Expression<Func<Record, string?>> TextOf(FieldDefinition field)
    {
        var key = field.Key;
        if (Ready(field) is { } slot && slot[0] == 't' && FamilyOf(field) == 't'
            && FieldTypeRegistry.Find(field.Type)?.KindOf(field.Settings) != FieldValueKind.Text)
        {
            var property = Property(slot);
            return r => EF.Property<string?>(r, property);
        }
        return r => JsonSql.Text(r.Values, EF.Constant(key));
    }

    /// <summary><paramref name="shape"/> with its second parameter replaced by <paramref name="value"/>'s body.</summary>
    public static System.Linq.Expressions.Expression<Func<Record, T>> With<TValue, T>(System.Linq.Expressions.Expression<Func<Record, TValue>> value,
        System.Linq.Expressions.Expression<Func<Record, TValue, T>> shape)
    {
        var r = shape.Parameters[0];
        var body = new Swap(shape.Parameters[1], new Swap(value.Parameters[0], r).Visit(value.Body)!).Visit(shape.Body)!;
        return System.Linq.Expressions.Expression.Lambda<Func<Record, T>>(body, r);
    }

    private sealed class Swap(System.Linq.Expressions.ParameterExpression from, System.Linq.Expressions.Expression to) : System.Linq.Expressions.ExpressionVisitor
    {
        protected override System.Linq.Expressions.Expression VisitParameter(System.Linq.Expressions.ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }

    /// <summary>Formats a copy for a difference report.</summary>
    public static string Show(object? value) => value switch
    {
        null => "∅",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>
/// Writes the typed index copies of every record the writer writes (in its transaction, like the unique values):
/// in memory on the tracked record, so it costs no statement of its own. Runs for user and system writes alike,
/// so type changes, option deletes and merges, template upgrades, imports and undo keep the copies right.
/// </summary>
public sealed class IndexCopiesStep : IRecordWriteStep
{
    /// <summary>
    /// Each entity type's slot map, built once per writer (one save, one import) instead of per record, with the
    /// slots its fields had then: a field given another slot meanwhile (a type change saved by the same unit of
    /// work) rebuilds it.
    /// </summary>
    private readonly Dictionary<EntityMeta, ((string Slot, FieldDefinition? Field)[] Map, string?[] Seen)> maps = new(ReferenceEqualityComparer.Instance);

    public Task OnWriteAsync(RecordWrite write, CancellationToken ct)
    {
        var fields = write.Entity.AllFields;
        if (!maps.TryGetValue(write.Entity, out var cached) || !Same(cached.Seen, fields))
        {
            var mapped = IndexSlots.Mapped(write.Entity);
            maps[write.Entity] = cached = (IndexSlots.All.Select(s => (s, mapped.GetValueOrDefault(s))).ToArray(), fields.Select(f => f.IndexSlot).ToArray());
        }
        foreach (var (slot, field) in cached.Map)
            IndexSlots.Set(write.Record, slot, field is null ? null : IndexSlots.CopyOf(write.After[field.Key], slot[0]));
        return Task.CompletedTask;
    }

    private static bool Same(string?[] seen, IReadOnlyList<FieldDefinition> fields)
    {
        if (seen.Length != fields.Count) return false;
        for (var i = 0; i < seen.Length; i++)
            if (!string.Equals(seen[i], fields[i].IndexSlot, StringComparison.Ordinal)) return false;
        return true;
    }
}
