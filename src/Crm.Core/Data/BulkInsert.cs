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
            count += await CopyAsync(db, type, entries, static (entry, property) => entry.CurrentValues[property], ct);
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
        var getters = type.GetProperties().ToDictionary(p => p, p => p.GetGetter());
        return await CopyAsync(db, type, rows, (row, property) => getters[property].GetClrValueUsingContainingEntity(row), ct);
    }

    /// <summary>Whether rows of <paramref name="type"/> can be written by <see cref="CopyNewAsync"/>: copyable, no shadow properties (their values live only in the tracker).</summary>
    public static bool CanCopy(IEntityType type) => Copyable(type) && !type.GetProperties().Any(p => p.IsShadowProperty());

    /// <summary>COPY into a temporary table shaped like the type's table, then one INSERT … SELECT; returns the rows inserted.</summary>
    private static async Task<int> CopyAsync<T>(CrmDbContext db, IEntityType type, IReadOnlyList<T> rows, Func<T, IProperty, object?> read, CancellationToken ct)
    {
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var tx = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
        var table = type.GetTableName()!;
        var schema = type.GetSchema();
        var store = StoreObjectIdentifier.Table(table, schema);
        var columns = type.GetProperties().Select(p => (Property: p, Column: p.GetColumnName(store))).Where(c => c.Column is not null).ToList();
        var target = schema is null ? Quote(table) : $"{Quote(schema)}.{Quote(table)}";
        var temp = Quote("bulk_" + table);
        var names = string.Join(", ", columns.Select(c => Quote(c.Column!)));
        var started = WriteProfile.Start();
        await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE IF NOT EXISTS {temp} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP; TRUNCATE {temp}", conn, tx))
            await create.ExecuteNonQueryAsync(ct);
        WriteProfile.Stop("db: temp table " + table, started);
        started = WriteProfile.Start();
        var types = columns.Select(c => StoreType(c.Property)).ToArray();
        var properties = columns.Select(c => c.Property).ToArray();
        var converters = columns.Select(c => c.Property.GetValueConverter() ?? c.Property.GetTypeMapping().Converter).ToArray();
        await using (var copy = await conn.BeginBinaryImportAsync($"COPY {temp} ({names}) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var row in rows)
            {
                await copy.StartRowAsync(ct);
                for (var i = 0; i < properties.Length; i++)
                {
                    var value = read(row, properties[i]);
                    if (value is not null && converters[i] is { } converter) value = converter.ConvertToProvider(value);
                    if (value is null) await copy.WriteNullAsync(ct);
                    else await copy.WriteAsync(value, types[i], ct);
                }
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
