using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Crm.Core.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Crm.Core.Data;

/// <summary>
/// PostgreSQL statistics on tenant-defined fields that reports group by. Without them the planner has no idea how
/// many distinct values <c>field_values -&gt;&gt; 'key'</c> has, assumes nearly one per row, and will not split
/// a GROUP BY over a million records across parallel workers. An extended statistics object on the expression
/// (<c>CREATE STATISTICS … ON ((field_values -&gt;&gt; 'key')) FROM records</c>, PostgreSQL 14+) fixes the estimate;
/// it costs nothing on writes, only a little at ANALYZE. One object per field key serves every workspace using
/// that key (the estimate is a table-wide figure, and only the table's owner can read it). It is created the
/// first time a report groups by the key, followed by one ANALYZE; later runs only check a per-process cache.
/// Nothing happens on SQLite.
/// </summary>
public sealed class JsonStatistics(ILogger<JsonStatistics> logger)
{
    private readonly ConcurrentDictionary<string, byte> _known = new();

    /// <summary>The statistics object's name for <paramref name="key"/> (at most 63 characters, PostgreSQL's limit).</summary>
    public static string NameOf(string key)
    {
        var name = "crm_json_" + key;
        if (name.Length <= 63) return name;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];
        return name[..54] + "_" + hash;
    }

    /// <summary>Makes sure the statistics for <paramref name="key"/> exist (PostgreSQL only); never fails the report.</summary>
    public async Task EnsureAsync(CrmDbContext db, string key, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql() || !MetadataKeys.IsValid(key)) return;
        var connection = db.Database.GetDbConnection();
        var cacheKey = $"{connection.DataSource}/{connection.Database}/{key}";
        if (_known.ContainsKey(cacheKey)) return;

        var name = NameOf(key);
        try
        {
            var exists = await db.Database
                .SqlQueryRaw<int>("SELECT 1 AS \"Value\" FROM pg_statistic_ext WHERE stxname = {0} AND stxrelid = 'records'::regclass", name)
                .AnyAsync(ct);
            if (!exists)
            {
                // The key is checked against [a-z][a-z0-9_]*, so it can be written into the statement as it is.
                var create = $"CREATE STATISTICS IF NOT EXISTS {name} ON ((field_values ->> '{key}')) FROM records";
                await db.Database.ExecuteSqlRawAsync(create, ct);
                await db.Database.ExecuteSqlRawAsync("ANALYZE records", ct);
                logger.LogInformation("Created statistics {Name} for reports grouped by field {Key}", name, key);
            }
            _known.TryAdd(cacheKey, 0);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
            _known.TryAdd(cacheKey, 0); // another report created it at the same moment
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            // Connected as a role that does not own the tables: reports still work, only without the better plan.
            logger.LogWarning("Cannot create statistics {Name} ({Message}); the database role does not own the records table", name, e.MessageText);
            _known.TryAdd(cacheKey, 0);
        }
    }
}
