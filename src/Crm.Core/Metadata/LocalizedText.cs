using System.Globalization;
using System.Text.Json.Serialization;

namespace Crm.Core.Metadata;

/// <summary>
/// A label in the product's two languages. Every built-in and template label has both; what a tenant types in
/// the designer fills both until they are translated. Stored as <c>{"zh-CN": "…", "en": "…"}</c>.
/// </summary>
public sealed record LocalizedText(
    [property: JsonPropertyName("zh-CN")] string ZhCn,
    [property: JsonPropertyName("en")] string En)
{
    public static LocalizedText Same(string text) => new(text, text);

    /// <summary>The text for a culture: English for en-*, Chinese otherwise (the product's default language).</summary>
    public string Get(CultureInfo? culture = null)
    {
        var name = (culture ?? CultureInfo.CurrentUICulture).Name;
        var text = name.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? En : ZhCn;
        return string.IsNullOrEmpty(text) ? (string.IsNullOrEmpty(En) ? ZhCn : En) : text;
    }

    public override string ToString() => Get();
}
