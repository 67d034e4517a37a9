using System.Globalization;
using Crm.Web.Components.Shared;

namespace Crm.Web.Tests.Components.Shared;

/// <summary>Short numbers for board totals and chart axes: thousands/millions in English, 万/亿 in Chinese.</summary>
public class CompactNumberTests
{
    [Theory]
    [InlineData("en", 0, "0")]
    [InlineData("en", 950, "950")]
    [InlineData("en", 1500, "1.5K")]
    [InlineData("en", 250000, "250K")]
    [InlineData("en", 1500000, "1.5M")]
    [InlineData("en", 999950, "1M")]
    [InlineData("en", -2300000, "-2.3M")]
    [InlineData("en", 4200000000, "4.2B")]
    [InlineData("zh-CN", 9500, "9,500")]
    [InlineData("zh-CN", 15000, "1.5万")]
    [InlineData("zh-CN", 1500000, "150万")]
    [InlineData("zh-CN", 120000000, "1.2亿")]
    [InlineData("en", 2.5, "2.5")]
    public void Formats_a_number_short_in_the_users_language(string culture, double value, string expected)
        => Assert.Equal(expected, CompactNumber.Format((decimal)value, CultureInfo.GetCultureInfo(culture)));
}
