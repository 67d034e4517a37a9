using System.Globalization;
using System.Text;
using System.Text.Json;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Benchmarks;

/// <summary>
/// Funnel, pipeline value, win rate and a custom-field group-by (amount by the JSON "source" select) through the
/// app's <see cref="ReportEngine"/> against hand-written SQL on the same PostgreSQL database, both on a connection
/// with the tenant's <c>app.tenant_id</c> (row-level security applies to both). One tenant holds 1,000,000
/// opportunities with their stage history; 99 smaller tenants share the tables. The data is seeded once (batched
/// INSERT … SELECT FROM unnest(arrays): COPY is refused on tables with forced row-level security) and found again
/// on later runs by its marker tenant <c>bench-reports</c>; <c>--reseed</c> rebuilds it.
/// </summary>
public static class ReportsBenchmark
{
    private const string Marker = "bench-reports";
    private const int BigRecords = 1_000_000;
    private const int SmallTenants = 99;
    private const int SmallRecords = 2_000;
    private const int BigMembers = 20;
    private const int Batch = 20_000;
    private static readonly DateTime Now = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    public static async Task<int> RunAsync(string connection, bool reseed)
    {
        await EnsureDatabaseAsync(connection);
        await using var services = BuildServices(connection);
        await using (var db = services.GetRequiredService<ICrmDbContextFactory>().CreateGlobal())
            await db.Database.MigrateAsync();

        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        TenantInfo? big;
        await using (var db = factory.CreateGlobal()) big = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Identifier == Marker);
        if (big is not null && !reseed && await CountRecordsAsync(connection, big.Id) != BigRecords)
        {
            Console.Error.WriteLine("reports: the marker tenant is incomplete (an interrupted seed); reseeding.");
            reseed = true;
        }
        if (big is null || reseed)
        {
            await DeleteAsync(connection);
            big = await SeedAsync(services, connection);
        }
        else
        {
            Console.Error.WriteLine("reports: reusing the seeded data (run with --reseed to rebuild it).");
            await Measure.VacuumAsync(connection, "records", "record_transitions");
        }

        var ownerId = await OwnerOfAsync(factory, big);
        var actor = new Actor(ownerId, "bench", big, MemberRole.Owner);
        var metadata = await services.GetRequiredService<MetadataStore>().GetAsync(big.Id);
        var entity = metadata.Entity("opportunity")!;
        var pipeline = entity.Pipeline("b2b")!;
        var engine = services.GetRequiredService<ReportEngine>();
        ReportDefinition Report(ReportSpec spec) => new() { TenantId = big.Id, Key = spec.Type, EntityTypeId = entity.Entity.Id, Spec = spec };
        var reports = new (string Name, ReportDefinition Report, Func<NpgsqlConnection, Task<string>> Sql, Func<ReportResult, string> Digest)[]
        {
            ("funnel", Report(new ReportSpec { Type = "funnel", Pipeline = "b2b", Chart = "funnel" }), c => FunnelSqlAsync(c, big.Id, entity, pipeline),
                r => string.Join(";", r.Rows.Select(x => $"{x.Key}={x.Cells[r.Column("reached")].Number}/{x.Cells[r.Column("lost")].Number ?? 0}"))),
            ("pipelineValue", Report(new ReportSpec { Type = "pipelineValue", Pipeline = "b2b", Chart = "bar" }), c => PipelineValueSqlAsync(c, big.Id, entity, pipeline),
                r => string.Join(";", r.Rows.Where(x => x.Cells[0].Number > 0).Select(x => $"{x.Key}={x.Cells[0].Number}/{x.Cells[1].Number:0.00}/{x.Cells[2].Number:0.00}"))),
            ("winRate", Report(new ReportSpec { Type = "winRate", Pipeline = "b2b", Chart = "kpi" }), c => WinRateSqlAsync(c, big.Id, entity, pipeline),
                r => $"won={r.Value("won", "count")}/{r.Value("won", "amount"):0.00};lost={r.Value("lost", "count")}/{r.Value("lost", "amount"):0.00}"),
            ("customFieldGroupBy", Report(new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("source"), Measure = new MeasureSpec("sum", "amount") }), c => SourceSqlAsync(c, big.Id, entity),
                r => string.Join(";", r.Rows.Where(x => x.Cells[0].Number > 0).OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}={x.Cells[0].Number:0.00}"))),
        };

