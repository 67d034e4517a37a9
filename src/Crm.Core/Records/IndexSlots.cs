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
/// a slot of its family when it is created or its type changes (<see cref="AssignAsync"/>, from SaveChanges: a
/// metadata change, no DDL); <see cref="IndexCopiesStep"/> writes the copies with every record write; lists,
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
    public static string Property(string slot) => (slot[0] == 'n' ? "Num" : "Text") + slot[1..];

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

    public static object? Get(Record r, string slot) => slot switch
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
        switch (slot)
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

    /// <summary>The entity type's fields by slot (archived fields keep theirs: their values stay and come back on restore).</summary>
    public static Dictionary<string, FieldDefinition> Mapped(EntityMeta entity)
        => entity.AllFields.Where(f => f.IndexSlot is not null).GroupBy(f => f.IndexSlot!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>
    /// Gives new fields, and fields whose type moved to another family, a free slot of their entity type (called by
    /// SaveChanges before saving). A slot about to be taken is emptied first on the entity type's records (a former
    /// field's stale copies); for a new slot that holds nothing this is one index probe.
    /// </summary>
    public static async Task AssignAsync(CrmDbContext db, CancellationToken ct)
    {
        // Only field definitions are scanned for changes here: SaveChanges detects the rest once, after this.
        var auto = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        List<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry<FieldDefinition>> fields;
        // Entity types whose every field is tracked here (new, or loaded with their fields, as the designer does):
        // the slots their fields hold are known without reading them.
        HashSet<Guid> complete, added;
        try
        {
            fields = db.ChangeTracker.Entries<FieldDefinition>().ToList();
            var types = db.ChangeTracker.Entries<EntityType>().ToList();
            complete = types.Where(e => e.State == EntityState.Added || e.Collection(x => x.Fields).IsLoaded).Select(e => e.Entity.Id).ToHashSet();
            // A new entity type has no records: nothing to empty.
            added = types.Where(e => e.State == EntityState.Added).Select(e => e.Entity.Id).ToHashSet();
        }
        finally { db.ChangeTracker.AutoDetectChangesEnabled = auto; }
        if (fields.Count == 0) return;
        foreach (var entry in fields) entry.DetectChanges();
        var pending = fields
            .Where(e => e.State == EntityState.Added || (e.State == EntityState.Modified && e.Property(x => x.Type).IsModified))
            .Select(e => e.Entity)
            .Where(f => FamilyOf(f) is { } family ? f.IndexSlot is null || f.IndexSlot[0] != family : f.IndexSlot is not null)
            .ToList();
        if (pending.Count == 0) return;
        foreach (var group in pending.GroupBy(f => f.EntityTypeId))
        {
            var ids = group.Select(f => f.Id).ToList();
            var taken = complete.Contains(group.Key) ? new HashSet<string>(StringComparer.Ordinal)
                : (await db.Fields.AsNoTracking().Where(f => f.EntityTypeId == group.Key && f.IndexSlot != null && !ids.Contains(f.Id))
                    .Select(f => f.IndexSlot!).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
            foreach (var tracked in fields)
                if (tracked.Entity.EntityTypeId == group.Key && !ids.Contains(tracked.Entity.Id) && tracked.Entity.IndexSlot is { } s) taken.Add(s);
            foreach (var field in group)
            {
                field.IndexSlot = null;
                if (FamilyOf(field) is not { } family) continue;
                var free = All.FirstOrDefault(s => s[0] == family && !taken.Contains(s));
                if (free is null) continue;
                taken.Add(free);
                field.IndexSlot = free;
                if (!added.Contains(group.Key)) await ClearAsync(db, group.Key, free, ct);
            }
        }
    }

    /// <summary>
    /// Gives a slot to every field that could have one and has none (fields from before slots existed, or created
    /// while every slot of their family was taken and one has been freed since). Returns how many got one.
    /// </summary>
    public static async Task<int> AssignMissingAsync(CrmDbContext db, CancellationToken ct)
    {
        var fields = await db.Fields.Where(f => f.IndexSlot == null).ToListAsync(ct);
        var count = 0;
        foreach (var group in fields.Where(f => FamilyOf(f) is not null).GroupBy(f => f.EntityTypeId))
        {
            var taken = (await db.Fields.AsNoTracking().Where(f => f.EntityTypeId == group.Key && f.IndexSlot != null).Select(f => f.IndexSlot!).ToListAsync(ct))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var field in group.OrderBy(f => f.SortOrder))
            {
                var family = FamilyOf(field)!.Value;
                var free = All.FirstOrDefault(s => s[0] == family && !taken.Contains(s));
                if (free is null) continue;
                taken.Add(free);
                field.IndexSlot = free;
                await ClearAsync(db, group.Key, free, ct);
                count++;
            }
        }
        await db.SaveChangesAsync(ct);
        return count;
    }

    /// <summary>Empties a slot on an entity type's records (no version, no timeline: a copy, not the record).</summary>
    private static Task ClearAsync(CrmDbContext db, Guid entityTypeId, string slot, CancellationToken ct)
    {
        var property = Property(slot);
        var records = db.Records.Where(r => r.EntityTypeId == entityTypeId);
        return slot[0] == 'n'
            ? records.Where(r => EF.Property<double?>(r, property) != null).ExecuteUpdateAsync(u => u.SetProperty(r => EF.Property<double?>(r, property), (double?)null), ct)
            : records.Where(r => EF.Property<string?>(r, property) != null).ExecuteUpdateAsync(u => u.SetProperty(r => EF.Property<string?>(r, property), (string?)null), ct);
    }

    /// <summary>
    /// The field's text value as SQL reads it best: its text slot where it has one (choices, references, dates: the
    /// whole value), else the JSON. Long text is read from the JSON (its copy is a prefix).
    /// </summary>
    public static System.Linq.Expressions.Expression<Func<Record, string?>> TextOf(FieldDefinition field)
    {
        var key = field.Key;
        if (field.IndexSlot is { } slot && slot[0] == 't' && FamilyOf(field) == 't'
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
