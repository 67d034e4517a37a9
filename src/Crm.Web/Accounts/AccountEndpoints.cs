using Crm.Core.Accounts;
using Crm.Core.Audit;
using Crm.Web.Localization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Web.Accounts;

public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/account");

        // Completes a sign-in prepared by an interactive page (see SignInTickets).
        group.MapGet("/complete-signin", async (string? ticket, string? returnUrl, SignInTickets tickets,
            UserManager<ApplicationUser> users, SignInManager<ApplicationUser> signIn, SignInAudit audit, HttpContext http) =>
        {
            if (await tickets.RedeemAsync(ticket) is not { } redeemed) return Results.LocalRedirect("/account/login?expired=1");
            var user = await users.FindByIdAsync(redeemed.UserId.ToString());
            if (user is null) return Results.LocalRedirect("/account/login?expired=1");
            await signIn.SignInAsync(user, isPersistent: redeemed.Remember);
            var target = SafeReturn.Url(returnUrl);
            // Into the log of the workspace the person is going to (if a member), else the global sign-in table.
            await audit.RecordAsync(new SignInAttempt(true, user.Email ?? "", user.Id, target, Tenancy.TenantResolutionMiddleware.OriginOf(http)), http.RequestAborted);
            return Results.LocalRedirect(target);
        });

        // Sign-out is a POST with an antiforgery token (a GET could be triggered by any page).
        // A new security stamp ends every copy of the cookie too (see SecurityStampValidator in CrmWebHostExtensions).
        group.MapPost("/logout", async (SignInManager<ApplicationUser> signIn, UserManager<ApplicationUser> users, HttpContext http, [FromForm] string? returnUrl) =>
        {
            if (await users.GetUserAsync(http.User) is { } user) await users.UpdateSecurityStampAsync(user);
            await signIn.SignOutAsync();
            return Results.LocalRedirect(SafeReturn.Url(returnUrl ?? "/"));
        });
    }
}
