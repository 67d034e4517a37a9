using Crm.Web.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Localization;
using MudBlazor;

namespace Crm.Web.Localization;

/// <summary>
/// Gives MudBlazor's components their text in the user's language from MudComponents.resx (zh-CN and en). A key
/// the files lack comes back "not found", and MudBlazor then shows its built-in English.
/// </summary>
public sealed class CrmMudLocalizer(IStringLocalizer<MudComponents> strings) : MudLocalizer
{
    public override LocalizedString this[string key] => strings[key];

    public override LocalizedString this[string key, params object[] arguments] => strings[key, arguments];

    /// <summary>Call after <c>AddMudServices</c>: replaces MudBlazor's English-only default localizer.</summary>
    public static IServiceCollection Register(IServiceCollection services)
    {
        services.AddLocalization();
        services.Replace(ServiceDescriptor.Transient<MudLocalizer, CrmMudLocalizer>());
        return services;
    }
}
