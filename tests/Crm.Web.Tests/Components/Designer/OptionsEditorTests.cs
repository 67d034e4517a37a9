using Bunit;
using Crm.Core.Metadata;
using Crm.Web.Components.Designer;
using MudBlazor;

namespace Crm.Web.Tests.Components.Designer;

/// <summary>The options editor derives readable, unique keys from Chinese option names.</summary>
public class OptionsEditorTests
{
    [Fact]
    public async Task A_chinese_option_gets_a_pinyin_key_and_a_repeated_one_a_numbered_key()
    {
        await using var context = new ComponentTestContext("zh-CN");
        context.Bunit.Render<MudPopoverProvider>();
        var options = new List<ChoiceOption>();
        var cut = context.Bunit.Render<OptionsEditor>(p => p
            .Add(x => x.Options, options)
            .Add(x => x.OptionsChanged, changed => { options = changed; }));

        await cut.InputAsync("#d-option-new", "软件与互联网");
        await cut.ClickAsync("[data-testid=option-add]");
        cut.Render(p => p.Add(x => x.Options, options));
        await cut.InputAsync("#d-option-new", "软件与互联网");
        await cut.ClickAsync("[data-testid=option-add]");

        Assert.Equal(["ruanjian_hulianwang", "ruanjian_hulianwang_2"], options.Select(o => o.Key));
        Assert.Equal("软件与互联网", options[0].Label.ZhCn);
        cut.Render(p => p.Add(x => x.Options, options));
        Assert.Equal("ruanjian_hulianwang", cut.Find(".crm-option-row .crm-key").TextContent);
    }
}
