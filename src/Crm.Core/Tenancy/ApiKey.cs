using System.Security.Cryptography;
using System.Text;
using Crm.Core.Data;

namespace Crm.Core.Tenancy;

/// <summary>
/// An integration key of one workspace. Global because it is how a request finds its tenant
/// (<see cref="ApiKeyStrategy"/>). The secret is shown once when the key is made; the database keeps only its
/// SHA-256 <see cref="Hash"/> and a short <see cref="Prefix"/> people recognise it by.
/// </summary>
[GlobalEntity("Resolves an API request to its tenant before any tenant is known.")]
public sealed class ApiKey
{
    /// <summary>Every secret starts with this, so scanners and people can tell what a leaked string is.</summary>
    public const string SecretPrefix = "crm_";
    /// <summary>Characters of the secret kept in <see cref="Prefix"/>: <c>crm_</c> and six hex digits (24 bits, no help in guessing).</summary>
    public const int VisiblePrefixLength = 10;
    public const int MaxNameLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public string Name { get; set; } = "";
    /// <summary>The first characters, shown in lists so people can tell keys apart.</summary>
    public string Prefix { get; set; } = "";
    public string Hash { get; set; } = "";
    /// <summary>The scope: the role the key acts with (Admin, Member or Viewer; never above its creator's).</summary>
    public MemberRole Role { get; set; } = MemberRole.Member;
    public Guid CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>When set, the key stops working at this instant (UTC).</summary>
    public DateTime? ExpiresAt { get; set; }
    /// <summary>The last request made with the key, to the minute (<see cref="ApiKeyService.LastUseResolution"/>).</summary>
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }

    public bool IsActive(DateTime now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);

    /// <summary>256 random bits as 64 hex digits after <see cref="SecretPrefix"/>.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// SHA-256, not a slow password hash: the secret is 256 random bits, so there is nothing to guess that a slow
    /// hash would protect, and every API request looks the key up by its hash (an indexed equality).
    /// </summary>
    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

/// <summary>
/// A key that may be used now: which workspace, and the role it acts with (its scope, lowered to its creator's
/// current role; see <see cref="ApiKeyService.FindAsync"/>).
/// </summary>
public sealed record ApiKeyMatch(Guid ApiKeyId, Guid TenantId, string TenantIdentifier, MemberRole Role)
{
    public string Name { get; init; } = "";
    /// <summary>The member who made the key: the key acts on their behalf.</summary>
    public Guid CreatedBy { get; init; }
    /// <summary>This request is the key's first in the current clock hour (exactly one request per hour sees true): write the audit entry for key use.</summary>
    public bool FirstUseThisHour { get; init; }

    /// <summary>
    /// The key as the actor of a request in <paramref name="tenant"/>: on behalf of its creator (so records it
    /// makes are owned by a member of the workspace), with the key's role and marked by <see cref="Security.Actor.ApiKeyId"/>.
    /// </summary>
    public Security.Actor ActorIn(TenantInfo tenant)
        => new(CreatedBy == Guid.Empty ? ApiKeyId : CreatedBy, Name.Length > 0 ? $"{Name} (API)" : "API", tenant, Role) { ApiKeyId = ApiKeyId };
}

/// <summary>Finds the key of a request; implemented by <see cref="ApiKeyService"/>.</summary>
public interface IApiKeyStore
{
    /// <summary>The key with this secret if it is usable now (not revoked, not expired, creator still a member); else null.</summary>
    Task<ApiKeyMatch?> FindAsync(string key, CancellationToken ct = default);

    /// <summary>As above; the first use of a key in each clock hour is written to the audit log with this origin.</summary>
    Task<ApiKeyMatch?> FindAsync(string key, Security.RequestOrigin? origin, CancellationToken ct = default) => FindAsync(key, ct);

    /// <summary>A key made without the checks of <see cref="ApiKeyService.CreateAsync"/> (seeding, tests).</summary>
    Task<(ApiKey Key, string Secret)> CreateAsync(Guid tenantId, string name, MemberRole role, Guid createdBy, CancellationToken ct = default);
}
