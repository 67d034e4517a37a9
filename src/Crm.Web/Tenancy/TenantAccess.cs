using System.Security.Claims;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Web.Tenancy;

public enum TenantAccessOutcome
{
    /// <summary>The request names no tenant (public pages, account pages).</summary>
    NoTenant,
    /// <summary>A slug or host that names no workspace: 404.</summary>
    UnknownTenant,
    /// <summary>A workspace, but nobody signed in: pages redirect to sign-in, the API answers 401.</summary>
    Anonymous,
    /// <summary>Signed in, but not a member of this workspace: 403, and nothing of it is shown.</summary>
    NotMember,
    Allowed,
}

public sealed record TenantAccessResult(TenantAccessOutcome Outcome, TenantContext? Tenant = null, Actor? Actor = null);

/// <summary>
/// Decides who may enter which workspace. Used by the HTTP middleware and by the circuit's <c>TenantGate</c>, so
/// a first page load and a later in-circuit navigation follow the same rules.
/// </summary>
public sealed class TenantAccess(TenantResolver resolver, IApiKeyStore apiKeys, ICrmDbContextFactory factory, IOptions<TenancyOptions> options)
{
    public async Task<TenantAccessResult> EvaluateAsync(TenantResolutionRequest request, ClaimsPrincipal user, CancellationToken ct = default)
    {
        var resolution = await resolver.ResolveAsync(request, ct);
        if (resolution.IsUnknown) return new(TenantAccessOutcome.UnknownTenant);
        if (resolution.Context is not { } context) return new(TenantAccessOutcome.NoTenant);

        if (context.StrategyName == "api-key")
            return await ApiKeyAccessAsync(request, context, ct) ?? new(TenantAccessOutcome.NotMember, context);

        if (user.Identity?.IsAuthenticated != true || !Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            // /t/{slug}/api/… also takes a key of that workspace, so integrations can use the same URLs as the browser.
            if (request.Path.StartsWith('/') && Api.ApiPaths.IsApi(request.Path) && await ApiKeyAccessAsync(request, context, ct) is { } byKey) return byKey;
            return new(TenantAccessOutcome.Anonymous, context);
        }

        await using var db = factory.CreateGlobal();
        var member = await db.Memberships.AsNoTracking()
            .Where(m => m.TenantId == context.Tenant.Id && m.UserId == userId)
            .Select(m => new { m.Role, m.User!.DisplayName })
            .FirstOrDefaultAsync(ct);
        return member is null
            ? new(TenantAccessOutcome.NotMember, context)
            : new(TenantAccessOutcome.Allowed, context, new Actor(userId, member.DisplayName, context.Tenant, member.Role));
    }

    /// <summary>The request's API key, if it is usable now and belongs to this workspace: it acts with its current role.</summary>
    private async Task<TenantAccessResult?> ApiKeyAccessAsync(TenantResolutionRequest request, TenantContext context, CancellationToken ct)
    {
        var key = request.Header(options.Value.ApiKeyHeader) is { Length: > 0 } raw ? await apiKeys.FindAsync(raw, request.Origin, ct) : null;
        return key is null || key.TenantId != context.Tenant.Id ? null : new(TenantAccessOutcome.Allowed, context, key.ActorIn(context.Tenant));
    }
}
