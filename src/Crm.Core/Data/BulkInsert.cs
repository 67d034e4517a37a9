using System.Text.RegularExpressions;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Crm.Core.Data;

/// <summary>
/// Writes the rows a context has staged as Added with PostgreSQL's binary COPY instead of one INSERT per row: for
/// each table, COPY into a temporary table shaped like it, then one <c>INSERT … SELECT</c> (row-level security
/// refuses COPY into a tenant table, but checks the INSERT's rows against the policy as usual). Generic over the EF
/// model — every column of every Added entity, value converters applied — so rows of any
/// <see cref="Records.IRecordWriteStep"/> are written too. Tables are written principal first (foreign keys); the
/// tenant is stamped on new tenant rows exactly as <see cref="CrmDbContext"/>'s SaveChanges guard does. Entity types
/// with store-generated keys are left to SaveChanges. Must run inside the context's transaction.
/// </summary>
public static partial class BulkInsert
{
    /// <summary>
    /// Copies the Added rows of the context's change tracker and stops tracking them (they are saved: what is left
    /// for SaveChanges is only the rest); returns how many. A no-op (0) on SQLite. <paramref name="detect"/> false:
    /// no scan for changes first — right when new rows' keys and foreign keys were set before they were added (the
    /// record writer's rows): the values copied are read from the objects themselves either way.
    /// </summary>
    public static async Task<int> CopyAddedAsync(CrmDbContext db, CancellationToken ct, bool detect = true)
    {
        if (!db.Database.IsNpgsql()) return 0;
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("BulkInsert needs the context's transaction.");
        if (detect) db.ChangeTracker.DetectChanges();
        var byType = new Dictionary<IEntityType, List<EntityEntry>>();
        foreach (var entry in db.ChangeTracker.Entries())
        {
            if (entry.State != EntityState.Added || !Copyable(entry.Metadata)) continue;
            if (!byType.TryGetValue(entry.Metadata, out var list)) byType[entry.Metadata] = list = [];
            list.Add(entry);
        }
        if (byType.Count == 0) return 0;
        foreach (var entry in byType.Values.SelectMany(l => l))
            if (entry.Entity is ITenantOwned owned)
            {
                if (db.TenantId is not { } tenant) throw new TenantMismatchException($"{entry.Metadata.ClrType.Name} is tenant-owned, but this context has no tenant.");
                var property = entry.Property(nameof(ITenantOwned.TenantId));
                if (property.IsTemporary || owned.TenantId == Guid.Empty)
                {
                    property.CurrentValue = tenant;
                    property.IsTemporary = false;
                }
                else if (owned.TenantId != tenant) throw new TenantMismatchException($"{entry.Metadata.ClrType.Name} belongs to another tenant than this context.");
            }

        var count = 0;
        foreach (var type in Ordered(byType.Keys))
        {
            var entries = byType[type];
            count += await CopyAsync(db, type, entries, EntryColumns(db, type), ct);
            var temporary = type.GetProperties().Where(p => p.ValueGenerated != ValueGenerated.Never || p.IsForeignKey()).ToList();
            foreach (var entry in entries)
            {
                foreach (var property in temporary) if (entry.Property(property).IsTemporary) throw new InvalidOperationException($"{type.ClrType.Name}.{property.Name} has no value.");
                entry.State = EntityState.Detached;
            }
        }
        return count;
    }

