using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Crm.Core.Tests.Data;

/// <summary>
/// The first wall, on both databases and for every tenant-owned entity in the model: the named query filter
/// and the SaveChanges guard. Rows are built generically by <see cref="TenantEntitySamples"/>.
/// </summary>
public class TenantIsolationTests
{
    public static IEnumerable<object[]> Cases => TenantEntitySamples.ProvidersAndEntities();

    private static async Task<(TestDatabase Db, IEntityType Type, TenantInfo A, TenantInfo B)> ArrangeAsync(string provider, string entity)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var probe = database.Factory.CreateGlobal();
        var type = TenantEntitySamples.Find(probe.Model, entity);
        return (database, type, await database.CreateTenantAsync("Alpha"), await database.CreateTenantAsync("Bravo"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_cannot_read_a_row_of_B_by_its_id(string provider, string entity)
    {
        var (database, type, a, b) = await ArrangeAsync(provider, entity);
        var rowOfB = await TenantEntitySamples.SaveAsync(database, type, b.Id);

        await using (var dbB = database.Factory.CreateForTenant(b.Id))
            Assert.Equal(1, await TenantEntitySamples.CountByKeyAsync(dbB, type, rowOfB));
        await using (var dbA = database.Factory.CreateForTenant(a.Id))
            Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(dbA, type, rowOfB));
        await using (var global = database.Factory.CreateGlobal())
            Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(global, type, rowOfB));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_cannot_update_a_row_of_B_by_attaching_it(string provider, string entity)
    {
        var (database, type, a, b) = await ArrangeAsync(provider, entity);
        var rowOfB = await TenantEntitySamples.SaveAsync(database, type, b.Id);

        await using var dbA = database.Factory.CreateForTenant(a.Id);
        dbA.Update(rowOfB);
        await Assert.ThrowsAsync<TenantMismatchException>(() => dbA.SaveChangesAsync());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_cannot_update_a_row_of_B_by_claiming_its_id(string provider, string entity)
    {
        var (database, type, a, b) = await ArrangeAsync(provider, entity);
        var rowOfB = await TenantEntitySamples.SaveAsync(database, type, b.Id);

        // Same id, stamped with A's tenant: the key (TenantId, Id) matches no row, so nothing of B changes.
        var forged = await TenantEntitySamples.CreateAsync(database, type, a.Id);
        type.FindProperty("Id")!.PropertyInfo!.SetValue(forged, type.FindProperty("Id")!.PropertyInfo!.GetValue(rowOfB));
        await using (var dbA = database.Factory.CreateForTenant(a.Id))
        {
            dbA.Update(forged);
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => dbA.SaveChangesAsync());
        }
        await using var dbB = database.Factory.CreateForTenant(b.Id);
        Assert.Equal(1, await TenantEntitySamples.CountByKeyAsync(dbB, type, rowOfB));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_cannot_delete_a_row_of_B(string provider, string entity)
    {
        var (database, type, a, b) = await ArrangeAsync(provider, entity);
        var rowOfB = await TenantEntitySamples.SaveAsync(database, type, b.Id);

        await using (var dbA = database.Factory.CreateForTenant(a.Id))
        {
            Assert.Equal(0, await TenantEntitySamples.ExecuteDeleteByKeyAsync(dbA, type, rowOfB));
            dbA.Remove(rowOfB);
            await Assert.ThrowsAsync<TenantMismatchException>(() => dbA.SaveChangesAsync());
        }
        await using var dbB = database.Factory.CreateForTenant(b.Id);
        Assert.Equal(1, await TenantEntitySamples.CountByKeyAsync(dbB, type, rowOfB));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_guard_stamps_the_tenant_on_a_new_row(string provider, string entity)
    {
        var (database, type, a, b) = await ArrangeAsync(provider, entity);
        // Parents (if any) belong to A; the row itself comes without a tenant.
        var row = await TenantEntitySamples.CreateAsync(database, type, a.Id);
        row.TenantId = Guid.Empty;

        await using (var dbA = database.Factory.CreateForTenant(a.Id))
        {
            dbA.Add(row);
            await dbA.SaveChangesAsync();
        }
        Assert.Equal(a.Id, row.TenantId);
        await using (var dbA = database.Factory.CreateForTenant(a.Id))
            Assert.Equal(1, await TenantEntitySamples.CountByKeyAsync(dbA, type, row));
        await using (var dbB = database.Factory.CreateForTenant(b.Id))
            Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(dbB, type, row));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_guard_refuses_a_new_row_of_another_tenant(string provider, string entity)
    {
        var (database, type, a, b) = await ArrangeAsync(provider, entity);
        var row = await TenantEntitySamples.CreateAsync(database, type, b.Id);

        await using (var dbA = database.Factory.CreateForTenant(a.Id))
        {
            dbA.Add(row);
            await Assert.ThrowsAsync<TenantMismatchException>(() => dbA.SaveChangesAsync());
        }
        await using var dbB = database.Factory.CreateForTenant(b.Id);
        Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(dbB, type, row));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_guard_refuses_tenant_rows_in_a_global_context(string provider, string entity)
    {
        var (database, type, _, b) = await ArrangeAsync(provider, entity);
        var row = await TenantEntitySamples.CreateAsync(database, type, b.Id);

        await using (var global = database.Factory.CreateGlobal())
        {
            global.Add(row);
            await Assert.ThrowsAsync<TenantMismatchException>(() => global.SaveChangesAsync());
        }
        await using var dbB = database.Factory.CreateForTenant(b.Id);
        Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(dbB, type, row));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_row_cannot_move_to_another_tenant(string provider, string entity)
    {
        var (database, type, a, b) = await ArrangeAsync(provider, entity);
        var rowOfA = await TenantEntitySamples.SaveAsync(database, type, a.Id);

        await using (var dbA = database.Factory.CreateForTenant(a.Id))
        {
            var tracked = (ITenantOwned)(await dbA.FindAsync(type.ClrType, TenantEntitySamples.KeyOf(type, rowOfA)))!;
            tracked.TenantId = b.Id;
            // TenantId is part of the key, so EF refuses the change itself; the guard refuses it where it is not.
            await Assert.ThrowsAnyAsync<InvalidOperationException>(() => dbA.SaveChangesAsync());
        }
        await using (var dbA = database.Factory.CreateForTenant(a.Id))
            Assert.Equal(1, await TenantEntitySamples.CountByKeyAsync(dbA, type, rowOfA));
        await using (var dbB = database.Factory.CreateForTenant(b.Id))
            Assert.Equal(0, await TenantEntitySamples.CountByKeyAsync(dbB, type, rowOfA));
    }

    [Fact]
    public void A_tenant_context_needs_a_tenant()
        => Assert.Throws<TenantRequiredException>(() => new CrmDbContextFactory(
            CrmDatabase.BuildOptions(DatabaseProvider.Sqlite, "Data Source=:memory:"), DatabaseProvider.Sqlite).CreateForTenant(Guid.Empty));
}
