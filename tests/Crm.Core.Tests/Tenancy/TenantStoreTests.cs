using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Tenancy;

public class TenantStoreTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Finds_a_tenant_by_identifier_in_any_case_and_by_id(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var store = CoreServices.Create(database).GetRequiredService<ITenantStore>();
        var tenant = await database.CreateTenantAsync();

        Assert.Equal(tenant.Id, (await store.GetByIdentifierAsync(tenant.Identifier.ToUpperInvariant()))?.Id);
        Assert.Equal(tenant.Identifier, (await store.GetByIdAsync(tenant.Id))?.Identifier);
        Assert.Null(await store.GetByIdentifierAsync(TestData.NewSlug("missing")));
        Assert.Null(await store.GetByIdAsync(Guid.NewGuid()));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_api_key_is_found_by_its_secret_until_revoked(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var keys = CoreServices.Create(database).GetRequiredService<IApiKeyStore>();
        var tenant = await database.CreateTenantAsync();
        var (creator, _) = await database.CreateMemberAsync(tenant, MemberRole.Admin);
        var (key, secret) = await keys.CreateAsync(tenant.Id, "integration", MemberRole.Viewer, creator.Id);

        Assert.DoesNotContain(secret, key.Hash);
        var match = await keys.FindAsync(secret);
        Assert.Equal((tenant.Id, tenant.Identifier, MemberRole.Viewer), (match?.TenantId, match?.TenantIdentifier, match?.Role));
        Assert.Null(await keys.FindAsync(secret + "x"));

        await using (var db = database.Factory.CreateGlobal())
        {
            db.Attach(key);
            key.RevokedAt = DateTime.UtcNow;
            await db.SaveChangesAsync();
        }
        Assert.Null(await keys.FindAsync(secret));
    }
}
