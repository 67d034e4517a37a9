using Crm.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Crm.Core.Automation;

/// <summary>
/// Who of the people a save's rules name is still a member of the workspace (and their display names), read once
/// per save: the one-transaction path asks for everyone its rules name up front (one query), later questions
/// about people already asked about cost nothing. Membership is not cached across saves, so someone removed from
/// the workspace is skipped by the next save. On PostgreSQL the up-front question also carries the savepoint the
/// rules run behind and the round-robin turns they will take (<see cref="PrefetchAsync"/>): one round trip.
/// </summary>
internal sealed class RuleMembers(Guid tenantId)
{
    private readonly Dictionary<Guid, string?> known = []; // null: asked, not a member
    private readonly Dictionary<(Guid EntityTypeId, string Key), long> turns = [];

    /// <summary>Of <paramref name="users"/>, the members (in the given order) with their display names.</summary>
    public async Task<List<(Guid UserId, string DisplayName)>> MembersAsync(CrmDbContext db, IEnumerable<Guid> users, CancellationToken ct)
    {
        var wanted = users.Where(u => u != Guid.Empty).Distinct().ToList();
        var missing = wanted.Where(u => !known.ContainsKey(u)).ToList();
        if (missing.Count > 0)
        {
            var found = await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenantId && missing.Contains(m.UserId))
                .Select(m => new { m.UserId, m.User!.DisplayName }).ToListAsync(ct);
            foreach (var id in missing) known[id] = found.FirstOrDefault(f => f.UserId == id)?.DisplayName ?? (found.Any(f => f.UserId == id) ? "" : null);
        }
        return wanted.Where(u => known[u] is not null).Select(u => (u, known[u]!)).ToList();
    }

    /// <summary>
    /// In one round trip on PostgreSQL (an <see cref="NpgsqlBatch"/> in <paramref name="db"/>'s transaction): the
    /// <paramref name="savepoint"/> (first, so that everything after it rolls back to it), who of
    /// <paramref name="users"/> is a member, and the next turn of each round-robin counter in
    /// <paramref name="counters"/> (<c>UPDATE … RETURNING</c>, the row lock held to the commit as before). A counter
    /// that does not exist yet is left to <see cref="RuleActions"/> (it creates it). Turns taken here and not used are
    /// given back by <see cref="ReturnUnusedTurnsAsync"/> before the save, so the counters stay exactly fair.
    /// Elsewhere: the savepoint and the membership query as separate commands.
    /// </summary>
    public async Task PrefetchAsync(CrmDbContext db, string? savepoint, IEnumerable<Guid> users, IReadOnlyList<(Guid EntityTypeId, string Key)> counters, CancellationToken ct)
    {
        var transaction = db.Database.CurrentTransaction;
        if (!db.Database.IsNpgsql() || transaction?.GetDbTransaction() is not NpgsqlTransaction npgsqlTransaction)
        {
            if (savepoint is not null) await transaction!.CreateSavepointAsync(savepoint, ct);
            await MembersAsync(db, users, ct);
            return;
        }
        var missing = users.Where(u => u != Guid.Empty && !known.ContainsKey(u)).Distinct().ToArray();
        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), npgsqlTransaction);
        if (savepoint is not null) batch.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT " + savepoint)); // a fixed name made by the engine
        var membersAt = batch.BatchCommands.Count;
        if (missing.Length > 0)
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                "SELECT m.user_id, u.display_name FROM tenant_memberships m LEFT JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND m.user_id = ANY($2)")
            { Parameters = { new() { Value = tenantId }, new() { Value = missing } } });
        foreach (var (entityTypeId, key) in counters)
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                "UPDATE sequence_counters SET next_value = next_value + 1 WHERE tenant_id = $1 AND entity_type_id = $2 AND field_key = $3 RETURNING next_value")
            { Parameters = { new() { Value = tenantId }, new() { Value = entityTypeId }, new() { Value = key } } });
        if (batch.BatchCommands.Count == 0) return;

        // The reader walks the statements that return rows (the savepoint returns none): the members, then each counter.
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var results = batch.BatchCommands.Count - membersAt;
        for (var i = 0; i < results; i++)
        {
            if (i > 0 && !await reader.NextResultAsync(ct)) throw new InvalidOperationException("The rules' first batch returned fewer results than it sent queries.");
            if (i == 0 && missing.Length > 0)
            {
                var found = new Dictionary<Guid, string>();
                while (await reader.ReadAsync(ct)) found[reader.GetGuid(0)] = await reader.IsDBNullAsync(1, ct) ? "" : reader.GetString(1);
                foreach (var id in missing) known[id] = found.GetValueOrDefault(id);
                continue;
            }
            var counter = counters[i - (missing.Length > 0 ? 1 : 0)];
            if (await reader.ReadAsync(ct)) turns[counter] = reader.GetInt64(0) - 2;
        }
    }

    /// <summary>The turn <see cref="PrefetchAsync"/> took for this counter, once; false when none is waiting.</summary>
    public bool TakeTurn(Guid entityTypeId, string key, out long turn) => turns.Remove((entityTypeId, key), out turn);

    /// <summary>Gives back the turns taken ahead and not used (the rule's conditions no longer held when it ran): still under this transaction's row lock.</summary>
    public async Task ReturnUnusedTurnsAsync(CrmDbContext db, CancellationToken ct)
    {
        foreach (var (entityTypeId, key) in turns.Keys.ToList())
        {
            await db.Database.ExecuteSqlRawAsync(
                "UPDATE sequence_counters SET next_value = next_value - 1 WHERE tenant_id = {0} AND entity_type_id = {1} AND field_key = {2}",
                [tenantId, entityTypeId, key], ct);
            turns.Remove((entityTypeId, key));
        }
    }
}
