using Crm.Core.Boards;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Npgsql;

namespace Crm.Benchmarks;

/// <summary>
/// The board's data as a person would write it in SQL: totals per stage joined to the stages for the probability, the first 50 cards of every
/// stage through one LATERAL query (both in one round trip), then overdue tasks and names of the loaded cards (a
/// second round trip). A pooled connection per load with <c>app.tenant_id</c> set, as the app does.
/// <paramref name="scopeSql"/>: a read-scope predicate over <c>records r</c> (the --scoped variant).
/// </summary>
public sealed class HandWrittenBoard(string connection, Guid tenantId, EntityMeta entity, BoardRequest request, string? scopeSql = null)
{
    public sealed record Totals(int Count, decimal? Sum, decimal? Weighted);
    public sealed record Card(Guid Id, string Title, Guid? OwnerId, decimal? Amount, DateOnly? CloseDate, Guid? StageId, string Values, double Rank, long Version, DateTime? StageEnteredAt);
    public sealed record Result(Dictionary<Guid, Totals> Columns, List<Card> Cards, Dictionary<Guid, int> Overdue, Dictionary<Guid, string> Names);

    private readonly Guid[] _stages = entity.Pipeline(request.Pipeline)!.Stages.Select(s => s.Id).ToArray();
    private string Scope => scopeSql is null ? "" : "AND " + scopeSql;
    private readonly Guid _pipeline = entity.Pipeline(request.Pipeline)!.Pipeline.Id;
    private readonly string[] _references = request.CardFields.Where(k => entity.Field(k)?.Type == "lookup").ToArray();

    public async Task<Result> LoadAsync()
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using (var set = new NpgsqlCommand($"SELECT set_config('{PostgresTenantSessionInterceptor.SettingName}', @t, false)", conn))
        {
            set.Parameters.AddWithValue("t", tenantId.ToString());
            await set.ExecuteNonQueryAsync();
        }

        var columns = new Dictionary<Guid, Totals>();
        var cards = new List<Card>();
        await using (var batch = new NpgsqlBatch(conn))
        {
            batch.BatchCommands.Add(Command($"""
                SELECT g.stage_id, g.n, g.total, g.total * s.probability / 100
                FROM (SELECT r.stage_id, count(*)::int AS n, sum(r.amount) AS total
                      FROM records r
                      WHERE r.tenant_id = @t AND r.entity_type_id = @e AND r.pipeline_id = @p {Scope}
                      GROUP BY r.stage_id) g
                LEFT JOIN pipeline_stages s ON s.tenant_id = @t AND s.id = g.stage_id
                """));
            batch.BatchCommands.Add(Command($"""
                SELECT c.id, c.title, c.owner_id, c.amount, c.close_date, c.stage_id, c.field_values, c.rank, c.version, c.stage_entered_at
                FROM unnest(@stages) AS st(id)
                CROSS JOIN LATERAL (
                    SELECT r.id, r.title, r.owner_id, r.amount, r.close_date, r.stage_id, r.field_values, r.rank, r.version, r.stage_entered_at
                    FROM records r
                    WHERE r.tenant_id = @t AND r.entity_type_id = @e AND r.pipeline_id = @p AND r.stage_id = st.id {Scope}
                    ORDER BY r.rank LIMIT 50) c
                """));
            await using var reader = await batch.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                columns[reader.GetGuid(0)] = new Totals(reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetDecimal(2), reader.IsDBNull(3) ? null : reader.GetDecimal(3));
            await reader.NextResultAsync();
            while (await reader.ReadAsync())
                cards.Add(new Card(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.IsDBNull(3) ? null : reader.GetDecimal(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateOnly>(4), reader.IsDBNull(5) ? null : reader.GetGuid(5), reader.GetString(6), reader.GetDouble(7),
                    reader.GetInt64(8), reader.IsDBNull(9) ? null : reader.GetDateTime(9)));
        }

        var overdue = new Dictionary<Guid, int>();
        var names = new Dictionary<Guid, string>();
        var ids = cards.Select(c => c.Id).ToArray();
        var owners = cards.Where(c => c.OwnerId is not null).Select(c => c.OwnerId!.Value).Distinct().ToArray();
        await using (var batch = new NpgsqlBatch(conn))
        {
            var tasks = Command("""
                SELECT record_id, count(*)::int FROM activities
                WHERE tenant_id = @t AND record_id = ANY(@ids) AND kind = 'Task' AND completed_at IS NULL AND due_at IS NOT NULL AND due_at < now()
                GROUP BY record_id
                """);
            tasks.Parameters.AddWithValue("ids", ids);
            batch.BatchCommands.Add(tasks);
            var lookups = Command($"""
                SELECT r.id, r.title FROM records r
                WHERE r.tenant_id = @t AND r.id IN (SELECT DISTINCT (c.field_values ->> k)::uuid FROM records c CROSS JOIN unnest(@keys) AS k
                                                    WHERE c.tenant_id = @t AND c.id = ANY(@ids) AND c.field_values ->> k IS NOT NULL)
                """);
            lookups.Parameters.AddWithValue("ids", ids);
            lookups.Parameters.AddWithValue("keys", _references);
            batch.BatchCommands.Add(lookups);
            var members = new NpgsqlBatchCommand("""
                SELECT m.user_id, u.display_name FROM tenant_memberships m JOIN users u ON u.id = m.user_id
                WHERE m.tenant_id = @t AND m.user_id = ANY(@owners)
                """);
            members.Parameters.AddWithValue("t", tenantId);
            members.Parameters.AddWithValue("owners", owners);
            batch.BatchCommands.Add(members);
            await using var reader = await batch.ExecuteReaderAsync();
            while (await reader.ReadAsync()) overdue[reader.GetGuid(0)] = reader.GetInt32(1);
            await reader.NextResultAsync();
            while (await reader.ReadAsync()) names[reader.GetGuid(0)] = reader.GetString(1);
            await reader.NextResultAsync();
            while (await reader.ReadAsync()) names[reader.GetGuid(0)] = reader.GetString(1);
        }
        return new Result(columns, cards, overdue, names);
    }

    private NpgsqlBatchCommand Command(string sql)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddWithValue("t", tenantId);
        command.Parameters.AddWithValue("e", entity.Entity.Id);
        command.Parameters.AddWithValue("p", _pipeline);
        command.Parameters.AddWithValue("stages", _stages);
        return command;
    }
}
