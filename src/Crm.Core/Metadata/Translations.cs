namespace Crm.Core.Metadata;

/// <summary>Whether a name still lacks one of its two languages.</summary>
public static class Translations
{
    /// <summary>
    /// True when the English name is empty, or is a copy of a Chinese name (the designer fills both with what is typed
    /// until someone translates it): English users would see Chinese.
    /// </summary>
    public static bool MissingEnglish(LocalizedText label)
        => label.ZhCn.Length > 0 && (label.En.Length == 0 || (label.En == label.ZhCn && label.ZhCn.Any(Text.Pinyin.IsHan)));
}