    /// <summary>
    /// Writes new rows that were never tracked (the record writer's staged rows: records, timeline entries,
    /// transitions, undo items) with the same COPY and INSERT … SELECT as <see cref="CopyAddedAsync"/>, reading
    /// each column through the model's compiled getter instead of a change-tracker entry, so a batch of 100,000
    /// rows skips EF's identity map, snapshots and the scan of its entries. The tenant is stamped on rows without
    /// one and checked on the rest as the SaveChanges guard does. Every row must be of <paramref name="clrType"/>,
    /// a copyable type (see <see cref="CanCopy"/>); keys and foreign keys set by the caller. PostgreSQL only, in
    /// the context's transaction.
    /// </summary>
    public static async Task<int> CopyNewAsync(CrmDbContext db, Type clrType, IReadOnlyList<object> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return 0;
        if (!db.Database.IsNpgsql()) throw new InvalidOperationException("CopyNewAsync is for PostgreSQL; on SQLite add the rows to the context.");
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("BulkInsert needs the context's transaction.");
        var type = db.Model.FindEntityType(clrType) ?? throw new ArgumentException($"{clrType.Name} is not in the model.", nameof(clrType));
        if (!CanCopy(type)) throw new ArgumentException($"{clrType.Name} cannot be copied without the change tracker.", nameof(clrType));
        if (typeof(ITenantOwned).IsAssignableFrom(clrType))
        {
            if (db.TenantId is not { } tenant) throw new TenantMismatchException($"{clrType.Name} is tenant-owned, but this context has no tenant.");
            foreach (ITenantOwned owned in rows)
            {
                if (owned.TenantId == Guid.Empty) owned.TenantId = tenant;
                else if (owned.TenantId != tenant) throw new TenantMismatchException($"{clrType.Name} belongs to another tenant than this context.");
            }
        }
        return await CopyAsync(db, type, rows, TypedColumns.GetOrAdd(type, static t => Columns(t, Typed)), ct);
    }

    /// <summary>Whether rows of <paramref name="type"/> can be written by <see cref="CopyNewAsync"/>: copyable, no shadow properties (their values live only in the tracker).</summary>
    public static bool CanCopy(IEntityType type) => Copyable(type) && !type.GetProperties().Any(p => p.IsShadowProperty());

    /// <summary>
    /// COPY into a temporary table shaped like the type's table, then one INSERT … SELECT; returns the rows inserted.
    /// A column that is NULL in every row of the batch and has no database default is left out of the column list:
    /// the INSERT leaves it NULL all the same, and the COPY stream carries fewer values (an import's records fill
    /// a few of their 20 slot columns).
    /// </summary>
    private static async Task<int> CopyAsync<T>(CrmDbContext db, IEntityType type, IReadOnlyList<T> rows, Column[] all, CancellationToken ct) where T : class
    {
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var tx = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        var table = type.GetTableName()!;
        var schema = type.GetSchema();
        var target = schema is null ? Quote(table) : $"{Quote(schema)}.{Quote(table)}";
        var temp = Quote("bulk_" + table);
        var started = WriteProfile.Start();
        var columns = all.Where(c => !c.Omittable || !c.AllNull(rows)).ToArray();
        var names = string.Join(", ", columns.Select(c => Quote(c.Name)));
        WriteProfile.Stop("client: null columns " + table, started, rows.Count);
        started = WriteProfile.Start();
        await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE IF NOT EXISTS {temp} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP; TRUNCATE {temp}", conn, tx))
            await create.ExecuteNonQueryAsync(ct);
        WriteProfile.Stop("db: temp table " + table, started);
        started = WriteProfile.Start();
        await using (var copy = await conn.BeginBinaryImportAsync($"COPY {temp} ({names}) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var row in rows)
            {
                await copy.StartRowAsync(ct);
                foreach (var column in columns) await column.WriteAsync(copy, row, ct);
            }
            await copy.CompleteAsync(ct);
        }
        WriteProfile.Stop("db: copy " + table, started, rows.Count);
        started = WriteProfile.Start();
        var sql = $"INSERT INTO {target} ({names}) SELECT {names} FROM {temp}";
        int count;
        if (WriteProfile.Enabled) count = await ExplainAsync(conn, tx, sql, table, rows.Count, ct);
        else
            await using (var insert = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 })
                count = await insert.ExecuteNonQueryAsync(ct);
        WriteProfile.Stop("db: insert " + table, started, rows.Count);
        return count;
    }

