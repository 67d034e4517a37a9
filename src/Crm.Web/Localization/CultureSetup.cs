using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace Crm.Web.Localization;

/// <summary>zh-CN and en. The choice comes from the culture cookie (the language switch), else the browser.</summary>
public static class CultureSetup
{
    public static readonly string[] Supported = ["zh-CN", "en"];
    public const string Default = "zh-CN";

    public static void Configure(RequestLocalizationOptions options)
    {
        var cultures = Supported.Select(c => new CultureInfo(c)).ToList();
        options.DefaultRequestCulture = new RequestCulture(Default);
        options.SupportedCultures = cultures;
        options.SupportedUICultures = cultures;
        options.FallBackToParentCultures = true;
        options.FallBackToParentUICultures = true;
        // Query string is left out: a shared link should not switch the reader's language.
        options.RequestCultureProviders =
        [
            new CookieRequestCultureProvider(),
            new AcceptLanguageHeaderRequestCultureProvider(),
        ];
    }

    public static string Normalize(string? culture) => culture switch
    {
        not null when culture.StartsWith("en", StringComparison.OrdinalIgnoreCase) => "en",
        not null when culture.StartsWith("zh", StringComparison.OrdinalIgnoreCase) => "zh-CN",
        _ => Default,
    };
}
