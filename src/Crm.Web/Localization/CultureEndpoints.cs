using Microsoft.AspNetCore.Localization;

namespace Crm.Web.Localization;

public static class CultureEndpoints
{
    /// <summary><c>/culture/set?culture=en&amp;returnUrl=/t/acme</c>: stores the choice in the culture cookie and returns.</summary>
    public static void MapCultureEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/culture/set", (HttpContext http, string? culture, string? returnUrl) =>
        {
            var chosen = CultureSetup.Normalize(culture);
            http.Response.Cookies.Append(
                CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = false });
            return Results.LocalRedirect(SafeReturn.Url(returnUrl));
        });
    }
}

/// <summary>Only local paths are followed after sign-in or a language switch (no open redirects).</summary>
public static class SafeReturn
{
    /// <remarks>A control character (CR, LF, NUL …) could split the Location header: such a URL is not followed either.</remarks>
    public static string Url(string? returnUrl)
        => !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
           && !returnUrl.Any(char.IsControl) && !Crm.Core.Text.StorableText.IsUnstorable(returnUrl)
            ? returnUrl
            : "/";
}
