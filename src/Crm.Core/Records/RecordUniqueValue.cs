using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Fields;
using Crm.Core.Tenancy;

namespace Crm.Core.Records;

/// <summary>
/// The value of a unique field held by one record: a row per (entity type, field, value) with a unique index, so
/// two writers racing with the same value cannot both commit, on either database. Maintained by
/// <see cref="RecordWriter"/> in the write's transaction (<see cref="UniqueValuesStep"/>); deleting the record
/// deletes its rows (cascade). The value is stored as a SHA-256 hash of its canonical text, so long values fit
/// an index on every provider.
/// </summary>
public sealed class RecordUniqueValue : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string FieldKey { get; set; } = "";
    /// <summary>Hex SHA-256 of the value's canonical text (<see cref="KeyOf"/>).</summary>
    public string ValueHash { get; set; } = "";
    public Guid RecordId { get; set; }

    /// <summary>
    /// The hash a value is stored under, or null for no value. Text is taken as stored (field types normalise it
    /// first: e-mails are lower-cased, text trimmed); numbers by their decimal value, so 5 and 5.0 are the same.
    /// </summary>
    public static string? KeyOf(JsonNode? value)
    {
        string? text = value switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => "s:" + s,
            JsonValue v when JsonNumbers.AsDecimal(v) is { } d => "n:" + d.ToString("0.############################", CultureInfo.InvariantCulture),
            _ => "j:" + value.ToJsonString(),
        };
        return text is null ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>How the value is named in the "already exists" message.</summary>
    public static string Display(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
}
