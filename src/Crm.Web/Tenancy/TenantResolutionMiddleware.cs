using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Web.Api;
using Microsoft.Extensions.Options;

namespace Crm.Web.Tenancy;

/// <summary>
/// Resolves the tenant of every HTTP request (route prefix, then host, then API key), stores it and the actor in
/// the request scope, and answers for the cases that must never reach a page: unknown workspace (404),
/// not a member or role too low (403), anonymous API call (401).
/// Runs after authentication (to know the user) but the strategies themselves never depend on it.
/// </summary>
public sealed class TenantResolutionMiddleware(RequestDelegate next, IOptions<TenancyOptions> options)
{
    public async Task InvokeAsync(HttpContext http, TenantAccess access, ITenantContextSetter tenantSetter, IActorAccessor actors, IRequestOriginAccessor origins, ILogger<TenantResolutionMiddleware> logger)
    {
        // Where the request comes from, for the audit log (after UseForwardedHeaders when behind a proxy).
        var origin = OriginOf(http);
        origins.Set(origin);
        var request = new TenantResolutionRequest(http.Request.Path.Value ?? "/", http.Request.Host.Host,
            name => http.Request.Headers.TryGetValue(name, out var v) ? v.ToString() : null) { Origin = origin };
        var result = await access.EvaluateAsync(request, http.User, http.RequestAborted);
        var isApi = ApiPaths.IsApi(http.Request.Path);

        switch (result.Outcome)
        {
            case TenantAccessOutcome.NoTenant:
                await next(http);
                return;
            case TenantAccessOutcome.UnknownTenant:
                await Refuse(http, StatusCodes.Status404NotFound, isApi);
                return;
            case TenantAccessOutcome.NotMember:
                await Refuse(http, StatusCodes.Status403Forbidden, isApi);
                return;
            case TenantAccessOutcome.Anonymous when isApi:
                await Refuse(http, StatusCodes.Status401Unauthorized, isApi);
                return;
        }

        tenantSetter.Set(result.Tenant);
        actors.Set(result.Actor is { } acting ? acting with { Origin = origin } : null);

        // With a host domain configured, acme.example.com/ opens the workspace's home.
        if (result.Tenant!.StrategyName == "host" && http.Request.Path == "/" && HttpMethods.IsGet(http.Request.Method))
        {
            http.Response.Redirect($"/{options.Value.RoutePrefix}/{result.Tenant.Tenant.Identifier}");
            return;
        }

        var required = http.GetEndpoint()?.Metadata.GetMetadata<RequireTenantRoleAttribute>();
        if (required is not null && result.Actor is { } actor && !actor.Role.IsAtLeast(required.Minimum))
        {
            await Refuse(http, StatusCodes.Status403Forbidden, isApi);
            return;
        }
        // Every log line of the request carries the workspace (next to the TraceId/SpanId scope of the host), so
        // logs of several instances can be filtered per workspace (Logging:Format=json writes scopes as fields).
        using (logger.BeginScope(new Dictionary<string, object> { ["TenantId"] = result.Tenant.Tenant.Id }))
            await next(http);
    }

    public static RequestOrigin OriginOf(HttpContext http)
        => RequestOrigin.Of(http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString());

    private static Task Refuse(HttpContext http, int status, bool isApi)
    {
        http.Response.StatusCode = status;
        // Pages get the localized status page through UseStatusCodePagesWithReExecute; the API gets problem details.
        return isApi ? Results.Problem(statusCode: status).ExecuteAsync(http) : Task.CompletedTask;
    }
}
