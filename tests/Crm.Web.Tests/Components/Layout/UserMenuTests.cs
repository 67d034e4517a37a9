using Crm.Web.Components.Layout;

namespace Crm.Web.Tests.Components.Layout;

/// <summary>The top bar's avatar letter comes from the user's name, not the e-mail address.</summary>
public class UserMenuTests
{
    [Theory]
    [InlineData("张伟", "张")]
    [InlineData("alice smith", "A")]
    [InlineData("  bob ", "B")]
    [InlineData("😀 Team", "😀")]
    [InlineData("", "?")]
    [InlineData(null, "?")]
    public void The_avatar_shows_the_first_character_of_the_display_name(string? name, string expected)
        => Assert.Equal(expected, UserMenu.Initial(name));
}
