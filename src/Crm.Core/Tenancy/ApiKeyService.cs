using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Resources;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;

namespace Crm.Core.Tenancy;

/// <summary>What an admin asks for: a name, a scope (role) and an optional expiry (UTC).</summary>
public sealed record ApiKeyRequest(string? Name, MemberRole Role, DateTime? ExpiresAt = null);

/// <summary>A key as lists show it: never its secret or hash.</summary>
public sealed record ApiKeyView(Guid Id, string Name, string Prefix, MemberRole Role, Guid CreatedBy, string? CreatedByName,
    DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt, DateTime? RevokedAt)
{
    public bool IsActive(DateTime now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>A key just made: <see cref="Secret"/> is shown this once and never again.</summary>
public sealed record ApiKeyResult(ValidationErrors Errors, ApiKeyView? Key = null, string? Secret = null)
{
    public bool Succeeded => Errors.IsEmpty && Key is not null && Secret is not null;
}

/// <summary>
/// API keys of a workspace: admins make, list and revoke them; every API request with a key is checked here
/// against the key's current state (revoked, expired, its creator's current role), so a revoked key fails on
/// its next request. Errors are keyed by the API's JSON names: <c>name</c>, <c>role</c>, <c>expiresAt</c>.
/// </summary>
public sealed class ApiKeyService(ICrmDbContextFactory factory, TimeProvider clock, IStringLocalizer<CoreStrings> t, ILogger<ApiKeyService> logger, AuditTrail audit) : IApiKeyStore
{
    /// <summary>Last use is written at most this often per key: a read per request, a write per minute at most.</summary>
    public static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    /// <summary>The roles a key may have: anything but Owner, which is a person's role.</summary>
    public static readonly IReadOnlyList<MemberRole> Scopes = [MemberRole.Admin, MemberRole.Member, MemberRole.Viewer];

    public async Task<ApiKeyResult> CreateAsync(Actor actor, ApiKeyRequest request, CancellationToken ct = default)
    {
        RequireKeyAdmin(actor);
        var current = await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var errors = new ValidationErrors();
        var name = request.Name?.Trim() ?? "";
        if (name.Length == 0) errors.Add("name", t["ApiKey.NameRequired"]);
        else if (name.Length > ApiKey.MaxNameLength) errors.Add("name", t["ApiKey.NameTooLong", ApiKey.MaxNameLength]);
        if (!Enum.IsDefined(request.Role)) errors.Add("role", t["ApiKey.RoleInvalid"]);
        else if (request.Role > current) errors.Add("role", t["ApiKey.RoleAboveYours", t[$"ApiKey.Role.{current}"].Value]);
        else if (!Scopes.Contains(request.Role)) errors.Add("role", t["ApiKey.RoleInvalid"]);
        var expiresAt = request.ExpiresAt is { } e ? AsUtc(e) : (DateTime?)null;
        if (expiresAt is { } x && x <= now) errors.Add("expiresAt", t["ApiKey.ExpiryPast"]);
        if (!errors.IsEmpty) return new ApiKeyResult(errors);

        var (key, secret) = await AddAsync(actor.TenantId, name, request.Role, actor.UserId, expiresAt, now, ct, actor);
        logger.LogInformation("API key {KeyId} ({Prefix}, {Role}) made in workspace {TenantId} by {UserId}", key.Id, key.Prefix, key.Role, actor.TenantId, actor.UserId);
        return new ApiKeyResult(errors, View(key, actor.DisplayName), secret);
    }

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        RequireKeyAdmin(actor);
        await using var db = factory.CreateGlobal();
        return await db.ApiKeys.AsNoTracking()
            .Where(k => k.TenantId == actor.TenantId)
            .OrderByDescending(k => k.CreatedAt)
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Prefix, k.Role, k.CreatedBy,
                db.Users.Where(u => u.Id == k.CreatedBy).Select(u => u.DisplayName).FirstOrDefault(),
                k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(ct);
    }

    /// <summary>Revokes a key of the actor's workspace; it fails from its next request on. False when there is no such key here.</summary>
    public async Task<bool> RevokeAsync(Actor actor, Guid keyId, CancellationToken ct = default)
    {
        RequireKeyAdmin(actor);
        await factory.RequireCurrentAsync(actor, MemberRole.Admin, ct);
        // The workspace's context: the key is a global row, its audit entry a tenant row, one SaveChanges.
        await using var db = factory.CreateForTenant(actor.TenantId);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId && k.TenantId == actor.TenantId, ct);
        if (key is null) return false;
        if (key.RevokedAt is null)
        {
            key.RevokedAt = clock.GetUtcNow().UtcDateTime;
            audit.Stage(db, actor, new AuditEvent(AuditActions.ApiKeyRevoked, AuditActions.Targets.ApiKey, key.Id.ToString(),
                $"{key.Name} ({key.Prefix}…)", new JsonObject { ["role"] = key.Role.ToString() }));
            await db.SaveChangesAsync(ct);
            logger.LogInformation("API key {KeyId} ({Prefix}) revoked in workspace {TenantId} by {UserId}", key.Id, key.Prefix, actor.TenantId, actor.UserId);
        }
        return true;
    }

    /// <summary>
    /// The key with this secret, if usable now. It acts with its scope, but never above its creator's current
    /// role: a demoted admin's keys are demoted with them, and a removed member's keys stop working. Notes the
    /// use, at most once per <see cref="LastUseResolution"/>.
    /// </summary>
    public Task<ApiKeyMatch?> FindAsync(string key, CancellationToken ct = default) => FindAsync(key, null, ct);

    /// <summary>
    /// As <see cref="FindAsync(string, CancellationToken)"/>; the first request of a key in each clock hour also writes
    /// one <see cref="AuditActions.ApiKeyUsed"/> entry (not one per request), with <paramref name="origin"/>.
    /// </summary>
    public async Task<ApiKeyMatch?> FindAsync(string key, RequestOrigin? origin, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > 200) return null;
        var hash = ApiKey.HashKey(key.Trim());
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = factory.CreateGlobal();
        var found = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null && (k.ExpiresAt == null || k.ExpiresAt > now))
            .Join(db.Tenants, k => k.TenantId, tenant => tenant.Id, (k, tenant) => new
            {
                k.Id, k.TenantId, tenant.Identifier, k.Role, k.Name, k.Prefix, k.LastUsedAt, k.CreatedBy,
                CreatorRole = db.Memberships.Where(m => m.TenantId == k.TenantId && m.UserId == k.CreatedBy).Select(m => (MemberRole?)m.Role).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(ct);
        if (found is null || EffectiveRole(found.Role, found.CreatedBy, found.CreatorRole) is not { } role) return null;

        var firstUseThisHour = false;
        var hourStart = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc);
        var cutoff = now - LastUseResolution;
        if (found.LastUsedAt is null || found.LastUsedAt < hourStart)
        {
            // The first use in this clock hour: of several instances or parallel requests exactly one moves
            // last_used_at past the hour's start, and that one reports it (the audit log notes key use hourly).
            firstUseThisHour = await db.ApiKeys.Where(k => k.Id == found.Id && (k.LastUsedAt == null || k.LastUsedAt < hourStart))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct) == 1;
        }
        else if (found.LastUsedAt < cutoff)
        {
            // Conditional, so that of several instances or parallel requests only one writes per minute.
            await db.ApiKeys.Where(k => k.Id == found.Id && (k.LastUsedAt == null || k.LastUsedAt < cutoff))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct);
        }
        var match = new ApiKeyMatch(found.Id, found.TenantId, found.Identifier, role) { Name = found.Name, CreatedBy = found.CreatedBy, FirstUseThisHour = firstUseThisHour };
        if (firstUseThisHour)
        {
            var tenant = new TenantInfo { Id = found.TenantId, Identifier = found.Identifier };
            await audit.WriteAsync(match.ActorIn(tenant) with { Origin = origin }, new AuditEvent(AuditActions.ApiKeyUsed, AuditActions.Targets.ApiKey,
                found.Id.ToString(), $"{found.Name} ({found.Prefix}…)", new JsonObject { ["role"] = role.ToString() }), ct);
        }
        return match;
    }

    /// <summary>
    /// The role a key acts with right now, or null when it may no longer act (revoked, expired, creator gone):
    /// for checks at the moment of a write, as members' roles are checked then.
    /// </summary>
    public async Task<MemberRole?> CurrentRoleAsync(Guid tenantId, Guid keyId, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = factory.CreateGlobal();
        var found = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Id == keyId && k.TenantId == tenantId && k.RevokedAt == null && (k.ExpiresAt == null || k.ExpiresAt > now))
            .Select(k => new
            {
                k.Role,
                k.CreatedBy,
                CreatorRole = db.Memberships.Where(m => m.TenantId == k.TenantId && m.UserId == k.CreatedBy).Select(m => (MemberRole?)m.Role).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(ct);
        return found is null ? null : EffectiveRole(found.Role, found.CreatedBy, found.CreatorRole);
    }

    /// <summary>
    /// The key's scope, lowered to its maker's current role; null when the maker is no longer a member. Keys stored
    /// before makers were recorded (<see cref="Guid.Empty"/>) keep acting with their scope, as they did.
    /// </summary>
    private static MemberRole? EffectiveRole(MemberRole scope, Guid createdBy, MemberRole? creatorRole)
    {
        if (createdBy == Guid.Empty) return scope;
        if (creatorRole is not { } maker) return null;
        return scope < maker ? scope : maker;
    }

    public async Task<(ApiKey Key, string Secret)> CreateAsync(Guid tenantId, string name, MemberRole role, Guid createdBy, CancellationToken ct = default)
        => await AddAsync(tenantId, name, role, createdBy, null, clock.GetUtcNow().UtcDateTime, ct);

    private async Task<(ApiKey Key, string Secret)> AddAsync(Guid tenantId, string name, MemberRole role, Guid createdBy, DateTime? expiresAt, DateTime now, CancellationToken ct, Actor? actor = null)
    {
        var secret = ApiKey.NewSecret();
        var key = new ApiKey
        {
            TenantId = tenantId, Name = name, Role = role, CreatedBy = createdBy, CreatedAt = now, ExpiresAt = expiresAt,
            Prefix = secret[..ApiKey.VisiblePrefixLength], Hash = ApiKey.HashKey(secret),
        };
        await using var db = actor is null ? factory.CreateGlobal() : factory.CreateForTenant(actor.TenantId);
        db.ApiKeys.Add(key);
        if (actor is not null)
            audit.Stage(db, actor, new AuditEvent(AuditActions.ApiKeyCreated, AuditActions.Targets.ApiKey, key.Id.ToString(),
                $"{key.Name} ({key.Prefix}…)", new JsonObject { ["role"] = role.ToString(), ["expiresAt"] = expiresAt?.ToString("O") }));
        await db.SaveChangesAsync(ct);
        return (key, secret);
    }

    /// <summary>
    /// Admins manage keys; a key itself may not, even an Admin key: a leaked key could otherwise mint new keys
    /// and outlive its own revocation.
    /// </summary>
    private static void RequireKeyAdmin(Actor actor)
    {
        actor.Require(MemberRole.Admin);
        if (actor.ApiKeyId is not null) throw new ApiKeyManagementException();
    }

    private static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    private static ApiKeyView View(ApiKey k, string? createdByName)
        => new(k.Id, k.Name, k.Prefix, k.Role, k.CreatedBy, createdByName, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt);
}

/// <summary>An API key tried to manage API keys: only signed-in admins may (HTTP 403).</summary>
public sealed class ApiKeyManagementException() : Exception("API keys cannot manage API keys; sign in as an admin of the workspace.");
