using Bunit;
using Crm.Web.Components.Shared;

namespace Crm.Web.Tests.Components;

public class StatusViewTests
{
    [Theory]
    [InlineData("en", 403, "No access", "Ask an administrator")]
    [InlineData("en", 404, "Page not found", "Check the address")]
    [InlineData("zh-CN", 403, "无权访问", "请联系该工作区的管理员")]
    [InlineData("zh-CN", 404, "页面不存在", "请检查网址")]
    public async Task Shows_the_localized_title_and_text_of_the_status(string culture, int code, string title, string text)
    {
        await using var context = new ComponentTestContext(culture);

        var cut = context.Bunit.Render<StatusView>(p => p.Add(x => x.Code, code));

        Assert.Equal(code.ToString(), cut.Find(".crm-status").GetAttribute("data-status"));
        Assert.Equal(title, cut.Find("h4").TextContent.Trim());
        Assert.Contains(text, cut.Markup);
        Assert.Equal("/", cut.Find("a").GetAttribute("href"));
    }

    [Fact]
    public async Task An_error_status_shows_the_error_text()
    {
        await using var context = new ComponentTestContext("en");

        var cut = context.Bunit.Render<StatusView>(p => p.Add(x => x.Code, 500));

        Assert.Equal("Something went wrong", cut.Find("h4").TextContent.Trim());
        Assert.Contains("Nothing was saved", cut.Markup);
    }
}
