using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace Crm.Core.Tests.Data;

// Raw SQL here on purpose: it bypasses the EF filter. Only table names (from the EF model) are spliced in; values are parameters.
#pragma warning disable EF1002

/// <summary>
/// The second wall, PostgreSQL only: with the EF filter bypassed (IgnoreQueryFilters, raw SQL, ADO on the
/// context's own connection) row-level security still shows a tenant nothing of another, and refuses writes.
/// The test role (crm) must not be a superuser or have BYPASSRLS, else these tests prove nothing.
/// </summary>
public class RowLevelSecurityTests
{
    public static IEnumerable<object[]> Entities => TenantEntitySamples.Entities();

    /// <summary>Directly and through PgBouncer in transaction mode, where the tenant is set per transaction.</summary>
    public static IEnumerable<object[]> Connections => TenantEntitySamples.PostgresConnectionsAndEntities();

    private static Task<(TestDatabase Db, IEntityType Type, TenantInfo A, TenantInfo B, ITenantOwned RowOfA, ITenantOwned RowOfB)> ArrangeAsync(string entity)
        => ArrangeAsync(Providers.Postgres, entity);

    private static async Task<(TestDatabase Db, IEntityType Type, TenantInfo A, TenantInfo B, ITenantOwned RowOfA, ITenantOwned RowOfB)> ArrangeAsync(string connection, string entity)
    {
        var database = await TestDatabase.GetAsync(connection);
        await using var probe = database.Factory.CreateGlobal();
        var type = TenantEntitySamples.Find(probe.Model, entity);
        var a = await database.CreateTenantAsync("Alpha");
        var b = await database.CreateTenantAsync("Bravo");
        return (database, type, a, b, await TenantEntitySamples.SaveAsync(database, type, a.Id), await TenantEntitySamples.SaveAsync(database, type, b.Id));
    }

