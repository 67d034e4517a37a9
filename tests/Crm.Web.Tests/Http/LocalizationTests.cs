using System.Net;
using Crm.Testing;
using Crm.Web.Tests.Infrastructure;

namespace Crm.Web.Tests.Http;

public class LocalizationTests(AppFixture apps) : HttpTestBase(apps)
{
    [Theory]
    [InlineData(Providers.Sqlite, "en", "Welcome back to Crm.Saas.", "欢迎回到")]
    [InlineData(Providers.Postgres, "en", "Welcome back to Crm.Saas.", "欢迎回到")]
    [InlineData(Providers.Sqlite, "zh-CN", "欢迎回到 Crm.Saas。", "Welcome back")]
    [InlineData(Providers.Postgres, "zh-CN,zh;q=0.9", "欢迎回到 Crm.Saas。", "Welcome back")]
    [InlineData(Providers.Sqlite, "fr-FR", "欢迎回到 Crm.Saas。", "Welcome back")]
    public async Task The_login_page_follows_the_browser_language(string provider, string acceptLanguage, string expected, string absent)
    {
        var app = await AppAsync(provider);
        using var client = app.CreateBrowserLikeClient(acceptLanguage);

        var body = await TextAsync(await client.GetAsync("/account/login"));

        Assert.Contains(expected, body);
        Assert.DoesNotContain(absent, body);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_culture_cookie_overrides_the_browser_language(string provider)
    {
        var app = await AppAsync(provider);
        using var client = app.CreateBrowserLikeClient("zh-CN");

        var set = await client.GetAsync("/culture/set?culture=en&returnUrl=%2Faccount%2Flogin");

        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        Assert.Equal("/account/login", set.Headers.Location!.OriginalString);
        Assert.Contains(set.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Culture=") && c.Contains("en"));
        Assert.Contains("Welcome back to Crm.Saas.", await TextAsync(await client.GetAsync("/account/login")));

        await client.GetAsync("/culture/set?culture=zh-CN&returnUrl=%2F");
        Assert.Contains("欢迎回到 Crm.Saas。", await TextAsync(await client.GetAsync("/account/login")));
    }

    [Theory]
    [InlineData("//evil.example/phish")]
    [InlineData("https://evil.example/")]
    [InlineData("/\\evil.example")]
    public async Task The_culture_switch_does_not_redirect_off_site(string returnUrl)
    {
        var app = await AppAsync(Providers.Sqlite);
        using var client = app.CreateBrowserLikeClient();

        var response = await client.GetAsync($"/culture/set?culture=en&returnUrl={Uri.EscapeDataString(returnUrl)}");

        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public void Every_resource_has_the_same_keys_in_english_and_chinese()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src");
        var pairs = Directory.GetFiles(Path.GetFullPath(folder), "*.zh-CN.resx", SearchOption.AllDirectories);
        Assert.NotEmpty(pairs);
        foreach (var zh in pairs)
        {
            var en = zh.Replace(".zh-CN.resx", ".resx");
            static HashSet<string> Keys(string path) => System.Xml.Linq.XDocument.Load(path).Root!.Elements("data")
                .Select(d => d.Attribute("name")!.Value).ToHashSet();
            var enKeys = Keys(en);
            var zhKeys = Keys(zh);
            Assert.True(enKeys.SetEquals(zhKeys),
                $"{Path.GetFileName(en)}: only in English: {string.Join(", ", enKeys.Except(zhKeys))}; only in Chinese: {string.Join(", ", zhKeys.Except(enKeys))}");
        }
    }
}