    /// <summary>Typed column writers of the types copied by <see cref="CopyNewAsync"/>, built once per entity type.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<IEntityType, Column[]> TypedColumns = new();

    /// <summary>The type's table columns, each with its writer made by <paramref name="make"/>.</summary>
    private static Column[] Columns(IEntityType type, Func<IProperty, string, string, bool, Column> make)
    {
        var store = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        return type.GetProperties()
            .Select(p => (Property: p, Column: p.GetColumnName(store)))
            .Where(c => c.Column is not null)
            .Select(c => make(c.Property, c.Column!, StoreType(c.Property),
                c.Property.IsColumnNullable(store) && !c.Property.IsPrimaryKey() && c.Property.GetDefaultValue(store) is null
                && c.Property.GetDefaultValueSql(store) is null && c.Property.GetComputedColumnSql(store) is null))
            .ToArray();
    }

    /// <summary>Columns read from change-tracker entries (boxed, as EF holds them).</summary>
    private static Column[] EntryColumns(CrmDbContext db, IEntityType type)
        => Columns(type, static (p, name, dataType, omittable) => new BoxedColumn(name, dataType, omittable, row => ((EntityEntry)row).CurrentValues[p], p.GetValueConverter() ?? p.GetTypeMapping().Converter));

    /// <summary>
    /// A writer that reads the property through a compiled, typed accessor and hands the value to Npgsql's generic
    /// <c>WriteAsync&lt;T&gt;</c>, so the column's converter is resolved once per COPY, not per value, and value
    /// types are not boxed. Properties with a value converter keep the boxed path (the converter works on objects).
    /// </summary>
    private static Column Typed(IProperty property, string name, string dataType, bool omittable)
    {
        var converter = property.GetValueConverter() ?? property.GetTypeMapping().Converter;
        var member = (System.Reflection.MemberInfo?)property.PropertyInfo ?? property.FieldInfo;
        if (converter is not null || member is null)
        {
            var getter = property.GetGetter();
            return new BoxedColumn(name, dataType, omittable, getter.GetClrValueUsingContainingEntity, converter);
        }
        var row = System.Linq.Expressions.Expression.Parameter(typeof(object), "row");
        var access = System.Linq.Expressions.Expression.MakeMemberAccess(System.Linq.Expressions.Expression.Convert(row, member.DeclaringType!), member);
        var getterType = typeof(Func<,>).MakeGenericType(typeof(object), property.ClrType);
        var compiled = System.Linq.Expressions.Expression.Lambda(getterType, access, row).Compile();
        var underlying = Nullable.GetUnderlyingType(property.ClrType);
        var columnType = underlying is null ? typeof(ValueColumn<>).MakeGenericType(property.ClrType) : typeof(NullableColumn<>).MakeGenericType(underlying);
        return (Column)Activator.CreateInstance(columnType, name, dataType, omittable, compiled)!;
    }

    /// <summary>One column of a COPY: its name, whether it may be left out when NULL in every row, how to write a row's value.</summary>
    private abstract class Column(string name, string dataType, bool omittable)
    {
        public string Name { get; } = name;
        public string DataType { get; } = dataType;
        public bool Omittable { get; } = omittable;
        public abstract bool AllNull<T>(IReadOnlyList<T> rows) where T : class;
        public abstract Task WriteAsync(NpgsqlBinaryImporter copy, object row, CancellationToken ct);
    }

    private sealed class ValueColumn<TValue>(string name, string dataType, bool omittable, Func<object, TValue> get) : Column(name, dataType, omittable)
    {
        public override bool AllNull<T>(IReadOnlyList<T> rows)
        {
            foreach (var row in rows) if (get(row) is not null) return false;
            return true;
        }

        public override Task WriteAsync(NpgsqlBinaryImporter copy, object row, CancellationToken ct)
        {
            var value = get(row);
            return value is null ? copy.WriteNullAsync(ct) : copy.WriteAsync(value, DataType, ct);
        }
    }

