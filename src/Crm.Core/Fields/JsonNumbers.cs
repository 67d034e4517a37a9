using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crm.Core.Fields;

/// <summary>
/// Numbers in record JSON, whatever produced them: a parsed document (JsonElement), a boxed int, long, double or
/// decimal from code. <c>JsonValue.TryGetValue&lt;decimal&gt;</c> alone misses the boxed-int case.
/// </summary>
public static class JsonNumbers
{
    public static bool TryGetDecimal(JsonNode? node, out decimal value)
    {
        value = 0;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return false;
        if (v.TryGetValue<decimal>(out value)) return true;
        return decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static decimal? AsDecimal(JsonNode? node) => TryGetDecimal(node, out var d) ? d : null;
}
