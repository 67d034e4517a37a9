using System.Globalization;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Crm.Web.Tests.Components;

/// <summary>
/// A bUnit context with MudBlazor's services, loose JS interop and localization, in a chosen UI culture.
/// Dispose with <c>await DisposeAsync()</c>: MudBlazor has async-only disposables.
/// </summary>
public sealed class ComponentTestContext : IAsyncDisposable
{
    private readonly CultureInfo _culture, _uiCulture;

    // bUnit waits one second by default; components here wait on real databases, and CI machines run the test
    // projects side by side. A wait ends as soon as its assertion holds, so a longer limit only slows failures.
    static ComponentTestContext() => BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(10);

    public ComponentTestContext(string culture = "en", Action<IServiceCollection>? services = null)
    {
        (_culture, _uiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);
        Bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        Bunit.Services.AddMudServices();
        Bunit.Services.AddLocalization();
        Crm.Web.Localization.CrmMudLocalizer.Register(Bunit.Services);
        Crm.Web.Components.Fields.Types.FieldTypeUiServiceCollectionExtensions.AddFieldTypeUis(Bunit.Services);
        services?.Invoke(Bunit.Services);
        // After all registrations: components read RendererInfo to know they are interactive.
        Bunit.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public BunitContext Bunit { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await Bunit.DisposeAsync();
        (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (_culture, _uiCulture);
    }
}
