using Crm.Core.Accounts;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Tenancy;

public class ApiKeyServiceTests
{
    private sealed record Setup(TestDatabase Db, ServiceProvider Services, ApiKeyService Keys, ManualClock Clock, TenantInfo Tenant, Actor Owner);

    private static async Task<Setup> ArrangeAsync(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var services = CoreServices.Create(database, clock);
        var tenant = await database.CreateTenantAsync();
        var (_, owner) = await database.CreateMemberAsync(tenant, MemberRole.Owner);
        return new(database, services, services.GetRequiredService<ApiKeyService>(), clock, tenant, owner);
    }

    private static async Task<ApiKey> StoredAsync(TestDatabase db, Guid id)
    {
        await using var context = db.Factory.CreateGlobal();
        return await context.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == id);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_new_key_is_stored_as_a_hash_and_a_prefix_and_authenticates_with_its_scope(string provider)
    {
        var s = await ArrangeAsync(provider);

        var result = await s.Keys.CreateAsync(s.Owner, new ApiKeyRequest("  ERP sync  ", MemberRole.Member));

        Assert.True(result.Succeeded, result.Errors.ToString());
        var secret = result.Secret!;
        Assert.StartsWith("crm_", secret);
        Assert.Equal(4 + 64, secret.Length); // 256 random bits in hex
        var stored = await StoredAsync(s.Db, result.Key!.Id);
        Assert.Equal(ApiKey.HashKey(secret), stored.Hash);
        Assert.NotEqual(secret, stored.Hash);
        Assert.DoesNotContain(secret[ApiKey.VisiblePrefixLength..], stored.Hash + stored.Prefix + stored.Name);
        Assert.Equal((secret[..10], "ERP sync", MemberRole.Member, s.Owner.UserId), (stored.Prefix, stored.Name, stored.Role, stored.CreatedBy));

        var match = await s.Keys.FindAsync(secret);
        Assert.Equal((result.Key.Id, s.Tenant.Id, s.Tenant.Identifier, MemberRole.Member), (match?.ApiKeyId, match?.TenantId, match?.TenantIdentifier, match?.Role));
        var actor = match!.ActorIn(s.Tenant);
        Assert.Equal((result.Key.Id, s.Owner.UserId, MemberRole.Member, s.Tenant.Id), (actor.ApiKeyId, actor.UserId, actor.Role, actor.TenantId));
        Assert.Null(await s.Keys.FindAsync(secret + "0"));
        Assert.Null(await s.Keys.FindAsync(secret.ToUpperInvariant()));

        var listed = Assert.Single(await s.Keys.ListAsync(s.Owner));
        Assert.Equal((result.Key.Id, secret[..10], s.Owner.DisplayName), (listed.Id, listed.Prefix, listed.CreatedByName));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_revoked_key_is_refused_from_its_next_use(string provider)
    {
        var s = await ArrangeAsync(provider);
        var created = await s.Keys.CreateAsync(s.Owner, new ApiKeyRequest("to revoke", MemberRole.Admin));
        Assert.NotNull(await s.Keys.FindAsync(created.Secret!));
        Assert.Equal(MemberRole.Admin, await s.Keys.CurrentRoleAsync(s.Tenant.Id, created.Key!.Id));

        Assert.True(await s.Keys.RevokeAsync(s.Owner, created.Key.Id));

        Assert.Null(await s.Keys.FindAsync(created.Secret!));
        Assert.Null(await s.Keys.CurrentRoleAsync(s.Tenant.Id, created.Key.Id));
        Assert.NotNull(Assert.Single(await s.Keys.ListAsync(s.Owner)).RevokedAt);
        Assert.True(await s.Keys.RevokeAsync(s.Owner, created.Key.Id)); // again: no error, nothing changes
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_key_stops_at_its_expiry_and_an_expiry_in_the_past_is_refused(string provider)
    {
        var s = await ArrangeAsync(provider);
        var now = s.Clock.GetUtcNow().UtcDateTime;

        var past = await s.Keys.CreateAsync(s.Owner, new ApiKeyRequest("late", MemberRole.Viewer, now.AddMinutes(-1)));
        var created = await s.Keys.CreateAsync(s.Owner, new ApiKeyRequest("for a week", MemberRole.Viewer, now.AddDays(7)));

        Assert.False(past.Succeeded);
        Assert.Equal(["The expiry date must be in the future."], past.Errors.For("expiresAt"));
        Assert.NotNull(await s.Keys.FindAsync(created.Secret!));
        s.Clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        Assert.NotNull(await s.Keys.FindAsync(created.Secret!));
        s.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await s.Keys.FindAsync(created.Secret!));
        Assert.Null(await s.Keys.CurrentRoleAsync(s.Tenant.Id, created.Key!.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_viewer_key_cannot_write_a_member_key_can(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("b2b_sales_funnel");
        var keys = ws.Get<ApiKeyService>();
        var viewer = await keys.CreateAsync(ws.Owner, new ApiKeyRequest("reader", MemberRole.Viewer));
        var member = await keys.CreateAsync(ws.Owner, new ApiKeyRequest("writer", MemberRole.Member));
        var viewerActor = (await keys.FindAsync(viewer.Secret!))!.ActorIn(ws.Tenant);
        var memberActor = (await keys.FindAsync(member.Secret!))!.ActorIn(ws.Tenant);

        await Assert.ThrowsAsync<ForbiddenException>(() => ws.Records.CreateAsync(viewerActor, "company", RecordInput.Of(("name", "Key Co"))));
        var written = await ws.Records.CreateAsync(memberActor, "company", RecordInput.Of(("name", "Key Co")));

        Assert.True(written.Succeeded, written.Errors.ToString());
        Assert.Equal(ws.Owner.UserId, written.Record!.OwnerId); // on behalf of the key's creator
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Last_use_is_written_at_most_once_a_minute(string provider)
    {
        var s = await ArrangeAsync(provider);
        var created = await s.Keys.CreateAsync(s.Owner, new ApiKeyRequest("busy", MemberRole.Member));
        var start = s.Clock.GetUtcNow().UtcDateTime;
        Assert.Null((await StoredAsync(s.Db, created.Key!.Id)).LastUsedAt);

        await s.Keys.FindAsync(created.Secret!);
        var first = (await StoredAsync(s.Db, created.Key.Id)).LastUsedAt;
        s.Clock.Advance(TimeSpan.FromSeconds(40));
        await s.Keys.FindAsync(created.Secret!);
        var throttled = (await StoredAsync(s.Db, created.Key.Id)).LastUsedAt;
        s.Clock.Advance(TimeSpan.FromSeconds(30));
        await s.Keys.FindAsync(created.Secret!);
        var later = (await StoredAsync(s.Db, created.Key.Id)).LastUsedAt;

        Assert.NotNull(first);
        Assert.True(Math.Abs((first!.Value - start).TotalSeconds) < 1, $"{first} vs {start}");
        Assert.Equal(first, throttled);
        Assert.True(Math.Abs((later!.Value - start.AddSeconds(70)).TotalSeconds) < 1, $"{later} vs {start.AddSeconds(70)}");
        Assert.Equal(later, Assert.Single(await s.Keys.ListAsync(s.Owner)).LastUsedAt);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Nobody_mints_a_key_above_their_own_role_and_keys_do_not_mint_keys(string provider)
    {
        var s = await ArrangeAsync(provider);
        var (_, admin) = await s.Db.CreateMemberAsync(s.Tenant, MemberRole.Admin);
        var (_, member) = await s.Db.CreateMemberAsync(s.Tenant, MemberRole.Member);

        var adminOwnerKey = await s.Keys.CreateAsync(admin, new ApiKeyRequest("too high", MemberRole.Owner));
        var ownerOwnerKey = await s.Keys.CreateAsync(s.Owner, new ApiKeyRequest("owner scope", MemberRole.Owner));
        var unknown = await s.Keys.CreateAsync(s.Owner, new ApiKeyRequest("", (MemberRole)42));
        var adminKey = await s.Keys.CreateAsync(admin, new ApiKeyRequest("admin scope", MemberRole.Admin));

        Assert.Equal(["A key cannot have a role above your own (Admin)."], adminOwnerKey.Errors.For("role"));
        Assert.Equal(["Choose the key's role: Admin, Member or Viewer."], ownerOwnerKey.Errors.For("role"));
        Assert.NotEmpty(unknown.Errors.For("role"));
        Assert.NotEmpty(unknown.Errors.For("name"));
        Assert.True(adminKey.Succeeded);
        await Assert.ThrowsAsync<ForbiddenException>(() => s.Keys.CreateAsync(member, new ApiKeyRequest("mine", MemberRole.Viewer)));
        await Assert.ThrowsAsync<ForbiddenException>(() => s.Keys.ListAsync(member));
        await Assert.ThrowsAsync<ForbiddenException>(() => s.Keys.RevokeAsync(member, adminKey.Key!.Id));
        var keyActor = (await s.Keys.FindAsync(adminKey.Secret!))!.ActorIn(s.Tenant);
        await Assert.ThrowsAsync<ApiKeyManagementException>(() => s.Keys.CreateAsync(keyActor, new ApiKeyRequest("child", MemberRole.Viewer)));
        await Assert.ThrowsAsync<ApiKeyManagementException>(() => s.Keys.RevokeAsync(keyActor, adminKey.Key!.Id));
        await using var db = s.Db.Factory.CreateGlobal();
        Assert.Equal(["admin scope"], await db.ApiKeys.Where(k => k.TenantId == s.Tenant.Id).Select(k => k.Name).ToListAsync());
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Validation_messages_follow_the_ui_language(string provider)
    {
        var s = await ArrangeAsync(provider);
        var culture = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("zh-CN");
        try
        {
            var result = await s.Keys.CreateAsync(s.Owner, new ApiKeyRequest(new string('x', ApiKey.MaxNameLength + 1), MemberRole.Member));
            Assert.Equal([$"密钥名称最多 {ApiKey.MaxNameLength} 个字符。"], result.Errors.For("name"));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = culture;
        }
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_key_never_acts_above_its_creators_current_role(string provider)
    {
        var s = await ArrangeAsync(provider);
        var (adminUser, admin) = await s.Db.CreateMemberAsync(s.Tenant, MemberRole.Admin);
        var created = await s.Keys.CreateAsync(admin, new ApiKeyRequest("admin's", MemberRole.Admin));
        var members = s.Services.GetRequiredService<MembershipService>();

        await members.ChangeRoleAsync(s.Owner, adminUser.Id, MemberRole.Viewer);
        Assert.Equal(MemberRole.Viewer, (await s.Keys.FindAsync(created.Secret!))?.Role);
        Assert.Equal(MemberRole.Viewer, await s.Keys.CurrentRoleAsync(s.Tenant.Id, created.Key!.Id));

        await members.RemoveAsync(s.Owner, adminUser.Id);
        Assert.Null(await s.Keys.FindAsync(created.Secret!));
        Assert.Null(await s.Keys.CurrentRoleAsync(s.Tenant.Id, created.Key.Id));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task One_workspace_neither_lists_nor_revokes_the_keys_of_another(string provider)
    {
        var a = await ArrangeAsync(provider);
        var otherTenant = await a.Db.CreateTenantAsync();
        var (_, otherOwner) = await a.Db.CreateMemberAsync(otherTenant, MemberRole.Owner);
        var keyOfB = await a.Keys.CreateAsync(otherOwner, new ApiKeyRequest("b's", MemberRole.Member));

        Assert.False(await a.Keys.RevokeAsync(a.Owner, keyOfB.Key!.Id));
        Assert.Empty(await a.Keys.ListAsync(a.Owner));
        Assert.Null(await a.Keys.CurrentRoleAsync(a.Tenant.Id, keyOfB.Key.Id));
        Assert.Equal(otherTenant.Id, (await a.Keys.FindAsync(keyOfB.Secret!))?.TenantId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_key_stored_before_this_change_without_a_maker_keeps_working_with_its_scope(string provider)
    {
        var s = await ArrangeAsync(provider);
        // As rows were written before: a 192-bit secret, its SHA-256, no maker, no expiry or last use.
        var secret = "crm_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var legacy = new ApiKey { TenantId = s.Tenant.Id, Name = "old", Role = MemberRole.Member, Prefix = secret[..10], Hash = ApiKey.HashKey(secret) };
        await using (var db = s.Db.Factory.CreateGlobal())
        {
            db.ApiKeys.Add(legacy);
            await db.SaveChangesAsync();
        }

        var match = await s.Keys.FindAsync(secret);

        Assert.Equal((s.Tenant.Id, MemberRole.Member), (match?.TenantId, match?.Role));
        Assert.Equal(legacy.Id, match!.ActorIn(s.Tenant).UserId);
        Assert.Equal(MemberRole.Member, await s.Keys.CurrentRoleAsync(s.Tenant.Id, legacy.Id));
        Assert.True(await s.Keys.RevokeAsync(s.Owner, legacy.Id));
        Assert.Null(await s.Keys.FindAsync(secret));
    }
}