    private sealed class NullableColumn<TValue>(string name, string dataType, bool omittable, Func<object, TValue?> get) : Column(name, dataType, omittable) where TValue : struct
    {
        public override bool AllNull<T>(IReadOnlyList<T> rows)
        {
            foreach (var row in rows) if (get(row).HasValue) return false;
            return true;
        }

        public override Task WriteAsync(NpgsqlBinaryImporter copy, object row, CancellationToken ct)
        {
            var value = get(row);
            return value.HasValue ? copy.WriteAsync(value.GetValueOrDefault(), DataType, ct) : copy.WriteNullAsync(ct);
        }
    }

    private sealed class BoxedColumn(string name, string dataType, bool omittable, Func<object, object?> get, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? converter) : Column(name, dataType, omittable)
    {
        private object? Read(object row)
        {
            var value = get(row);
            return value is not null && converter is not null ? converter.ConvertToProvider(value) : value;
        }

        public override bool AllNull<T>(IReadOnlyList<T> rows)
        {
            foreach (var row in rows) if (Read(row) is not null) return false;
            return true;
        }

        public override Task WriteAsync(NpgsqlBinaryImporter copy, object row, CancellationToken ct)
        {
            var value = Read(row);
            return value is null ? copy.WriteNullAsync(ct) : copy.WriteAsync(value, DataType, ct);
        }
    }

    /// <summary>
    /// Runs the INSERT … SELECT under <c>EXPLAIN (ANALYZE)</c> (it is executed all the same) and adds PostgreSQL's
    /// execution time and each trigger's time (foreign key checks) to <see cref="WriteProfile"/>.
    /// </summary>
    private static async Task<int> ExplainAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, string table, int rows, CancellationToken ct)
    {
        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE) " + sql, conn, tx) { CommandTimeout = 0 };
        await using var reader = await explain.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var line = reader.GetString(0);
            if (Trigger().Match(line) is { Success: true } t) WriteProfile.Add($"pg: {table} trigger {t.Groups[1].Value}", double.Parse(t.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), long.Parse(t.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
            else if (Execution().Match(line) is { Success: true } e) WriteProfile.Add($"pg: {table} execution", double.Parse(e.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), rows);
        }
        return rows;
    }

    [GeneratedRegex(@"Trigger (?:for constraint )?(\S+): time=([\d.]+) calls=(\d+)")]
    private static partial Regex Trigger();

    [GeneratedRegex(@"Execution Time: ([\d.]+) ms")]
    private static partial Regex Execution();

    /// <summary>Plain tables with keys the client sets (no owned or complex parts, no identity columns).</summary>
    private static bool Copyable(IEntityType type)
        => type.GetTableName() is not null && type.GetViewName() is null && !type.IsOwned() && !type.GetComplexProperties().Any()
           && type.FindPrimaryKey() is { } key && key.Properties.All(p => p.ValueGenerated == ValueGenerated.Never || p.ClrType == typeof(Guid))
           && !type.GetProperties().Any(p => p.ValueGenerated == ValueGenerated.OnAdd && p.ClrType != typeof(Guid) && !p.IsConcurrencyToken);

    /// <summary>Principals before dependents, by the foreign keys among the types written.</summary>
    private static List<IEntityType> Ordered(IEnumerable<IEntityType> types)
    {
        var left = types.ToList();
        var ordered = new List<IEntityType>();
        while (left.Count > 0)
        {
            var next = left.FirstOrDefault(t => !t.GetForeignKeys().Any(fk => fk.PrincipalEntityType != t && left.Contains(fk.PrincipalEntityType))) ?? left[0];
            ordered.Add(next);
            left.Remove(next);
        }
        return ordered;
    }

    /// <summary>The column's PostgreSQL type name without its facets ("character varying(500)" → "character varying").</summary>
    private static string StoreType(IProperty property) => Facets().Replace(property.GetColumnType(), "").Trim();

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    [GeneratedRegex(@"\(\d+(,\s*\d+)?\)")]
    private static partial Regex Facets();
}
