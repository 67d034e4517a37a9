using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Crm.Core.Tests.Data;

// Raw SQL on purpose: it bypasses the EF filter, so only row-level security decides what is seen.
#pragma warning disable EF1002

/// <summary>
/// Row-level security behind PgBouncer in transaction mode (the isolation tests also run through it: the
/// "pgbouncer" cases of <see cref="TenantIsolationTests"/> and <see cref="RowLevelSecurityTests"/>). Here: many
/// tenants at once over a pool of three server connections, so a setting that outlived its transaction would show.
/// </summary>
public class PgBouncerTests
{
    [Fact]
    public async Task Many_tenants_at_once_over_three_server_connections_each_see_only_their_own_tenant()
    {
        var database = await TestDatabase.GetAsync(Providers.PgBouncer);
        Assert.True(database.TransactionPooling);
        var tenants = new List<TenantInfo>();
        for (var i = 0; i < 8; i++) tenants.Add(await database.CreateTenantAsync($"Bouncer {i}"));
        foreach (var tenant in tenants) await SaveRowAsync(database, tenant.Id);

        var wrong = 0;
        await Task.WhenAll(tenants.Select(tenant => Task.Run(async () =>
        {
            for (var round = 0; round < 15; round++)
            {
                // One context (one client connection) per round, and statements outside any explicit transaction:
                // PgBouncer may give each statement another server connection.
                await using var db = database.Factory.CreateForTenant(tenant.Id);
                var setting = await db.Database.SqlQueryRaw<string>(
                    $"SELECT current_setting('{PostgresTenantSessionInterceptor.SettingName}', true) AS \"Value\"").SingleAsync();
                var seen = await db.Database.SqlQueryRaw<Guid>("SELECT DISTINCT tenant_id AS \"Value\" FROM saved_views").ToListAsync();
                if (setting != tenant.Id.ToString() || seen.Count != 1 || seen[0] != tenant.Id) Interlocked.Increment(ref wrong);
            }
        })));
        Assert.Equal(0, wrong);
    }

    [Fact]
    public async Task A_global_context_behind_the_bouncer_sees_no_tenant_rows_even_right_after_tenant_work()
    {
        var database = await TestDatabase.GetAsync(Providers.PgBouncer);
        var tenant = await database.CreateTenantAsync();
        for (var i = 0; i < PgBouncer.ServerPoolSize * 2; i++)
        {
            await SaveRowAsync(database, tenant.Id);
            await using var global = database.Factory.CreateGlobal();
            Assert.Equal(0, await global.Database.SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM saved_views").SingleAsync());
        }
    }

    [Fact]
    public async Task Ado_commands_that_bypass_EF_see_nothing_outside_a_transaction_and_their_tenant_inside_one()
    {
        var database = await TestDatabase.GetAsync(Providers.PgBouncer);
        var tenant = await database.CreateTenantAsync();
        await SaveRowAsync(database, tenant.Id);

        await using var db = database.Factory.CreateForTenant(tenant.Id);
        await db.Database.OpenConnectionAsync();
        await using (var outside = db.Database.GetDbConnection().CreateCommand())
        {
            outside.CommandText = "SELECT count(*) FROM saved_views";
            Assert.Equal(0L, (long)(await outside.ExecuteScalarAsync())!); // no session setting behind PgBouncer: fails closed
        }

        await using var transaction = await db.Database.BeginTransactionAsync();
        await using var inside = db.Database.GetDbConnection().CreateCommand();
        inside.Transaction = transaction.GetDbTransaction();
        inside.CommandText = "SELECT count(DISTINCT tenant_id) FROM saved_views WHERE tenant_id = @t";
        inside.Parameters.Add(new NpgsqlParameter("t", tenant.Id));
        Assert.Equal(1L, (long)(await inside.ExecuteScalarAsync())!);
    }

    /// <summary>Saves one row of a tenant table for <paramref name="tenantId"/> (built by <see cref="TenantEntitySamples"/>).</summary>
    private static async Task SaveRowAsync(TestDatabase database, Guid tenantId)
    {
        await using var probe = database.Factory.CreateGlobal();
        await TenantEntitySamples.SaveAsync(database, TenantEntitySamples.Find(probe.Model, "SavedView"), tenantId);
    }
}
