using Crm.Core.Metadata;
using Crm.Core.Templates;

namespace Crm.Core.Tests.Templates;

public class TemplateMappingTests
{
    [Fact]
    public void Settings_the_format_refuses_on_a_type_are_left_out_of_the_export()
    {
        var email = new FieldDefinition
        {
            Key = "email", Type = "email", Label = LocalizedText.Same("E-mail"),
            Settings = new FieldSettings { MaxLength = 80, Pattern = "^.+@corp\\.cn$", PatternMessage = LocalizedText.Same("corp only") },
        };
        var text = new FieldDefinition
        {
            Key = "code", Type = "text", Label = LocalizedText.Same("Code"),
            Settings = new FieldSettings { MaxLength = 12, Pattern = "^[A-Z]+$" },
        };

        var exportedEmail = TemplateMapping.Field(email);
        var exportedText = TemplateMapping.Field(text);

        Assert.Null(exportedEmail.MaxLength);
        Assert.Null(exportedEmail.Pattern);
        Assert.Null(exportedEmail.PatternMessage);
        Assert.Equal(12, exportedText.MaxLength);
        Assert.Equal("^[A-Z]+$", exportedText.Pattern);
    }
}
