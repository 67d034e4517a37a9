using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Core.Data;

/// <summary>Maps a property to a JSON column (jsonb on PostgreSQL, TEXT on SQLite) with value-based change tracking.</summary>
public static class JsonColumn
{
    public static PropertyBuilder<T> AsJson<T>(this PropertyBuilder<T> property, bool isPostgres)
    {
        property.HasConversion(
            v => Json.Serialize(v),
            s => Json.Deserialize<T>(s)!,
            new ValueComparer<T>(
                (a, b) => Json.Serialize(a) == Json.Serialize(b),
                v => v == null ? 0 : Json.Serialize(v).GetHashCode(),
                v => Json.Deserialize<T>(Json.Serialize(v))!));
        if (isPostgres) property.HasColumnType("jsonb");
        return property;
    }
}
