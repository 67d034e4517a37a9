namespace Crm.Web.Components.Layout;

/// <summary>Light or dark, shared by the layout and the toggle; the choice is kept in a cookie.</summary>
public sealed class ThemeState(bool dark)
{
    public const string CookieName = "crm-theme";

    public bool IsDark { get; private set; } = dark;

    public event Action? Changed;

    public void Set(bool dark)
    {
        if (dark == IsDark) return;
        IsDark = dark;
        Changed?.Invoke();
    }
}
