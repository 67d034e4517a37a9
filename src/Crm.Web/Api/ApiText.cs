using Crm.Web.Resources;
using Microsoft.Extensions.Localization;

namespace Crm.Web.Api;

/// <summary>The caller's language for API error messages (the request culture: culture cookie, else Accept-Language).</summary>
public static class ApiText
{
    public static IStringLocalizer For(HttpContext http) => http.RequestServices.GetRequiredService<IStringLocalizer<Errors>>();
}