        var data = NpgsqlDataSource.Create(connection);
        async Task<string> RunSqlAsync(Func<NpgsqlConnection, Task<string>> sql)
        {
            // The same work per run as the app: a pooled connection, the tenant set on it, the query.
            await using var c = await data.OpenConnectionAsync();
            await using (var set = new NpgsqlCommand("SELECT set_config('app.tenant_id', @t, false)", c))
            {
                set.Parameters.AddWithValue("t", big.Id.ToString());
                await set.ExecuteNonQueryAsync();
            }
            return await sql(c);
        }

        var failed = false;
        foreach (var (name, report, sql, digest) in reports)
        {
            var app = await engine.RunAsync(actor, report);
            var appDigest = digest(app);
            var sqlDigest = await RunSqlAsync(sql);
            if (app.Problem is not null || appDigest != sqlDigest)
            {
                Console.Error.WriteLine($"{name}: the app and the SQL disagree\n  app: {app.Problem ?? appDigest}\n  sql: {sqlDigest}");
                failed = true;
                continue;
            }
            var (appMs, sqlMs, _, _) = await Measure.InterleavedAsync(() => engine.RunAsync(actor, report), () => RunSqlAsync(sql), warmup: 3, iterations: 21);
            Console.WriteLine(Measure.Line(name, appMs, sqlMs));
        }
        return failed ? 1 : 0;
    }

    // ---- hand-written SQL: what a developer would write for the same numbers -------------------------------------

    private static async Task<string> FunnelSqlAsync(NpgsqlConnection c, Guid tenant, EntityMeta entity, PipelineMeta pipeline)
    {
        // Deals now at each step or beyond, plus deals lost from each step or beyond: the same identity the app
        // uses (summing a deal's stage moves leaves it counted up to where it is or where it was lost).
        const string sql = """
            WITH step AS (
                SELECT s.id, CASE WHEN s.kind = 'Won' THEN (SELECT count(*) FROM pipeline_stages o WHERE o.pipeline_id = s.pipeline_id AND o.kind = 'Open' AND NOT o.is_archived) + 1
                                  ELSE (SELECT count(*) FROM pipeline_stages o WHERE o.pipeline_id = s.pipeline_id AND o.kind = 'Open' AND NOT o.is_archived AND o.sort_order <= s.sort_order) END AS pos
                FROM pipeline_stages s WHERE s.tenant_id = @t AND s.pipeline_id = @p AND s.kind <> 'Lost' AND NOT s.is_archived),
            now_at AS (
                SELECT step.pos, sum(a.n) AS n
                FROM (SELECT stage_id, count(*) AS n FROM records
                      WHERE tenant_id = @t AND entity_type_id = @e AND pipeline_id = @p AND stage_id = ANY(@steps) GROUP BY stage_id) a
                JOIN step ON step.id = a.stage_id GROUP BY step.pos),
            lost_at AS (
                SELECT step.pos, sum(a.n) AS n
                FROM (SELECT from_id, count(*) AS n FROM record_transitions
                      WHERE tenant_id = @t AND entity_type_id = @e AND kind = 'Stage' AND to_id = ANY(@lost) GROUP BY from_id) a
                JOIN step ON step.id = a.from_id GROUP BY step.pos)
            SELECT pos, sum(coalesce(now_at.n, 0) + coalesce(lost_at.n, 0)) OVER (ORDER BY pos DESC) AS reached, coalesce(lost_at.n, 0)::bigint AS lost
            FROM (SELECT DISTINCT pos FROM step) p LEFT JOIN now_at USING (pos) LEFT JOIN lost_at USING (pos)
            ORDER BY pos
            """;
        await using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("t", tenant);
        cmd.Parameters.AddWithValue("e", entity.Entity.Id);
        cmd.Parameters.AddWithValue("p", pipeline.Pipeline.Id);
        cmd.Parameters.AddWithValue("steps", pipeline.AllStages.Where(s => s.Kind != StageKind.Lost).Select(s => s.Id).ToArray());
        cmd.Parameters.AddWithValue("lost", pipeline.AllStages.Where(s => s.Kind == StageKind.Lost).Select(s => s.Id).ToArray());
        var steps = pipeline.Stages.Where(s => s.Kind == StageKind.Open).Select(s => s.Key).Append("won").ToList();
        var result = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                result.Add($"{steps[reader.GetInt32(0) - 1]}={reader.GetDecimal(1)}/{reader.GetInt64(2)}");
        return string.Join(";", result);
    }

    private static async Task<string> PipelineValueSqlAsync(NpgsqlConnection c, Guid tenant, EntityMeta entity, PipelineMeta pipeline)
    {
        const string sql = """
            SELECT s.key, a.n, a.total, a.total * s.probability / 100.0
            FROM (SELECT stage_id, count(*) AS n, sum(amount) AS total FROM records
                  WHERE tenant_id = @t AND entity_type_id = @e AND pipeline_id = @p AND stage_id = ANY(@stages) GROUP BY stage_id) a
            JOIN pipeline_stages s ON s.tenant_id = @t AND s.id = a.stage_id
            ORDER BY s.sort_order
            """;
        await using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("t", tenant);
        cmd.Parameters.AddWithValue("e", entity.Entity.Id);
        cmd.Parameters.AddWithValue("p", pipeline.Pipeline.Id);
        cmd.Parameters.AddWithValue("stages", pipeline.AllStages.Where(s => s.Kind == StageKind.Open).Select(s => s.Id).ToArray());
        var parts = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            parts.Add($"{reader.GetString(0)}={reader.GetInt64(1)}/{reader.GetDecimal(2):0.00}/{reader.GetDecimal(3):0.00}");
        return string.Join(";", parts);
    }

    private static async Task<string> WinRateSqlAsync(NpgsqlConnection c, Guid tenant, EntityMeta entity, PipelineMeta pipeline)
    {
        const string sql = """
            SELECT coalesce(sum(a.n) FILTER (WHERE s.kind = 'Won'), 0), coalesce(sum(a.total) FILTER (WHERE s.kind = 'Won'), 0),
                   coalesce(sum(a.n) FILTER (WHERE s.kind = 'Lost'), 0), coalesce(sum(a.total) FILTER (WHERE s.kind = 'Lost'), 0)
            FROM (SELECT stage_id, count(*) AS n, sum(amount) AS total FROM records
                  WHERE tenant_id = @t AND entity_type_id = @e AND pipeline_id = @p AND stage_id = ANY(@stages) GROUP BY stage_id) a
            JOIN pipeline_stages s ON s.tenant_id = @t AND s.id = a.stage_id
            """;
        await using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("t", tenant);
        cmd.Parameters.AddWithValue("e", entity.Entity.Id);
        cmd.Parameters.AddWithValue("p", pipeline.Pipeline.Id);
        cmd.Parameters.AddWithValue("stages", pipeline.AllStages.Where(s => s.Kind != StageKind.Open).Select(s => s.Id).ToArray());
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return $"won={reader.GetDecimal(0)}/{reader.GetDecimal(1):0.00};lost={reader.GetDecimal(2)}/{reader.GetDecimal(3):0.00}";
    }

    private static async Task<string> SourceSqlAsync(NpgsqlConnection c, Guid tenant, EntityMeta entity)
    {
        const string sql = """
            SELECT field_values ->> 'source', sum(amount) FROM records
            WHERE tenant_id = @t AND entity_type_id = @e
            GROUP BY 1
            """;
        await using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("t", tenant);
        cmd.Parameters.AddWithValue("e", entity.Entity.Id);
        var parts = new List<(string Key, decimal Sum)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            if (!reader.IsDBNull(0) && !reader.IsDBNull(1)) parts.Add((reader.GetString(0), reader.GetDecimal(1)));
        return string.Join(";", parts.Where(p => p.Sum > 0).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Sum:0.00}"));
    }

    // ---- seeding -------------------------------------------------------------------------------------------------

    private static ServiceProvider BuildServices(string connection)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLocalization();
        services.AddCrmCore(DatabaseProvider.Postgres, connection);
        return services.BuildServiceProvider();
    }

    private static async Task EnsureDatabaseAsync(string connection)
    {
        var builder = new NpgsqlConnectionStringBuilder(connection);
        var name = builder.Database ?? "crm_bench";
        builder.Database = "postgres";
        await using var c = new NpgsqlConnection(builder.ConnectionString);
        await c.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", c);
        exists.Parameters.AddWithValue("n", name);
        if (await exists.ExecuteScalarAsync() is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
            await create.ExecuteNonQueryAsync();
        }
    }

    private static async Task<long> CountRecordsAsync(string connection, Guid tenant)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await SetTenantAsync(c, tenant);
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM records WHERE tenant_id = @t", c);
        cmd.Parameters.AddWithValue("t", tenant);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task SetTenantAsync(NpgsqlConnection c, Guid tenant)
    {
        await using var cmd = new NpgsqlCommand("SELECT set_config('app.tenant_id', @t, false)", c);
        cmd.Parameters.AddWithValue("t", tenant.ToString());
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Drops earlier benchmark tenants (their rows go with them: the foreign keys cascade) and users.</summary>
    private static async Task DeleteAsync(string connection)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            DELETE FROM tenants WHERE identifier = 'bench-reports' OR identifier LIKE 'bench-reports-%';
            DELETE FROM users WHERE normalized_email LIKE 'BENCH-REPORTS%';
            """, c) { CommandTimeout = 3600 };
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<Guid> OwnerOfAsync(ICrmDbContextFactory factory, TenantInfo tenant)
    {
        await using var db = factory.CreateGlobal();
        return await db.Memberships.Where(m => m.TenantId == tenant.Id && m.Role == MemberRole.Owner).Select(m => m.UserId).FirstAsync();
    }

    private static async Task<TenantInfo> SeedAsync(IServiceProvider services, string connection)
    {
        var started = DateTime.UtcNow;
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        var template = new TemplateCatalog(TemplateCatalog.DefaultFolder(AppContext.BaseDirectory)).Find("b2b_sales_funnel")
            ?? throw new InvalidOperationException("templates/b2b-sales-funnel.json not found");
        var random = new Random(20261101);
        TenantInfo? big = null;
        for (var t = 0; t <= SmallTenants; t++)
        {
            var slug = t == 0 ? Marker : $"{Marker}-{t:000}";
            var tenant = new TenantInfo { Identifier = slug, Name = t == 0 ? "Benchmark 1M" : $"Benchmark {t}", DefaultCulture = "zh-CN" };
            var members = new List<Guid>();
            await using (var db = factory.CreateGlobal())
            {
                db.Tenants.Add(tenant);
                for (var m = 0; m < (t == 0 ? BigMembers : 3); m++)
                {
                    var email = $"{slug}-{m}@bench.local";
                    var user = new ApplicationUser
                    {
                        UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(),
                        DisplayName = $"销售 {m + 1}", SecurityStamp = Guid.NewGuid().ToString(),
                    };
                    db.Users.Add(user);
                    db.Memberships.Add(new TenantMembership { TenantId = tenant.Id, UserId = user.Id, Role = m == 0 ? MemberRole.Owner : MemberRole.Member });
                    members.Add(user.Id);
                }
                await db.SaveChangesAsync();
            }
            var owner = new Actor(members[0], "bench", tenant, MemberRole.Owner);
            var installed = await services.GetRequiredService<TemplateInstaller>().InstallAsync(owner, template.Document, new InstallOptions(false));
            if (!installed.Succeeded) throw new InvalidOperationException("Template install failed: " + installed.Errors);
            await TemplateRules.ArchiveAsync(services, owner);
            var metadata = await services.GetRequiredService<MetadataStore>().GetAsync(tenant.Id);
            var count = t == 0 ? BigRecords : SmallRecords;
            await InsertOpportunitiesAsync(connection, tenant.Id, metadata.Entity("opportunity")!, members, count, random);
            if (t == 0)
            {
                big = tenant;
                Console.Error.WriteLine($"reports: seeded {count:N0} records in {slug} ({(DateTime.UtcNow - started).TotalSeconds:0} s)");
            }
        }
        await Measure.VacuumAsync(connection, "records", "record_transitions");
        Console.Error.WriteLine($"reports: seeded {SmallTenants} smaller tenants too; {(DateTime.UtcNow - started).TotalSeconds:0} s in all");
        return big!;
    }

    private static readonly string[] Sources = ["website", "exhibition", "event", "webinar", "advertising", "social_media", "email", "referral", "telemarketing", "other"];
    private static readonly int[] SourceWeights = [22, 12, 8, 6, 10, 9, 5, 16, 7, 5];

    /// <summary>
    /// Opportunities with a realistic stage history: half still open (most in early stages), a fifth won (some
    /// moved on to after-sales), the rest lost from some stage. Each record gets its transitions, as the record
    /// writer would append them.
    /// </summary>
    private static async Task InsertOpportunitiesAsync(string connection, Guid tenant, EntityMeta entity, List<Guid> members, int count, Random random)
    {
        var pipeline = entity.Pipeline("b2b")!;
        var open = pipeline.Stages.Where(s => s.Kind == StageKind.Open).ToList();
        var won = pipeline.Stage("won")!;
        var afterSales = pipeline.Stage("after_sales")!;
        var lost = pipeline.Stage("lost")!;
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await SetTenantAsync(c, tenant);

        var records = new RecordBatch();
        var transitions = new TransitionBatch();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.CreateVersion7();
            var owner = members[random.Next(members.Count)];
            var created = Now.AddDays(-random.Next(1, 720)).AddSeconds(random.Next(0, 86400));
            var amount = random.Next(10, 1000) * 1000m;
            var roll = random.Next(100);
            var path = new List<PipelineStage>();
            int furthest;
            if (roll < 18) furthest = open.Count;
            else if (roll < 50) furthest = random.Next(1, open.Count + 1);
            else furthest = Pick(random, [30, 25, 20, 15, 10]) + 1;
            path.AddRange(open.Take(furthest));
            if (roll < 18) { path.Add(won); if (random.Next(10) < 3) path.Add(afterSales); }
            else if (roll < 50) path.Add(lost);

            var at = created;
            PipelineStage? from = null;
            var enteredFrom = created;
            foreach (var stage in path)
            {
                if (from is not null) at = at.AddDays(random.Next(1, 21)).AddSeconds(random.Next(0, 3600));
                if (at > Now) at = Now;
                transitions.Add(Guid.CreateVersion7(), id, from?.Id, stage.Id, at, owner, amount,
                    from is null ? null : (long)(at - enteredFrom).TotalSeconds, (long)(at - created).TotalSeconds);
                enteredFrom = at;
                from = stage;
            }
            var current = path[^1];
            var close = DateOnly.FromDateTime(created.AddDays(random.Next(30, 180)));
            var source = Sources[Pick(random, SourceWeights)];
            var title = $"商机 {i + 1:000000} · {source}";
            var values = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["code"] = $"OPP-{i + 1:000000}", ["name"] = title, ["amount"] = amount, ["expected_close"] = close.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["owner"] = owner.ToString(), ["stage"] = current.Key, ["weighted_amount"] = amount * current.Probability / 100m, ["source"] = source,
                ["next_step"] = "电话回访",
            });
            records.Add(id, title, owner, current.Id, amount, close, values, title.ToLowerInvariant(), -(created - DateTime.UnixEpoch).TotalSeconds, at, created);
            if (records.Count >= Batch)
            {
                await records.FlushAsync(c, tenant, entity.Entity.Id, pipeline.Pipeline.Id);
                await transitions.FlushAsync(c, tenant, entity.Entity.Id, pipeline.Pipeline.Id);
            }
        }
        await records.FlushAsync(c, tenant, entity.Entity.Id, pipeline.Pipeline.Id);
        await transitions.FlushAsync(c, tenant, entity.Entity.Id, pipeline.Pipeline.Id);
    }

    private static int Pick(Random random, int[] weights)
    {
        var roll = random.Next(weights.Sum());
        for (var i = 0; i < weights.Length; i++)
        {
            if (roll < weights[i]) return i;
            roll -= weights[i];
        }
        return weights.Length - 1;
    }

    private sealed class RecordBatch
    {
        private readonly List<Guid> _ids = [], _owners = [], _stages = [];
        private readonly List<string> _titles = [], _values = [], _search = [];
        private readonly List<decimal> _amounts = [];
        private readonly List<DateOnly> _closes = [];
        private readonly List<double> _ranks = [];
        private readonly List<DateTime> _entered = [], _created = [];

        public int Count => _ids.Count;

        public void Add(Guid id, string title, Guid owner, Guid stage, decimal amount, DateOnly close, string values, string search, double rank, DateTime entered, DateTime created)
        {
            _ids.Add(id); _titles.Add(title); _owners.Add(owner); _stages.Add(stage); _amounts.Add(amount); _closes.Add(close);
            _values.Add(values); _search.Add(search); _ranks.Add(rank); _entered.Add(entered); _created.Add(created);
        }

        public async Task FlushAsync(NpgsqlConnection c, Guid tenant, Guid entity, Guid pipeline)
        {
            if (Count == 0) return;
            const string sql = """
                INSERT INTO records (tenant_id, id, entity_type_id, title, owner_id, pipeline_id, stage_id, amount, close_date, field_values,
                                     search_text, rank, stage_entered_at, created_at, created_by, updated_at, updated_by, version)
                SELECT @tenant, u.id, @entity, u.title, u.owner, @pipeline, u.stage, u.amount, u.close, u.vals::jsonb,
                       u.search, u.rank, u.entered, u.created, u.owner, u.entered, u.owner, 1
                FROM unnest(@ids, @titles, @owners, @stages, @amounts, @closes, @vals, @search, @ranks, @entered, @created)
                     AS u(id, title, owner, stage, amount, close, vals, search, rank, entered, created)
                """;
            await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 600 };
            cmd.Parameters.AddWithValue("tenant", tenant);
            cmd.Parameters.AddWithValue("entity", entity);
            cmd.Parameters.AddWithValue("pipeline", pipeline);
            cmd.Parameters.AddWithValue("ids", _ids.ToArray());
            cmd.Parameters.AddWithValue("titles", _titles.ToArray());
            cmd.Parameters.AddWithValue("owners", _owners.ToArray());
            cmd.Parameters.AddWithValue("stages", _stages.ToArray());
            cmd.Parameters.AddWithValue("amounts", _amounts.ToArray());
            cmd.Parameters.Add(new NpgsqlParameter("closes", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = _closes.ToArray() });
            cmd.Parameters.AddWithValue("vals", _values.ToArray());
            cmd.Parameters.AddWithValue("search", _search.ToArray());
            cmd.Parameters.AddWithValue("ranks", _ranks.ToArray());
            cmd.Parameters.AddWithValue("entered", _entered.ToArray());
            cmd.Parameters.AddWithValue("created", _created.ToArray());
            await cmd.ExecuteNonQueryAsync();
            _ids.Clear(); _titles.Clear(); _owners.Clear(); _stages.Clear(); _amounts.Clear(); _closes.Clear();
            _values.Clear(); _search.Clear(); _ranks.Clear(); _entered.Clear(); _created.Clear();
        }
    }

    private sealed class TransitionBatch
    {
        private readonly List<Guid> _ids = [], _records = [], _to = [], _by = [];
        private readonly List<Guid?> _from = [];
        private readonly List<DateTime> _at = [];
        private readonly List<decimal> _amounts = [];
        private readonly List<long?> _inFrom = [];
        private readonly List<long> _sinceCreated = [];

        public void Add(Guid id, Guid record, Guid? from, Guid to, DateTime at, Guid by, decimal amount, long? inFrom, long sinceCreated)
        {
            _ids.Add(id); _records.Add(record); _from.Add(from); _to.Add(to); _at.Add(at); _by.Add(by); _amounts.Add(amount);
            _inFrom.Add(inFrom); _sinceCreated.Add(sinceCreated);
        }

        public async Task FlushAsync(NpgsqlConnection c, Guid tenant, Guid entity, Guid pipeline)
        {
            if (_ids.Count == 0) return;
            const string sql = """
                INSERT INTO record_transitions (tenant_id, id, record_id, entity_type_id, kind, pipeline_id, from_id, to_id, at, by_user_id, amount,
                                                seconds_in_from, seconds_since_created)
                SELECT @tenant, u.id, u.record, @entity, 'Stage', @pipeline, u.from_id, u.to_id, u.at, u.by_user, u.amount, u.in_from, u.since
                FROM unnest(@ids, @records, @from, @to, @at, @by, @amounts, @inFrom, @since) AS u(id, record, from_id, to_id, at, by_user, amount, in_from, since)
                """;
            await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 600 };
            cmd.Parameters.AddWithValue("tenant", tenant);
            cmd.Parameters.AddWithValue("entity", entity);
            cmd.Parameters.AddWithValue("pipeline", pipeline);
            cmd.Parameters.AddWithValue("ids", _ids.ToArray());
            cmd.Parameters.AddWithValue("records", _records.ToArray());
            cmd.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = _from.ToArray() });
            cmd.Parameters.AddWithValue("to", _to.ToArray());
            cmd.Parameters.AddWithValue("at", _at.ToArray());
            cmd.Parameters.AddWithValue("by", _by.ToArray());
            cmd.Parameters.AddWithValue("amounts", _amounts.ToArray());
            cmd.Parameters.Add(new NpgsqlParameter("inFrom", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = _inFrom.ToArray() });
            cmd.Parameters.AddWithValue("since", _sinceCreated.ToArray());
            await cmd.ExecuteNonQueryAsync();
            _ids.Clear(); _records.Clear(); _from.Clear(); _to.Clear(); _at.Clear(); _by.Clear(); _amounts.Clear(); _inFrom.Clear(); _sinceCreated.Clear();
        }
    }
}
