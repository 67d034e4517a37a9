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

        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var tx = (NpgsqlTransaction)db.Database.CurrentTransaction.GetDbTransaction();
        var count = 0;
        foreach (var type in Ordered(byType.Keys))
        {
            var entries = byType[type];
            var table = type.GetTableName()!;
            var schema = type.GetSchema();
            var store = StoreObjectIdentifier.Table(table, schema);
            var columns = type.GetProperties().Select(p => (Property: p, Column: p.GetColumnName(store))).Where(c => c.Column is not null).ToList();
            var target = schema is null ? Quote(table) : $"{Quote(schema)}.{Quote(table)}";
            var temp = Quote("bulk_" + table);
            var names = string.Join(", ", columns.Select(c => Quote(c.Column!)));
            await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE IF NOT EXISTS {temp} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP; TRUNCATE {temp}", conn, tx))
                await create.ExecuteNonQueryAsync(ct);
            var types = columns.Select(c => StoreType(c.Property)).ToArray();
            var converters = columns.Select(c => c.Property.GetValueConverter() ?? c.Property.GetTypeMapping().Converter).ToArray();
            await using (var copy = await conn.BeginBinaryImportAsync($"COPY {temp} ({names}) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var entry in entries)
                {
                    await copy.StartRowAsync(ct);
                    var current = entry.CurrentValues;
                    for (var i = 0; i < columns.Count; i++)
                    {
                        var value = current[columns[i].Property];
                        if (value is not null && converters[i] is { } converter) value = converter.ConvertToProvider(value);
                        if (value is null) await copy.WriteNullAsync(ct);
                        else await copy.WriteAsync(value, types[i], ct);
                    }
                }
                await copy.CompleteAsync(ct);
            }
            await using (var insert = new NpgsqlCommand($"INSERT INTO {target} ({names}) SELECT {names} FROM {temp}", conn, tx) { CommandTimeout = 0 })
                count += await insert.ExecuteNonQueryAsync(ct);
            var temporary = type.GetProperties().Where(p => p.ValueGenerated != ValueGenerated.Never || p.IsForeignKey()).ToList();
            foreach (var entry in entries)
            {
                foreach (var property in temporary) if (entry.Property(property).IsTemporary) throw new InvalidOperationException($"{type.ClrType.Name}.{property.Name} has no value.");
                entry.State = EntityState.Detached;
            }
        }
        return count;
    }

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
