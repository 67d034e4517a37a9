using System.Reflection;
using System.Text.Json;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Crm.Testing;

/// <summary>
/// Builds a saveable row of any tenant-owned entity, so the isolation tests run over every tenant table in the
/// model, including the ones added later. Scalar properties get plain values by reflection; an entity that needs
/// parent rows (a foreign key to another tenant entity) registers its own builder in <see cref="Custom"/>.
/// </summary>
public static class TenantEntitySamples
{
    /// <summary>Builders for entities that reflection cannot fill (they need parents): (database, tenant) → row.</summary>
    public static readonly Dictionary<Type, Func<TestDatabase, Guid, Task<ITenantOwned>>> Custom = new();

    /// <summary>The tenant-owned entity types of the model (root types only), by CLR name for theory data.</summary>
    public static IReadOnlyList<IEntityType> TenantEntityTypes(IModel model) => model.GetEntityTypes()
        .Where(t => typeof(ITenantOwned).IsAssignableFrom(t.ClrType) && t.BaseType is null && !t.IsOwned())
        .OrderBy(t => t.ClrType.Name)
        .ToList();

    /// <summary>The model built for SQLite (no connection needed): enough to list entity types.</summary>
    public static IModel DesignModel()
    {
        using var db = new CrmDbContext(CrmDatabase.BuildOptions(DatabaseProvider.Sqlite, "Data Source=:memory:"), null);
        return db.Model;
    }

    /// <summary>Theory data: every (provider, tenant entity) pair.</summary>
    public static IEnumerable<object[]> ProvidersAndEntities()
    {
        var names = TenantEntityTypes(DesignModel()).Select(t => t.ClrType.Name).ToList();
        foreach (var provider in new[] { Providers.Sqlite, Providers.Postgres, Providers.PgBouncer })
            foreach (var name in names)
                yield return [provider, name];
    }

    /// <summary>Theory data: every tenant entity on PostgreSQL directly and through PgBouncer in transaction mode.</summary>
    public static IEnumerable<object[]> PostgresConnectionsAndEntities()
    {
        var names = TenantEntityTypes(DesignModel()).Select(t => t.ClrType.Name).ToList();
        foreach (var connection in new[] { Providers.Postgres, Providers.PgBouncer })
            foreach (var name in names)
                yield return [connection, name];
    }

    /// <summary>Theory data: every tenant entity (for PostgreSQL-only tests).</summary>
    public static IEnumerable<object[]> Entities() => TenantEntityTypes(DesignModel()).Select(t => new object[] { t.ClrType.Name });

    public static IEntityType Find(IModel model, string clrName)
        => TenantEntityTypes(model).Single(t => t.ClrType.Name == clrName);

    /// <summary>A new, unsaved row for <paramref name="tenantId"/> with every required property filled.</summary>
    public static async Task<ITenantOwned> CreateAsync(TestDatabase database, IEntityType entityType, Guid tenantId)
    {
        if (Custom.TryGetValue(entityType.ClrType, out var custom)) return await custom(database, tenantId);
        var entity = (ITenantOwned)Activator.CreateInstance(entityType.ClrType)!;
        foreach (var property in entityType.GetProperties())
        {
            if (property.PropertyInfo is not { CanWrite: true } info || property.IsShadowProperty()) continue;
            if (property.Name == nameof(ITenantOwned.TenantId)) continue;
            if (property.IsConcurrencyToken && property.ValueGenerated != ValueGenerated.Never) continue;
            var current = info.GetValue(entity);
            if (current is not null && !IsDefault(current)) continue;
            if (property.IsNullable && current is null) continue;
            info.SetValue(entity, SampleValue(property.ClrType, property.GetMaxLength()));
        }
        if (entityType.FindProperty("Id") is { PropertyInfo: { } id } && id.PropertyType == typeof(Guid) && (Guid)id.GetValue(entity)! == Guid.Empty)
            id.SetValue(entity, Guid.CreateVersion7());
        entity.TenantId = tenantId;
        return entity;
    }

    /// <summary>Creates and saves a row through the tenant's own context.</summary>
    public static async Task<ITenantOwned> SaveAsync(TestDatabase database, IEntityType entityType, Guid tenantId)
    {
        var row = await CreateAsync(database, entityType, tenantId);
        await using var db = database.Factory.CreateForTenant(tenantId);
        db.Add(row);
        await db.SaveChangesAsync();
        return row;
    }

