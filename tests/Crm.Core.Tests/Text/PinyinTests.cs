using Crm.Core.Text;

namespace Crm.Core.Tests.Text;

public class PinyinTests
{
    [Theory]
    [InlineData('北', "bei")]
    [InlineData('京', "jing")]
    [InlineData('上', "shang")]
    [InlineData('绿', "lv")]
    [InlineData('行', "xing")]
    public void Of_gives_the_toneless_common_reading(char ch, string expected)
        => Assert.Equal(expected, Pinyin.Of(ch));

    [Theory]
    [InlineData('a')]
    [InlineData('★')]
    [InlineData('。')]
    public void Of_is_null_outside_the_hanzi_table(char ch)
        => Assert.Null(Pinyin.Of(ch));

    [Fact]
    public void The_table_covers_every_gb2312_hanzi()
    {
        // 啊 is the first GB2312 hanzi, 齄 the last; 6,763 in all.
        Assert.Equal("a", Pinyin.Of('啊'));
        Assert.Equal("zha", Pinyin.Of('齄'));
        var covered = Enumerable.Range(0x4E00, 0x9FA5 - 0x4E00 + 1).Count(c => Pinyin.Of((char)c) is not null);
        Assert.Equal(6763, covered);
    }

    [Theory]
    [InlineData("软件与互联网", new[] { "ruanjian", "hulianwang" })]
    [InlineData("星辰Star科技 2024", new[] { "xingchen", "star", "keji", "2024" })]
    [InlineData("Café 🚀 ＡＢＣ", new[] { "cafe", "abc" })]
    [InlineData("🚀★", new string[0])]
    public void Words_split_a_name_into_ascii_words(string text, string[] expected)
        => Assert.Equal(expected, Pinyin.Words(text));

    [Fact]
    public void Sort_keys_order_chinese_names_by_pinyin()
    {
        string[] names = ["上海", "北京", "南京", "Acme", "广州", "北海"];
        var sorted = names.OrderBy(Pinyin.SortKey, StringComparer.Ordinal).ToArray();
        Assert.Equal(["北海", "北京", "广州", "南京", "上海", "Acme"], sorted);
    }
}
