using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Crm.Web.Tests.Components;

/// <summary>
/// Clicks and typing that find their element and fire the event on the renderer's own dispatcher, then wait until the
/// handler has finished. bUnit's synchronous <c>Find(...).Click()</c> races with renders that async work (database
/// calls, MudBlazor's interop) queues meanwhile: the handler id can go stale between the find and the click, or the
/// click is queued behind a render and the test reads the page before it ran. On a busy CI machine both happen.
/// </summary>
public static class Interactions
{
    public static Task ClickAsync<T>(this IRenderedComponent<T> cut, string selector) where T : IComponent
        => cut.InvokeAsync(() => cut.Find(selector).ClickAsync(new MouseEventArgs()));

    public static Task ClickAsync<T>(this IRenderedComponent<T> cut, Func<IRenderedComponent<T>, IElement> find) where T : IComponent
        => cut.InvokeAsync(() => find(cut).ClickAsync(new MouseEventArgs()));

    public static Task ChangeAsync<T>(this IRenderedComponent<T> cut, string selector, object? value) where T : IComponent
        => cut.InvokeAsync(() => cut.Find(selector).ChangeAsync(new ChangeEventArgs { Value = value }));

    public static Task InputAsync<T>(this IRenderedComponent<T> cut, string selector, object? value) where T : IComponent
        => cut.InvokeAsync(() => cut.Find(selector).InputAsync(new ChangeEventArgs { Value = value }));
}
