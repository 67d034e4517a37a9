using System.Security.Cryptography;
using System.Text;
using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tenancy;

/// <summary>
/// An integration key. Global because it is how a request finds its tenant (<see cref="ApiKeyStrategy"/>);
/// it stores a hash, never the key.
/// </summary>
[GlobalEntity("Resolves an API request to its tenant before any tenant is known.")]
public sealed class ApiKey
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public string Name { get; set; } = "";
    /// <summary>The first characters, shown in lists so people can tell keys apart.</summary>
    public string Prefix { get; set; } = "";
    public string Hash { get; set; } = "";
    public MemberRole Role { get; set; } = MemberRole.Member;
    public Guid CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? RevokedAt { get; set; }

    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

public sealed record ApiKeyMatch(Guid ApiKeyId, Guid TenantId, string TenantIdentifier, MemberRole Role);

public interface IApiKeyStore
{
    Task<ApiKeyMatch?> FindAsync(string key, CancellationToken ct = default);
    Task<(ApiKey Key, string Secret)> CreateAsync(Guid tenantId, string name, MemberRole role, Guid createdBy, CancellationToken ct = default);
}

public sealed class EfApiKeyStore(ICrmDbContextFactory factory) : IApiKeyStore
{
    public async Task<ApiKeyMatch?> FindAsync(string key, CancellationToken ct = default)
    {
        var hash = ApiKey.HashKey(key);
        await using var db = factory.CreateGlobal();
        return await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Join(db.Tenants, k => k.TenantId, t => t.Id, (k, t) => new ApiKeyMatch(k.Id, t.Id, t.Identifier, k.Role))
            .FirstOrDefaultAsync(ct);
    }

    public async Task<(ApiKey Key, string Secret)> CreateAsync(Guid tenantId, string name, MemberRole role, Guid createdBy, CancellationToken ct = default)
    {
        var secret = "crm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var key = new ApiKey { TenantId = tenantId, Name = name, Role = role, Prefix = secret[..10], Hash = ApiKey.HashKey(secret), CreatedBy = createdBy };
        await using var db = factory.CreateGlobal();
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return (key, secret);
    }
}
