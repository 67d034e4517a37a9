using Crm.Core.Tenancy;

namespace Crm.Core.Tests.Tenancy;

public class SlugRulesTests
{
    [Theory]
    [InlineData("Acme Corp", "acme-corp")]
    [InlineData("  Acme   Corp  ", "acme-corp")]
    [InlineData("ACME_Corp.2024", "acme-corp-2024")]
    [InlineData("Café Münster", "cafe-munster")]
    [InlineData("ＡＢＣ Ｔｒａｄｉｎｇ", "abc-trading")]
    public void Derive_keeps_ascii_letters_and_digits_and_joins_the_rest_with_single_hyphens(string name, string expected)
        => Assert.Equal(expected, SlugRules.Derive(name));

    [Theory]
    [InlineData("北京星辰科技", "beijingxingchenkeji")]
    [InlineData("北京星辰科技有限公司", "beijingxingchenkeji")]
    [InlineData("上海 南京 贸易", "shanghai-nanjing-maoyi")]
    [InlineData("软件与互联网", "ruanjian-hulianwang")]
    [InlineData("客户关系", "kehuguanxi")]
    [InlineData("绿叶", "lvye")]
    public void Derive_writes_chinese_names_in_pinyin(string name, string expected)
        => Assert.Equal(expected, SlugRules.Derive(name));

    [Theory]
    [InlineData("🚀🚀")]
    [InlineData("★ ☆ ♥")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("---")]
    public void Derive_of_a_name_without_anything_readable_gives_workspace(string? name)
        => Assert.Equal(SlugRules.Fallback, SlugRules.Derive(name));

    [Theory]
    [InlineData("北京 Acme 科技 2024", "beijing-acme-keji-2024")]
    [InlineData("星辰Star科技", "xingchen-star-keji")]
    [InlineData("🚀 AB", "ab-team")]
    [InlineData("公司", "gongsi")]
    public void Derive_of_a_mixed_name_keeps_every_readable_part(string name, string expected)
        => Assert.Equal(expected, SlugRules.Derive(name));

    [Theory]
    [InlineData("acme", 2, "acme-2")]
    [InlineData("workspace", 17, "workspace-17")]
    public void WithSuffix_appends_the_number(string slug, int n, string expected)
        => Assert.Equal(expected, SlugRules.WithSuffix(slug, n));

    [Fact]
    public void WithSuffix_keeps_a_long_slug_within_the_maximum_length()
    {
        var alternative = SlugRules.WithSuffix(new string('a', 38) + "-b", 12);
        Assert.Equal(new string('a', 37) + "-12", alternative);
        Assert.Null(SlugRules.Validate(alternative));
        Assert.Throws<ArgumentOutOfRangeException>(() => SlugRules.WithSuffix("acme", 1));
    }

    [Theory]
    [InlineData("Admin", "admin-team")]
    [InlineData("API", "api-team")]
    [InlineData("Account", "account-team")]
    [InlineData("t", "t-team")]
    public void Derive_never_returns_a_reserved_word(string name, string expected)
    {
        var slug = SlugRules.Derive(name);
        Assert.Equal(expected, slug);
        Assert.DoesNotContain(slug, SlugRules.Reserved);
    }

    [Fact]
    public void Derive_cuts_long_names_to_the_maximum_length_without_a_trailing_hyphen()
    {
        var slug = SlugRules.Derive(new string('a', 39) + " bcdef");
        Assert.Equal(new string('a', 39), slug);
        Assert.True(SlugRules.Derive(new string('x', 100)).Length == SlugRules.MaxLength);
    }

    [Theory]
    [InlineData("Acme Corp")]
    [InlineData("北京星辰科技")]
    [InlineData("🎉")]
    [InlineData("北京星辰科技发展股份有限公司上海分公司第一事业部")]
    [InlineData("a")]
    [InlineData("Admin")]
    [InlineData("x-")]
    [InlineData("Ünïcödé – Ñame & Co. (Beijing) 有限公司 #1")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b-c")]
    public void A_derived_slug_always_passes_validation(string name)
        => Assert.Null(SlugRules.Validate(SlugRules.Derive(name)));

    [Theory]
    [InlineData("acme")]
    [InlineData("acme-corp")]
    [InlineData("a1b")]
    [InlineData("123")]
    public void Validate_accepts_lowercase_letters_digits_and_single_inner_hyphens(string slug)
        => Assert.Null(SlugRules.Validate(slug));

    [Theory]
    [InlineData(null, SlugProblem.Required)]
    [InlineData("", SlugProblem.Required)]
    [InlineData("   ", SlugProblem.Required)]
    [InlineData("ab", SlugProblem.Length)]
    [InlineData("t", SlugProblem.Length)]
    [InlineData("Acme", SlugProblem.InvalidCharacters)]
    [InlineData("acme_corp", SlugProblem.InvalidCharacters)]
    [InlineData("acme corp", SlugProblem.InvalidCharacters)]
    [InlineData("-acme", SlugProblem.InvalidCharacters)]
    [InlineData("acme-", SlugProblem.InvalidCharacters)]
    [InlineData("ac--me", SlugProblem.InvalidCharacters)]
    [InlineData("客户abc", SlugProblem.InvalidCharacters)]
    [InlineData("acme.io", SlugProblem.InvalidCharacters)]
    [InlineData("admin", SlugProblem.Reserved)]
    [InlineData("api", SlugProblem.Reserved)]
    [InlineData("account", SlugProblem.Reserved)]
    [InlineData("signup", SlugProblem.Reserved)]
    public void Validate_names_the_problem(string? slug, SlugProblem expected)
        => Assert.Equal(expected, SlugRules.Validate(slug));

    [Fact]
    public void Validate_enforces_the_length_bounds_exactly()
    {
        Assert.Null(SlugRules.Validate(new string('a', SlugRules.MinLength)));
        Assert.Null(SlugRules.Validate(new string('a', SlugRules.MaxLength)));
        Assert.Equal(SlugProblem.Length, SlugRules.Validate(new string('a', SlugRules.MaxLength + 1)));
    }

    [Fact]
    public void The_routes_of_the_app_are_reserved()
    {
        // Top-level paths that a slug must never shadow (/t/{slug} sits beside them).
        foreach (var word in new[] { "admin", "api", "t", "account", "health", "culture", "status", "error" })
            Assert.Contains(word, SlugRules.Reserved);
    }
}