    [Theory]
    [MemberData(nameof(Connections))]
    public async Task IgnoreQueryFilters_still_shows_nothing_of_another_tenant(string connection, string entity)
    {
        var (database, type, a, _, rowOfA, rowOfB) = await ArrangeAsync(connection, entity);
        await using var dbA = database.Factory.CreateForTenant(a.Id);
        Assert.Equal(1, await TenantEntitySamples.CountByKeyAsync(dbA, type, rowOfA, ignoreFilters: true));
        Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(dbA, type, rowOfB, ignoreFilters: true));
    }

    [Theory]
    [MemberData(nameof(Entities))]
    public async Task Raw_sql_on_the_tenant_connection_sees_only_its_own_tenant(string entity)
    {
        var (database, type, a, b, _, _) = await ArrangeAsync(entity);
        var table = type.GetTableName()!;
        await using var dbA = database.Factory.CreateForTenant(a.Id);

        var tenants = await dbA.Database.SqlQueryRaw<Guid>($"SELECT DISTINCT tenant_id AS \"Value\" FROM {table}").ToListAsync();
        Assert.Equal([a.Id], tenants);

        // ADO commands on the context's open connection see the tenant once EF has sent a command on it (the first
        // command's prefix sets it for the session, no round trip of its own, cf14b); before that, nothing (closed).
        await dbA.Database.OpenConnectionAsync();
        await using var cmd = dbA.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM {table}";
        Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
        Assert.Equal([a.Id], await dbA.Database.SqlQueryRaw<Guid>($"SELECT DISTINCT tenant_id AS \"Value\" FROM {table}").ToListAsync());
        cmd.CommandText = $"SELECT count(*) FROM {table} WHERE tenant_id = @b";
        cmd.Parameters.Add(new NpgsqlParameter("b", b.Id));
        Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
        cmd.CommandText = $"SELECT count(*) FROM {table} WHERE tenant_id = @a";
        cmd.Parameters.Clear();
        cmd.Parameters.Add(new NpgsqlParameter("a", a.Id));
        Assert.True((long)(await cmd.ExecuteScalarAsync())! >= 1);
    }

    [Fact]
    public async Task Commands_after_the_first_keep_the_tenant_and_a_shared_connection_is_set_for_each_context()
    {
        // After the first EF command sets the tenant for the session, later ones go without the prefix (cf14d).
        var (database, type, a, b, _, _) = await ArrangeAsync(nameof(Crm.Core.Metadata.TenantSettings));
        var sql = $"SELECT DISTINCT tenant_id AS \"Value\" FROM {type.GetTableName()}";
        await using var dbA = database.Factory.CreateForTenant(a.Id);
        await dbA.Database.OpenConnectionAsync();
        // The first command fails: its implicit transaction rolls the session setting back, so the next sets it again.
        await Assert.ThrowsAsync<PostgresException>(() => dbA.Database.SqlQueryRaw<int>("SELECT 1 / (SELECT count(*) FROM tenants WHERE false)::int AS \"Value\"").ToListAsync());
        for (var i = 0; i < 3; i++) Assert.Equal([a.Id], await dbA.Database.SqlQueryRaw<Guid>(sql).ToListAsync());
        // Another workspace's context on the same connection sets its own tenant; A's sets A again after it.
        await using (var dbB = database.Factory.CreateForTenant(b.Id))
        {
            dbB.Database.SetDbConnection(dbA.Database.GetDbConnection(), contextOwnsConnection: false);
            Assert.Equal([b.Id], await dbB.Database.SqlQueryRaw<Guid>(sql).ToListAsync());
            Assert.Equal([b.Id], await dbB.Database.SqlQueryRaw<Guid>(sql).ToListAsync());
        }
        Assert.Equal([a.Id], await dbA.Database.SqlQueryRaw<Guid>(sql).ToListAsync());
        // A global context on it sees no tenant rows; A again sees its own.
        await using (var global = database.Factory.CreateGlobal())
        {
            global.Database.SetDbConnection(dbA.Database.GetDbConnection(), contextOwnsConnection: false);
            Assert.Empty(await global.Database.SqlQueryRaw<Guid>(sql).ToListAsync());
        }
        Assert.Equal([a.Id], await dbA.Database.SqlQueryRaw<Guid>(sql).ToListAsync());
        // A failed command after the session was set: still A afterwards.
        await Assert.ThrowsAsync<PostgresException>(() => dbA.Database.SqlQueryRaw<int>("SELECT 1 / (SELECT count(*) FROM tenants WHERE false)::int AS \"Value\"").ToListAsync());
        Assert.Equal([a.Id], await dbA.Database.SqlQueryRaw<Guid>(sql).ToListAsync());
    }

    [Theory]
    [MemberData(nameof(Connections))]
    public async Task FromSql_with_the_filter_off_sees_only_its_own_tenant(string connection, string entity)
    {
        var (database, type, a, b, _, _) = await ArrangeAsync(connection, entity);
        var table = type.GetTableName()!;
        await using var dbA = database.Factory.CreateForTenant(a.Id);
        Assert.Equal(0, await TenantEntitySamples.CountFromSqlAsync(dbA, type, $"SELECT * FROM {table} WHERE tenant_id = {{0}}", b.Id));
        Assert.Equal(1, await TenantEntitySamples.CountFromSqlAsync(dbA, type, $"SELECT * FROM {table} WHERE tenant_id = {{0}}", a.Id));
    }

    [Theory]
    [MemberData(nameof(Connections))]
    public async Task A_global_context_sees_no_tenant_rows_even_without_the_filter(string connection, string entity)
    {
        var (database, type, _, _, rowOfA, _) = await ArrangeAsync(connection, entity);
        await using var global = database.Factory.CreateGlobal();
        Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(global, type, rowOfA, ignoreFilters: true));
    }

    [Theory]
    [MemberData(nameof(Connections))]
    public async Task The_policy_refuses_to_write_a_row_of_B_through_the_connection_of_A(string connection, string entity)
    {
        var (database, type, a, b, _, _) = await ArrangeAsync(connection, entity);
        var row = await TenantEntitySamples.CreateAsync(database, type, a.Id);

        // The SaveChanges guard passes (the row says A), then the row is re-stamped for B just before the SQL:
        // only the database policy stands between A's connection and B's data.
        await using (var dbA = new CrmDbContext(database.OptionsWith(new RestampInterceptor(b.Id)), a.Id))
        {
            dbA.Add(row);
            var e = await Assert.ThrowsAsync<DbUpdateException>(() => dbA.SaveChangesAsync());
            var pg = Assert.IsType<PostgresException>(e.GetBaseException());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, pg.SqlState);
        }
        await using var dbB = database.Factory.CreateForTenant(b.Id);
        Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(dbB, type, row, ignoreFilters: true));
    }

    [Theory]
    [MemberData(nameof(Connections))]
    public async Task The_policy_refuses_to_update_a_row_of_B_through_the_connection_of_A(string connection, string entity)
    {
        var (database, type, a, _, rowOfA, rowOfB) = await ArrangeAsync(connection, entity);
        await using var dbA = database.Factory.CreateForTenant(a.Id);
        var table = type.GetTableName()!;
        var id = TenantEntitySamples.KeyOf(type, rowOfB).Last();
        // A raw UPDATE that names B's row: RLS makes it invisible, so nothing is touched.
        Assert.Equal(0, await dbA.Database.ExecuteSqlRawAsync($"UPDATE {table} SET tenant_id = tenant_id WHERE id = {{0}}", id));
        Assert.Equal(0, await dbA.Database.ExecuteSqlRawAsync($"DELETE FROM {table} WHERE id = {{0}}", id));
        // A's own row: moving it to another tenant violates WITH CHECK.
        var e = await Assert.ThrowsAsync<PostgresException>(() => dbA.Database.ExecuteSqlRawAsync(
            $"UPDATE {table} SET tenant_id = {{0}} WHERE id = {{1}}", rowOfB.TenantId, TenantEntitySamples.KeyOf(type, rowOfA).Last()));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        await using var dbB = database.Factory.CreateForTenant(rowOfB.TenantId);
        Assert.Equal(1, await TenantEntitySamples.CountByKeyAsync(dbB, type, rowOfB));
    }

    [Fact]
    public async Task Every_tenant_table_has_forced_row_level_security_and_the_tenant_policy()
    {
        var database = await TestDatabase.GetAsync(DatabaseProvider.Postgres);
        await using var db = database.Factory.CreateGlobal();
        var tables = TenantEntitySamples.TenantEntityTypes(db.Model).Select(t => t.GetTableName()!).Distinct().ToList();
        Assert.NotEmpty(tables);

        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        var problems = new List<string>();
        foreach (var table in tables)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                SELECT c.relrowsecurity, c.relforcerowsecurity,
                       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname
                          AND p.policyname = @policy AND p.qual LIKE '%tenant_id%' AND p.with_check LIKE '%tenant_id%'
                          AND p.qual LIKE '%current_setting%' AND p.cmd = 'ALL')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relname = @table AND n.nspname = current_schema()
                """;
            cmd.Parameters.Add(new NpgsqlParameter("policy", RowLevelSecurity.PolicyName));
            cmd.Parameters.Add(new NpgsqlParameter("table", table));
            await using var reader = await cmd.ExecuteReaderAsync();
            if (!await reader.ReadAsync()) { problems.Add($"{table}: table not found"); continue; }
            if (!reader.GetBoolean(0)) problems.Add($"{table}: row level security is not enabled");
            if (!reader.GetBoolean(1)) problems.Add($"{table}: row level security is not forced (the owner would bypass it)");
            if (reader.GetInt64(2) != 1) problems.Add($"{table}: no policy \"{RowLevelSecurity.PolicyName}\" on tenant_id (use tools/add-rls.py)");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task The_test_role_is_subject_to_row_level_security()
    {
        var database = await TestDatabase.GetAsync(DatabaseProvider.Postgres);
        await using var db = database.Factory.CreateGlobal();
        var flags = await db.Database.SqlQueryRaw<bool>("SELECT (rolsuper OR rolbypassrls) AS \"Value\" FROM pg_roles WHERE rolname = current_user").SingleAsync();
        Assert.False(flags, "The PostgreSQL test role is a superuser or has BYPASSRLS: row-level security would not apply. Use a plain role (see .ci/run).");
    }

    /// <summary>Runs after the SaveChanges guard, before SQL is generated: stamps every added tenant row for another tenant.</summary>
    private sealed class RestampInterceptor(Guid tenantId) : SaveChangesInterceptor
    {
        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
        {
            foreach (var entry in eventData.Context!.ChangeTracker.Entries<ITenantOwned>().Where(e => e.State == EntityState.Added))
                entry.Entity.TenantId = tenantId;
            return ValueTask.FromResult(result);
        }
    }
}
