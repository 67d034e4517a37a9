using System.Net;
using Crm.Web.Tests.Infrastructure;

namespace Crm.Web.Tests.Http;

[Collection(AppCollection.Name)]
public abstract class HttpTestBase(AppFixture apps)
{
    protected Task<CrmAppFactory> AppAsync(string provider) => apps.GetAsync(provider);

    /// <summary>The body as text with HTML entities decoded (the renderer may encode non-ASCII text).</summary>
    protected static async Task<string> TextAsync(HttpResponseMessage response)
        => WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
}
