using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Security;
using Crm.Core.Tenancy;

namespace Crm.Testing;

/// <summary>Tenants, users and memberships with fresh ids, so tests never see each other's rows.</summary>
public static class TestData
{
    /// <summary>A Chinese workspace name no other test uses ("天山一火科技"), so the slug derived from it starts free.</summary>
    public static string NewChineseName()
    {
        const string hanzi = "一二三四五六七八九十天地人山水火";
        var hex = Guid.NewGuid().ToString("N");
        return string.Concat(hex.Take(6).Select(c => hanzi[Convert.ToInt32(c.ToString(), 16)])) + "科技";
    }

    /// <summary>A slug that passes <see cref="SlugRules"/> and is unique per call.</summary>
    public static string NewSlug(string prefix = "ws") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, SlugRules.MaxLength)];

    public static string NewEmail(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@example.test";

    public static async Task<TenantInfo> CreateTenantAsync(this TestDatabase database, string? name = null)
    {
        var slug = NewSlug();
        var tenant = new TenantInfo { Identifier = slug, Name = name ?? $"Workspace {slug}", DefaultCulture = "en" };
        await using var db = database.Factory.CreateGlobal();
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync();
        return tenant;
    }

    public static async Task<ApplicationUser> CreateUserAsync(this TestDatabase database, string? displayName = null)
    {
        var email = NewEmail();
        var user = new ApplicationUser
        {
            UserName = email, NormalizedUserName = email.ToUpperInvariant(),
            Email = email, NormalizedEmail = email.ToUpperInvariant(),
            DisplayName = displayName ?? email, SecurityStamp = Guid.NewGuid().ToString(),
        };
        await using var db = database.Factory.CreateGlobal();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    public static async Task<Actor> AddMemberAsync(this TestDatabase database, TenantInfo tenant, ApplicationUser user, MemberRole role)
    {
        await using var db = database.Factory.CreateGlobal();
        db.Memberships.Add(new TenantMembership { TenantId = tenant.Id, UserId = user.Id, Role = role });
        await db.SaveChangesAsync();
        return new Actor(user.Id, user.DisplayName, tenant, role);
    }

    /// <summary>A new user who is a member of <paramref name="tenant"/> with <paramref name="role"/>.</summary>
    public static async Task<(ApplicationUser User, Actor Actor)> CreateMemberAsync(this TestDatabase database, TenantInfo tenant, MemberRole role)
    {
        var user = await database.CreateUserAsync();
        return (user, await database.AddMemberAsync(tenant, user, role));
    }
}
