using System.Linq.Expressions;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Import;

/// <summary>
/// The normalised form of the values a duplicate rule matches on, the same in C# (for the file's rows) and in SQL
/// (for existing records): e-mail lower-cased; phone without spaces, dashes, dots, brackets and "+"; other text
/// lower-cased without spaces, full-width brackets folded ("上海 云帆（集团）" = "上海云帆(集团)"); other values
/// as their JSON text. Several fields make one key (all must match).
/// </summary>
public static class DuplicateKeys
{
    private const char Separator = '\u001f';
    private const int Chunk = 2_000;

    /// <summary>The row's key, or null when one of the rule's fields is empty (an empty value matches nothing).</summary>
    public static string? Key(IReadOnlyList<FieldDefinition> fields, JsonObject values)
    {
        if (fields.Count == 0) return null;
        var parts = new string[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            var value = values[fields[i].Key];
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString();
            if (string.IsNullOrWhiteSpace(text)) return null;
            parts[i] = Normalise(fields[i].Type, text);
        }
        return string.Join(Separator, parts);
    }

    public static string Normalise(string type, string text) => type switch
    {
        "email" => text.Trim().ToLowerInvariant(),
        "phone" => Strip(text, " -().+"),
        "text" or "longtext" or "url" => Strip(text.ToLowerInvariant().Replace('（', '(').Replace('）', ')'), " "),
        _ => text,
    };

    private static string Strip(string text, string chars)
    {
        var b = new StringBuilder(text.Length);
        foreach (var c in text) if (chars.IndexOf(c) < 0) b.Append(c);
        return b.ToString();
    }

    /// <summary>The SQL form of <see cref="Normalise"/> over a record's JSON value (REPLACE and LOWER, on both databases).</summary>
    private static Expression<Func<Record, string?>> SqlValue(FieldDefinition field)
    {
        var key = field.Key;
        return field.Type switch
        {
            "email" => r => JsonSql.Text(r.Values, EF.Constant(key))!.ToLower(),
            "phone" => r => JsonSql.Text(r.Values, EF.Constant(key))!.Replace(" ", "").Replace("-", "").Replace("(", "").Replace(")", "").Replace(".", "").Replace("+", ""),
            "text" or "longtext" or "url" => r => JsonSql.Text(r.Values, EF.Constant(key))!.ToLower().Replace("（", "(").Replace("）", ")").Replace(" ", ""),
            _ => r => JsonSql.Text(r.Values, EF.Constant(key)),
        };
    }

    /// <summary>
    /// Existing records of <paramref name="entity"/> whose key is one of <paramref name="keys"/>: a query per chunk of
    /// keys on the first field's normalised value (never all records), the other fields compared on the few
    /// candidates. All of the entity type's records count, not only those the actor reads: a rep importing a
    /// customer a colleague owns should find it (updating it still needs the edit right on that record).
    /// </summary>
    public static async Task<Dictionary<string, Guid>> FindExistingAsync(CrmDbContext db, EntityMeta entity, EntityAccess rights, IReadOnlyList<FieldDefinition> fields, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var found = new Dictionary<string, Guid>(StringComparer.Ordinal);
        if (fields.Count == 0 || keys.Count == 0) return found;
        var typeId = entity.Entity.Id;
        var first = SqlValue(fields[0]);
        var parameter = first.Parameters[0];
        var wanted = keys.ToHashSet(StringComparer.Ordinal);
        // The chunk's values go to the database as one parameter (EF.Parameter over a field of a holder, as a
        // closure would be: "= ANY (@values)" on PostgreSQL, json_each on SQLite), so the query is translated once
        // and reused for every chunk. A list as an expression constant made EF compile a new query with the values
        // inlined for each chunk (200 compilations for 100,000 rows; the import profile showed it).
        var holder = new ChunkValues();
        var values = Expression.Call(typeof(EF), nameof(EF.Parameter), [typeof(List<string>)], Expression.Field(Expression.Constant(holder), nameof(ChunkValues.Keys)));
        var contains = Expression.Lambda<Func<Record, bool>>(
            Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(string)], values, first.Body), parameter);
        foreach (var chunk in keys.Select(k => k.Split(Separator)[0]).Distinct().Chunk(Chunk))
        {
            holder.Keys = chunk.ToList();
            var candidates = await db.Records.AsNoTracking().Where(r => r.EntityTypeId == typeId).Where(contains)
                .OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).Select(r => new { r.Id, r.Values }).ToListAsync(ct);
            foreach (var c in candidates)
                if (Key(fields, RecordWriter.ParseValues(c.Values)) is { } key && wanted.Contains(key)) found.TryAdd(key, c.Id);
        }
        return found;
    }

    /// <summary>Holds one chunk's values; the query reads them through a field, so EF sends them as a parameter.</summary>
    private sealed class ChunkValues
    {
        public List<string> Keys = [];
    }
}