    /// <summary>The row's primary key values, in key order.</summary>
    public static object[] KeyOf(IEntityType entityType, object row)
        => entityType.FindPrimaryKey()!.Properties.Select(p => p.PropertyInfo!.GetValue(row)!).ToArray();

    /// <summary>Rows of <paramref name="entityType"/> with this key visible to <paramref name="db"/> (filters on, or off).</summary>
    public static Task<int> CountByKeyAsync(CrmDbContext db, IEntityType entityType, object row, bool ignoreFilters = false)
        => (Task<int>)typeof(TenantEntitySamples).GetMethod(nameof(CountByKeyCore), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(entityType.ClrType).Invoke(null, [db, entityType, row, ignoreFilters])!;

    /// <summary>Deletes rows with this key in SQL (ExecuteDelete) through <paramref name="db"/>; returns rows affected.</summary>
    public static Task<int> ExecuteDeleteByKeyAsync(CrmDbContext db, IEntityType entityType, object row)
        => (Task<int>)typeof(TenantEntitySamples).GetMethod(nameof(ExecuteDeleteCore), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(entityType.ClrType).Invoke(null, [db, entityType, row])!;

    /// <summary>Rows that <paramref name="sql"/> (a full SELECT of the entity's table) returns through <c>FromSqlRaw</c>, filters off.</summary>
    public static Task<int> CountFromSqlAsync(CrmDbContext db, IEntityType entityType, string sql, params object[] parameters)
        => (Task<int>)typeof(TenantEntitySamples).GetMethod(nameof(CountFromSqlCore), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(entityType.ClrType).Invoke(null, [db, sql, parameters])!;

    private static Task<int> CountFromSqlCore<T>(CrmDbContext db, string sql, object[] parameters) where T : class
        => db.Set<T>().FromSqlRaw(sql, parameters).IgnoreQueryFilters().CountAsync();

    private static Task<int> CountByKeyCore<T>(CrmDbContext db, IEntityType entityType, object row, bool ignoreFilters) where T : class
    {
        IQueryable<T> query = db.Set<T>();
        if (ignoreFilters) query = query.IgnoreQueryFilters();
        return ByKey(query, entityType, row).CountAsync();
    }

    private static Task<int> ExecuteDeleteCore<T>(CrmDbContext db, IEntityType entityType, object row) where T : class
        => ByKey(db.Set<T>(), entityType, row).ExecuteDeleteAsync();

    private static IQueryable<T> ByKey<T>(IQueryable<T> query, IEntityType entityType, object row) where T : class
    {
        // By the key without TenantId: the question is whether another tenant's row can be reached by its id.
        foreach (var p in entityType.FindPrimaryKey()!.Properties.Where(p => p.Name != nameof(ITenantOwned.TenantId)))
        {
            var e = System.Linq.Expressions.Expression.Parameter(typeof(T), "e");
            var property = System.Linq.Expressions.Expression.Call(typeof(EF), nameof(EF.Property), [p.ClrType], e,
                System.Linq.Expressions.Expression.Constant(p.Name));
            var equal = System.Linq.Expressions.Expression.Equal(property,
                System.Linq.Expressions.Expression.Constant(p.PropertyInfo!.GetValue(row), p.ClrType));
            query = query.Where(System.Linq.Expressions.Expression.Lambda<Func<T, bool>>(equal, e));
        }
        return query;
    }

    private static bool IsDefault(object value) => value switch
    {
        string s => s.Length == 0,
        Guid g => g == Guid.Empty,
        DateTime d => d == default,
        _ => false,
    };

    private static object SampleValue(Type type, int? maxLength)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string)) return "sample".Length <= (maxLength ?? int.MaxValue) ? "sample" : "s";
        if (t == typeof(Guid)) return Guid.CreateVersion7();
        if (t == typeof(DateTime)) return DateTime.UtcNow;
        if (t == typeof(DateTimeOffset)) return DateTimeOffset.UtcNow;
        if (t == typeof(bool)) return false;
        if (t.IsEnum) return Enum.GetValues(t).GetValue(0)!;
        if (t == typeof(JsonDocument)) return JsonDocument.Parse("{}");
        if (t == typeof(byte[])) return new byte[] { 1 };
        if (t.IsValueType) return Activator.CreateInstance(t)!;
        throw new NotSupportedException($"No sample value for {type}; register a builder in {nameof(TenantEntitySamples)}.{nameof(Custom)}.");
    }
}
