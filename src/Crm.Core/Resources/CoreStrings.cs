namespace Crm.Core.Resources;

/// <summary>Marker for the core's localized strings (CoreStrings.resx, CoreStrings.zh-CN.resx).</summary>
public sealed class CoreStrings;
