using System.Collections.Frozen;
using System.Reflection;
using MudBlazor;

namespace Crm.Web.Components.Shared;

/// <summary>Icons named in metadata ("Business", "MonetizationOn") resolved to MudBlazor's outlined Material icons.</summary>
public static class CrmIcons
{
    private static readonly FrozenDictionary<string, string> Outlined = typeof(Icons.Material.Outlined)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(string))
        .GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase)
        .ToFrozenDictionary(g => g.Key, g => (string)g.First().GetValue(null)!, StringComparer.OrdinalIgnoreCase);

    public static string Resolve(string? name)
        => name is not null && Outlined.TryGetValue(name, out var svg) ? svg : Icons.Material.Outlined.Description;

    public static IEnumerable<string> Names => Outlined.Keys;
}
