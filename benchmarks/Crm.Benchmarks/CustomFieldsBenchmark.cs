using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Boards;
using Crm.Core.Data;
using Crm.Core.Design;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Reports;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Benchmarks;

/// <summary>
/// Custom fields at column speed (issue 14). One workspace with N opportunities (default 1,000,000) carrying three
/// custom fields added through the designer — 客户评分 <c>score</c> (number), 客户等级 <c>tier</c> (select, 8 options),
/// 签约日期 <c>signed_on</c> (date) — plus 99 small workspaces; the records are written with binary COPY exactly as the
/// app stores them (JSON values and the typed slot copies, computed by <see cref="IndexSlots.Project"/>), checked
/// with <see cref="IndexCopyService"/>. The baseline: <c>cf_native</c>, a copy of the big workspace's opportunities
/// where the three fields are native typed columns with B-tree indexes (plus every non-GIN index <c>records</c> has,
/// and its row-level security policy), queried by hand-written SQL. Each scenario runs through the app's services (lists, reports, board, designer,
/// record service). Database: CRM_BENCH_PG's database name + "_cf" (its own, so <c>--fresh</c> drops only it).
/// </summary>
public static class CustomFieldsBenchmark
{
    private const string Marker = "bench-cf";
    private const int SmallTenants = 99;
    private const int SmallRecords = 1_000;
    private const int Owners = 12;
    private const int Batch = 50_000;
    private static readonly string[] Tiers = ["a", "b", "c", "d", "e", "f", "g", "h"];
    private static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    public static async Task<int> RunAsync(string connection, int count, bool fresh, bool trace = false, bool listsOnly = false)
    {
        connection = await EnsureDatabaseAsync(connection, fresh);
        // No finished load of this --count there (another count, or an interrupted load): start over.
        if (!fresh && !await MarkedAsync(connection, count))
        {
            Console.WriteLine("customfields: no finished load of this --count in the benchmark database; loading it anew");
            connection = await EnsureDatabaseAsync(connection, fresh: true);
        }
        await using var services = new ServiceCollection().AddLogging().AddLocalization().AddCrmCore(DatabaseProvider.Postgres, connection).BuildServiceProvider();
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        await using (var db = factory.CreateGlobal())
        {
            db.Database.SetCommandTimeout(3600);
            await db.Database.MigrateAsync();
        }

        var (tenant, owner) = await MarkedAsync(connection, count) ? await FindMarkerAsync(factory) : (null, Guid.Empty);
        if (tenant is null)
        {
            var sw = Stopwatch.StartNew();
            (tenant, owner) = await SeedAsync(services, connection, count);
            Console.WriteLine(FormattableString.Invariant($"customfields: loaded {count:N0} + {SmallTenants} × {SmallRecords:N0} opportunities in {sw.Elapsed.TotalSeconds:0} s"));
            sw.Restart();
            await using (var db = factory.CreateForTenant(tenant.Id))
            {
                db.Database.SetCommandTimeout(3600);
                var check = await new IndexCopyService(db, await services.GetRequiredService<MetadataStore>().GetAsync(db)).CheckAsync();
                Console.WriteLine(FormattableString.Invariant(
                    $"customfields: IndexCopyService.check read {check.RecordsRead:N0} records, {check.Differences.Count} differences ({sw.Elapsed.TotalSeconds:0} s)"));
                foreach (var d in check.Differences.Take(5)) Console.WriteLine($"  {d}");
                if (check.Differences.Count > 0) return 1;
            }
            sw.Restart();
            await BuildNativeAsync(services, connection, tenant.Id);
            Console.WriteLine(FormattableString.Invariant($"customfields: native-column copy cf_native built in {sw.Elapsed.TotalSeconds:0} s"));
            await MarkAsync(connection, count);
        }
        else
        {
            Console.WriteLine(FormattableString.Invariant($"customfields: reusing the loaded {count:N0} opportunities (--fresh to rebuild)"));
            if (!await NativeUpToDateAsync(connection))
            {
                var sw = Stopwatch.StartNew();
                await BuildNativeAsync(services, connection, tenant.Id);
                Console.WriteLine(FormattableString.Invariant($"customfields: native-column copy cf_native rebuilt (every workspace, every records column) in {sw.Elapsed.TotalSeconds:0} s"));
            }
        }
        await Measure.VacuumAsync(connection, "records", "cf_native");

        var actor = new Actor(owner, "Bench owner", tenant, MemberRole.Owner);
        var metadata = await services.GetRequiredService<MetadataStore>().GetAsync(tenant.Id);
        var entity = metadata.Entity("opportunity")!;
        foreach (var key in new[] { "score", "tier", "signed_on" })
            Console.WriteLine($"customfields: field {key} → slot {entity.Field(key)?.IndexSlot ?? "none"}");
        // The hand-written side: a pooled connection whose session starts with the tenant set (a startup option, so
        // no round trip for it at all — since cf14b the app sends none of its own either: its first statement sets it).
        var data = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connection) { Options = $"-c {PostgresTenantSessionInterceptor.SettingName}={tenant.Id}" }.ConnectionString);
        async Task<T> Sql<T>(Func<NpgsqlConnection, Task<T>> run)
        {
            await using var c = await data.OpenConnectionAsync();
            return await run(c);
        }
        var lines = new List<string>();
        var failed = false;
        // --trace: the statements one app call sends (EF's commands, by their first words), printed after each line.
        var commands = trace ? CommandTrace.Start() : null;
        if (commands is not null) commands.Full = true;
        async Task Scenario<TA, TS>(string name, Func<Task<TA>> app, Func<NpgsqlConnection, Task<TS>> sql, Func<TA, string> appDigest, Func<TS, string> sqlDigest, double goal)
        {
            var (a, s) = (appDigest(await app()), sqlDigest(await Sql(sql)));
            if (a != s)
            {
                Console.Error.WriteLine($"{name}: the app and the SQL disagree\n  app: {a}\n  sql: {s}");
                failed = true;
                return;
            }
            var (appMs, sqlMs, _, _) = await Measure.InterleavedAsync(app, () => Sql(sql), warmup: 3, iterations: 15);
            var line = Measure.Line(name, appMs, sqlMs) + $" ({a})" + (appMs <= goal && appMs <= 1.5 * sqlMs ? "" : FormattableString.Invariant($" — goal NOT met (≤ {goal:0} ms, ≤ 1.5×)"));
            Console.WriteLine(line);
            lines.Add(line);
            if (commands is null) return;
            commands.On = true;
            await app();
            commands.On = false;
            commands.Print(name[..name.IndexOf(' ')], 1, "call");
        }

        var lists = services.GetRequiredService<RecordListService>();
        const string pageColumns = "id, title, field_values, version, owner_id, pipeline_id, created_at, updated_at";
        // 1. custom number ≥ X (10 %), count + page 41 sorted by it (descending).
        var threshold = 900_000;
        var byScore = new RecordQuery { Filters = [new FilterSpec("score", "gte", JsonValue.Create(threshold))], Sort = [new SortSpec("score", true)], Skip = 1000, Take = 25 };
        await Scenario("customfields/number-filter-sort (score >= 900000, count + page 41 by score desc)",
            () => lists.QueryAsync(actor, "opportunity", byScore),
            c => PageSqlAsync(c, tenant.Id, entity, $"score >= {threshold}", "score DESC, id", 1000, pageColumns),
            p => $"total {p.Total}, first {p.Items.FirstOrDefault()?.Id}", p => $"total {p.Total}, first {p.First}", 100);

        // 2. custom select = option, sorted by a custom date (latest first), page 1.
        var byTier = new RecordQuery { Filters = [new FilterSpec("tier", "eq", JsonValue.Create("c"))], Sort = [new SortSpec("signed_on", true)], Take = 25 };
        await Scenario("customfields/select-filter-date-sort (tier = c, count + page 1 by signed_on desc)",
            () => lists.QueryAsync(actor, "opportunity", byTier),
            c => PageSqlAsync(c, tenant.Id, entity, "tier = 'c'", "signed_on DESC, id", 0, pageColumns),
            p => $"total {p.Total}, first {p.Items.FirstOrDefault()?.Id}", p => $"total {p.Total}, first {p.First}", 100);
        if (listsOnly) return failed ? 1 : 0;

        // 3. report: group by the custom select, sum of amount.
        var engine = services.GetRequiredService<ReportEngine>();
        var report = new ReportDefinition { TenantId = tenant.Id, Key = "custom", EntityTypeId = entity.Entity.Id, Spec = new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("tier"), Measure = new MeasureSpec("sum", "amount") } };
        await Scenario("customfields/report-group-by-select (sum of amount by tier)",
            () => engine.RunAsync(actor, report),
            c => GroupSqlAsync(c, tenant.Id, entity),
            r => r.Problem ?? string.Join(";", r.Rows.Where(x => x.Cells[0].Number > 0).OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => FormattableString.Invariant($"{x.Key}={x.Cells[0].Number:0.00}"))),
            s => s, 500);

        // 3b. the same with a custom number as the measure (read from its slot, not the JSON).
        var scoreReport = new ReportDefinition { TenantId = tenant.Id, Key = "custom", EntityTypeId = entity.Entity.Id, Spec = new ReportSpec { Type = "custom", Chart = "bar", GroupBy = new GroupBySpec("tier"), Measure = new MeasureSpec("sum", "score") } };
        await Scenario("customfields/report-group-by-select-custom-measure (sum of score by tier)",
            () => engine.RunAsync(actor, scoreReport),
            c => GroupSqlAsync(c, tenant.Id, entity, "score"),
            r => r.Problem ?? string.Join(";", r.Rows.Where(x => x.Cells[0].Number > 0).OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => FormattableString.Invariant($"{x.Key}={x.Cells[0].Number:0.00}"))),
            s => s, 500);

        // 4. Kanban board grouped by the custom select.
        var boards = services.GetRequiredService<BoardService>();
        var board = new BoardRequest("opportunity") { GroupBy = "tier" };
        var pageSize = board.PageSize;
        await Scenario("customfields/board-group-by-select (board by tier: totals + first cards)",
            async () => (await boards.LoadAsync(actor, board))!,
            c => BoardSqlAsync(c, tenant.Id, entity, pageSize),
            b => string.Join(";", b.Columns.Where(x => x.Count > 0).Select(x => FormattableString.Invariant($"{x.Column.Key}={x.Count}/{x.Sum:0}/{x.Cards.Count}"))),
            s => s, 100);

        // 5. add a field: a designer save (metadata only) vs ALTER TABLE ADD COLUMN + CREATE INDEX on the native copy.
        var (addApp, addSql) = await AddFieldAsync(services, connection, actor);
        var addLine = Measure.Line("customfields/add-field (designer save vs ALTER TABLE ADD COLUMN + CREATE INDEX)", addApp, addSql)
            + (addApp <= 50 ? "" : " — goal NOT met (≤ 50 ms)");
        Console.WriteLine(addLine);
        lines.Add(addLine);

        // 6. one record update with 20 custom fields, before the fields have slots and after.
        var (before, after) = await UpdateAsync(services, factory, owner);
        var updateLine = FormattableString.Invariant($"customfields/update-20-fields: before (no slots) {before:0.0} ms, after (slots, two selects with kept board totals) {after:0.0} ms, ratio {after / before:0.00}")
            + (after <= 1.5 * before ? "" : " — goal NOT met (≤ 1.5× before)");
        Console.WriteLine(updateLine);
        lines.Add(updateLine);
        return failed ? 1 : 0;
    }

    private sealed record PageResult(long Total, Guid? First);

    private static async Task<PageResult> PageSqlAsync(NpgsqlConnection c, Guid tenant, EntityMeta entity, string where, string order, int skip, string columns)
    {
        var from = $"FROM cf_native WHERE tenant_id = '{tenant}' AND entity_type_id = '{entity.Entity.Id}' AND {where}";
        long total;
        await using (var count = new NpgsqlCommand($"SELECT count(*) {from}", c)) total = (long)(await count.ExecuteScalarAsync())!;
        Guid? first = null;
        await using var rows = new NpgsqlCommand($"SELECT {columns} {from} ORDER BY {order} LIMIT 25 OFFSET {skip}", c);
        await using var reader = await rows.ExecuteReaderAsync();
        while (await reader.ReadAsync()) first ??= reader.GetGuid(0);
        return new PageResult(total, first);
    }

    private static async Task<string> GroupSqlAsync(NpgsqlConnection c, Guid tenant, EntityMeta entity, string measure = "amount")
    {
        await using var cmd = new NpgsqlCommand($"SELECT tier, sum({measure})::numeric FROM cf_native WHERE tenant_id = @t AND entity_type_id = @e GROUP BY tier", c);
        cmd.Parameters.AddWithValue("t", tenant);
        cmd.Parameters.AddWithValue("e", entity.Entity.Id);
        var rows = new List<(string, decimal)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            if (!reader.IsDBNull(1) && reader.GetDecimal(1) > 0) rows.Add((reader.IsDBNull(0) ? "" : reader.GetString(0), reader.GetDecimal(1)));
        return string.Join(";", rows.OrderBy(r => r.Item1, StringComparer.Ordinal).Select(r => FormattableString.Invariant($"{r.Item1}={r.Item2:0.00}")));
    }

    /// <summary>The board by tier as a person would write it: totals per option (weighted by the stage's probability) and the first cards of each option by rank in one round trip, then overdue tasks and owner names.</summary>
    private static async Task<string> BoardSqlAsync(NpgsqlConnection c, Guid tenant, EntityMeta entity, int pageSize)
    {
        var totals = new Dictionary<string, (int Count, decimal? Sum)>();
        var cards = new List<(Guid Id, string Tier, Guid? Owner)>();
        await using (var batch = new NpgsqlBatch(c))
        {
            var t = new NpgsqlBatchCommand("""
                SELECT g.tier, sum(g.n)::int, sum(g.total), sum(g.total * coalesce(s.probability, 0)) / 100
                FROM (SELECT tier, stage_id, count(*) AS n, sum(amount) AS total FROM cf_native
                      WHERE tenant_id = @t AND entity_type_id = @e GROUP BY tier, stage_id) g
                LEFT JOIN pipeline_stages s ON s.tenant_id = @t AND s.id = g.stage_id
                GROUP BY g.tier
                """);
            var p = new NpgsqlBatchCommand("""
                SELECT x.id, o.k, x.owner_id FROM unnest(@tiers) AS o(k)
                CROSS JOIN LATERAL (SELECT id, title, owner_id, amount, close_date, stage_id, status_option_id, field_values, rank, version, stage_entered_at
                                    FROM cf_native WHERE tenant_id = @t AND entity_type_id = @e AND tier = o.k ORDER BY rank LIMIT @n) x
                """);
            foreach (var cmd in new[] { t, p })
            {
                cmd.Parameters.AddWithValue("t", tenant);
                cmd.Parameters.AddWithValue("e", entity.Entity.Id);
                batch.BatchCommands.Add(cmd);
            }
            p.Parameters.AddWithValue("tiers", Tiers);
            p.Parameters.AddWithValue("n", pageSize);
            await using var reader = await batch.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                totals[reader.IsDBNull(0) ? BoardLayout.NoValueKey : reader.GetString(0)] = (reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetDecimal(2));
            await reader.NextResultAsync();
            while (await reader.ReadAsync()) cards.Add((reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2)));
        }
        await using (var batch = new NpgsqlBatch(c))
        {
            var tasks = new NpgsqlBatchCommand("""
                SELECT record_id, count(*)::int FROM activities
                WHERE tenant_id = @t AND record_id = ANY(@ids) AND kind = 'Task' AND completed_at IS NULL AND due_at IS NOT NULL AND due_at < now()
                GROUP BY record_id
                """);
            tasks.Parameters.AddWithValue("t", tenant);
            tasks.Parameters.AddWithValue("ids", cards.Select(x => x.Id).ToArray());
            batch.BatchCommands.Add(tasks);
            var members = new NpgsqlBatchCommand("""
                SELECT m.user_id, u.display_name FROM tenant_memberships m JOIN users u ON u.id = m.user_id
                WHERE m.tenant_id = @t AND m.user_id = ANY(@owners)
                """);
            members.Parameters.AddWithValue("t", tenant);
            members.Parameters.AddWithValue("owners", cards.Where(x => x.Owner is not null).Select(x => x.Owner!.Value).Distinct().ToArray());
            batch.BatchCommands.Add(members);
            await using var reader = await batch.ExecuteReaderAsync();
            do { while (await reader.ReadAsync()) { } } while (await reader.NextResultAsync());
        }
        return string.Join(";", Tiers.Append(BoardLayout.NoValueKey).Where(k => totals.GetValueOrDefault(k).Count > 0)
            .Select(k => FormattableString.Invariant($"{k}={totals[k].Count}/{totals[k].Sum:0}/{cards.Count(x => x.Tier == k)}")));
    }

    /// <summary>Median of 5 designer saves that each add one number field (removed again after timing, so its slot is free for the next) vs median of 3 DDL runs on the native copy.</summary>
    private static async Task<(double App, double Sql)> AddFieldAsync(ServiceProvider services, string connection, Actor actor)
    {
        var designer = services.GetRequiredService<MetadataDesigner>();
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        var app = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var draft = (await designer.LoadEntityAsync(actor, "opportunity"))!;
            var field = draft.AddField("number", new LocalizedText($"新字段 {i}", $"New field {i}"));
            field.Key = "bench_added";
            field.KeyEdited = true;
            var sw = Stopwatch.StartNew();
            var saved = await designer.SaveEntityAsync(actor, draft);
            var ms = sw.Elapsed.TotalMilliseconds;
            if (!saved.Succeeded) throw new InvalidOperationException("add field: " + string.Join("; ", saved.Errors.ByField.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
            if (i > 0) app.Add(ms); // the first is the warm-up
            await using var db = factory.CreateForTenant(actor.TenantId);
            await db.Fields.Where(f => f.Key == "bench_added").ExecuteDeleteAsync();
            await MetadataStore.BumpVersionAsync(db, default);
        }
        var sql = new List<double>();
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            await using (var add = new NpgsqlCommand("ALTER TABLE cf_native ADD COLUMN bench_added double precision; CREATE INDEX ix_cf_native_bench_added ON cf_native (tenant_id, entity_type_id, bench_added)", c) { CommandTimeout = 3600 })
                await add.ExecuteNonQueryAsync();
            sql.Add(sw.Elapsed.TotalMilliseconds);
            await using var drop = new NpgsqlCommand("ALTER TABLE cf_native DROP COLUMN bench_added", c);
            await drop.ExecuteNonQueryAsync();
        }
        app.Sort();
        sql.Sort();
        // Where a designer save's time could go: a metadata load (only when the cached snapshot is not the committed
        // one; since cf14 a save builds the new snapshot from the rows it wrote) and compiling both JSON schemas of
        // every entity type (so the next form opens at once).
        var (loads, compiles) = (new List<double>(), new List<double>());
        for (var i = 0; i < 5; i++)
        {
            await using var db = factory.CreateForTenant(actor.TenantId);
            var sw = Stopwatch.StartNew();
            var loaded = await MetadataStore.LoadAsync(db, await MetadataStore.CurrentVersionAsync(db, default), default);
            loads.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            foreach (var e in loaded.EntityTypes) { _ = e.Schema; _ = e.ValidationSchema; }
            compiles.Add(sw.Elapsed.TotalMilliseconds);
        }
        loads.Sort();
        compiles.Sort();
        var types = (await services.GetRequiredService<MetadataStore>().GetAsync(actor.TenantId)).EntityTypes.Count;
        Console.WriteLine(FormattableString.Invariant(
            $"customfields/add-field profile: metadata load {loads[2]:0.0} ms (a save reloads only when another save committed meanwhile), schema compile {compiles[2]:0.0} ms ({types} entity types, 2 schemas each, once per save)"));
        return (app[app.Count / 2], sql[sql.Count / 2]);
    }

    /// <summary>
    /// In the small workspace bench-cf-001 (20 custom fields cf01…cf20): the median of 31 updates that change all 20,
    /// first with no field holding a slot (as before the slots existed: copies emptied, metadata reloaded), then after
    /// <see cref="IndexCopyService.RebuildAsync"/> gave them theirs.
    /// </summary>
    private static async Task<(double Before, double After)> UpdateAsync(ServiceProvider services, ICrmDbContextFactory factory, Guid owner)
    {
        TenantInfo tenant;
        await using (var global = factory.CreateGlobal()) tenant = await global.Tenants.AsNoTracking().FirstAsync(t => t.Identifier == Marker + "-001");
        var actor = new Actor(owner, "Bench owner", tenant, MemberRole.Owner);
        var store = services.GetRequiredService<MetadataStore>();
        var recordService = services.GetRequiredService<RecordService>();
        List<Guid> ids;
        var entity = (await store.GetAsync(tenant.Id)).Entity("opportunity")!;
        await using (var db = factory.CreateForTenant(tenant.Id))
        {
            ids = await db.Records.Where(r => r.EntityTypeId == entity.Entity.Id).OrderBy(r => r.Id).Select(r => r.Id).Take(36).ToListAsync();
            await db.Fields.Where(f => f.IndexSlot != null).ExecuteUpdateAsync(u => u.SetProperty(f => f.IndexSlot, (string?)null));
            var clear = db.Records.Where(r => r.EntityTypeId == entity.Entity.Id);
            await clear.ExecuteUpdateAsync(u => u
                .SetProperty(r => r.Num1, (double?)null).SetProperty(r => r.Num2, (double?)null).SetProperty(r => r.Num3, (double?)null).SetProperty(r => r.Num4, (double?)null)
                .SetProperty(r => r.Num5, (double?)null).SetProperty(r => r.Num6, (double?)null).SetProperty(r => r.Num7, (double?)null).SetProperty(r => r.Num8, (double?)null)
                .SetProperty(r => r.Text1, (string?)null).SetProperty(r => r.Text2, (string?)null).SetProperty(r => r.Text3, (string?)null).SetProperty(r => r.Text4, (string?)null)
                .SetProperty(r => r.Text5, (string?)null).SetProperty(r => r.Text6, (string?)null).SetProperty(r => r.Text7, (string?)null).SetProperty(r => r.Text8, (string?)null)
                .SetProperty(r => r.Text9, (string?)null).SetProperty(r => r.Text10, (string?)null).SetProperty(r => r.Text11, (string?)null).SetProperty(r => r.Text12, (string?)null));
            await MetadataStore.BumpVersionAsync(db, default);
        }
        // The loaded deals have no company (a required field): the update gives them one, as a form would.
        // An earlier run on the same database made it already (its name is unique): reuse it.
        const string companyName = "更新基准客户";
        Guid companyId;
        await using (var db = factory.CreateForTenant(tenant.Id))
            companyId = await db.Records.Where(r => r.Title == companyName).Select(r => r.Id).FirstOrDefaultAsync();
        if (companyId == Guid.Empty)
        {
            var company = await recordService.CreateAsync(actor, "company", new RecordInput(new JsonObject { ["name"] = companyName }));
            if (!company.Succeeded) throw new InvalidOperationException("company: " + string.Join("; ", company.Errors.ByField.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
            companyId = company.Record!.Id;
        }
        var round = 0;
        async Task<double> TimeAsync()
        {
            var times = new List<double>();
            for (var i = 0; i < ids.Count; i++)
            {
                round++;
                var values = UpdateValues(round);
                values["company"] = companyId.ToString();
                // B2B 1.6.0's form rule requires a lost reason on lost deals; the form would ask for it.
                values["lost_reason"] = "price_too_high";
                var sw = Stopwatch.StartNew();
                var result = await recordService.UpdateAsync(actor, ids[i], new RecordInput(values));
                if (i >= 5) times.Add(sw.Elapsed.TotalMilliseconds); // five warm-ups
                if (!result.Succeeded) throw new InvalidOperationException("update: " + string.Join("; ", result.Errors.ByField.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
            }
            times.Sort();
            return times[times.Count / 2];
        }
        var before = await TimeAsync();
        await using (var db = factory.CreateForTenant(tenant.Id))
        {
            var rebuilt = await new IndexCopyService(db, await store.GetAsync(db)).RebuildAsync();
            var slots = (await store.GetAsync(tenant.Id)).Entity("opportunity")!.AllFields.Count(f => f.Key.StartsWith("cf", StringComparison.Ordinal) && f.IndexSlot is not null);
            Console.WriteLine($"customfields: update workspace rebuilt ({rebuilt.RecordsRead} records, {rebuilt.Differences.Count} copies written); {slots} of the 20 custom fields have a slot");
        }
        // Boards grouped by two of the selects: PostgreSQL keeps their totals from now on (MaintainedTotals), so the
        // updates after pay the triggers' delta rows too.
        var boards = services.GetRequiredService<BoardService>();
        foreach (var key in new[] { "cf09", "cf10" })
            if (await boards.LoadAsync(actor, new BoardRequest("opportunity") { GroupBy = key }) is null) throw new InvalidOperationException("board by " + key);
        var after = await TimeAsync();
        return (before, after);
    }

    /// <summary>The 20 custom fields of the update workspace: 8 of the number family, 12 of the text family.</summary>
    private static readonly (string Key, string Type)[] UpdateFields =
    [
        ("cf01", "number"), ("cf02", "number"), ("cf03", "money"), ("cf04", "money"), ("cf05", "percent"), ("cf06", "percent"), ("cf07", "bool"), ("cf08", "number"),
        ("cf09", "select"), ("cf10", "select"), ("cf11", "date"), ("cf12", "date"), ("cf13", "text"), ("cf14", "text"), ("cf15", "select"), ("cf16", "date"),
        ("cf17", "text"), ("cf18", "select"), ("cf19", "text"), ("cf20", "date"),
    ];

    private static JsonObject UpdateValues(int round)
    {
        var values = new JsonObject();
        foreach (var (key, type) in UpdateFields)
            values[key] = type switch
            {
                "number" or "money" => JsonValue.Create(round * 10 + int.Parse(key[2..], CultureInfo.InvariantCulture)),
                "percent" => JsonValue.Create(round % 100),
                "bool" => JsonValue.Create(round % 2 == 0),
                "select" => JsonValue.Create(Tiers[round % Tiers.Length]),
                "date" => JsonValue.Create(new DateOnly(2026, 1, 1).AddDays(round % 300).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                _ => JsonValue.Create($"值 {round} {key}"),
            };
        return values;
    }

    // ---- loading ----------------------------------------------------------------------------------------------

    /// <summary>The benchmark's own database (CRM_BENCH_PG's name + "_cf"), created when missing, dropped first with --fresh; its connection string.</summary>
    private static async Task<string> EnsureDatabaseAsync(string connection, bool fresh)
    {
        var target = new NpgsqlConnectionStringBuilder(connection);
        if (!(target.Database ?? "").EndsWith("_cf", StringComparison.Ordinal)) target.Database = (target.Database ?? "crm_bench") + "_cf";
        var maintenance = new NpgsqlConnectionStringBuilder(connection) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(maintenance.ConnectionString);
        await conn.OpenAsync();
        if (fresh)
        {
            NpgsqlConnection.ClearAllPools();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{target.Database}\" WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
        }
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", conn);
        exists.Parameters.AddWithValue("n", target.Database!);
        if (await exists.ExecuteScalarAsync() is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{target.Database}\"", conn);
            await create.ExecuteNonQueryAsync();
        }
        return target.ConnectionString;
    }

    private static async Task<bool> MarkedAsync(string connection, int count)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT to_regclass('cf_bench_marker') IS NOT NULL", c);
        if (await exists.ExecuteScalarAsync() is not true) return false;
        await using var cmd = new NpgsqlCommand("SELECT count FROM cf_bench_marker", c);
        return await cmd.ExecuteScalarAsync() is int loaded && loaded == count;
    }

    /// <summary>The marker workspace and its owner (the marker table is written last, so a marked database holds a finished load).</summary>
    private static async Task<(TenantInfo?, Guid)> FindMarkerAsync(ICrmDbContextFactory factory)
    {
        await using var db = factory.CreateGlobal();
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Identifier == Marker);
        if (tenant is null) return (null, Guid.Empty);
        var owner = await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenant.Id && m.Role == MemberRole.Owner).Select(m => m.UserId).FirstAsync();
        return (tenant, owner);
    }

    private static async Task MarkAsync(string connection, int count)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("CREATE TABLE cf_bench_marker (count int NOT NULL); INSERT INTO cf_bench_marker VALUES (@n)", c);
        cmd.Parameters.AddWithValue("n", count);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<(TenantInfo, Guid)> SeedAsync(ServiceProvider services, string connection, int count)
    {
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        var installer = services.GetRequiredService<TemplateInstaller>();
        var designer = services.GetRequiredService<MetadataDesigner>();
        var store = services.GetRequiredService<MetadataStore>();
        var template = new TemplateCatalog(TemplateCatalog.DefaultFolder(AppContext.BaseDirectory)).Find("b2b_sales_funnel")!.Document;
        var users = Enumerable.Range(1, Owners).Select(i => new ApplicationUser
        {
            UserName = $"cf{i}@bench.local", NormalizedUserName = $"CF{i}@BENCH.LOCAL", Email = $"cf{i}@bench.local",
            NormalizedEmail = $"CF{i}@BENCH.LOCAL", DisplayName = $"销售 {i:00}", SecurityStamp = Guid.NewGuid().ToString("N"),
        }).ToList();
        var tenants = Enumerable.Range(0, SmallTenants + 1).Select(i => new TenantInfo
        {
            Identifier = i == 0 ? Marker : $"{Marker}-{i:000}", Name = i == 0 ? "Custom fields benchmark" : $"CF workspace {i:000}", DefaultCulture = "zh-CN",
        }).ToList();
        await using (var db = factory.CreateGlobal())
        {
            db.Users.AddRange(users);
            db.Tenants.AddRange(tenants);
            foreach (var t in tenants)
                foreach (var u in t == tenants[0] ? users : users.Take(1))
                    db.Memberships.Add(new TenantMembership { TenantId = t.Id, UserId = u.Id, Role = u == users[0] ? MemberRole.Owner : MemberRole.Member });
            await db.SaveChangesAsync();
        }

        var random = new Random(20261203);
        for (var i = 0; i < tenants.Count; i++)
        {
            var tenant = tenants[i];
            var actor = new Actor(users[0].Id, users[0].DisplayName, tenant, MemberRole.Owner);
            var installed = await installer.InstallAsync(actor, template, new InstallOptions(WithSampleData: false));
            if (!installed.Succeeded) throw new InvalidOperationException("Template install failed: " + installed.Errors);
            await TemplateRules.ArchiveAsync(services, actor);
            // The custom fields, added as an administrator does: through the designer (each gets its slot there).
            var draft = (await designer.LoadEntityAsync(actor, "opportunity"))!;
            void Add(string key, string type, LocalizedText label, FieldSettings? settings = null)
            {
                var f = draft.AddField(type, label);
                f.Key = key;
                f.KeyEdited = true;
                if (settings is not null) f.Settings = settings;
            }
            Add("score", "number", new LocalizedText("客户评分", "Score"));
            Add("tier", "select", new LocalizedText("客户等级", "Tier"), new FieldSettings
            {
                ShowInList = true, Options = [.. Tiers.Select(t => new ChoiceOption(t, new LocalizedText(t.ToUpperInvariant() + " 级", "Tier " + t.ToUpperInvariant())))],
            });
            Add("signed_on", "date", new LocalizedText("签约日期", "Signed on"));
            if (i == 1)
                foreach (var (key, type) in UpdateFields)
                    Add(key, type, new LocalizedText("自定义 " + key, "Custom " + key), type == "select"
                        ? new FieldSettings { ShowInList = false, Options = [.. Tiers.Select(t => new ChoiceOption(t, LocalizedText.Same(t)))] }
                        : null);
            var saved = await designer.SaveEntityAsync(actor, draft);
            if (!saved.Succeeded) throw new InvalidOperationException("custom fields: " + string.Join("; ", saved.Errors.ByField.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
            var metadata = await store.GetAsync(tenant.Id);
            var sw = Stopwatch.StartNew();
            await CopyRecordsAsync(connection, tenant.Id, metadata, i == 0 ? count : SmallRecords, i == 0 ? users.Select(u => u.Id).ToList() : [users[0].Id], random);
            if (i == 0) Console.WriteLine(FormattableString.Invariant($"customfields: {count:N0} opportunities copied in {sw.Elapsed.TotalSeconds:0} s"));
            if ((i + 1) % 20 == 0) Console.WriteLine($"customfields: loaded {i + 1}/{tenants.Count} workspaces");
        }
        await Measure.VacuumAsync(connection, "records");
        return (tenants[0], users[0].Id);
    }

    /// <summary>Opportunities of one workspace through binary COPY in batches (into a temporary table, then INSERT … SELECT under row-level security), JSON and slot copies as the app writes them.</summary>
    private static async Task CopyRecordsAsync(string connection, Guid tenantId, TenantMetadata metadata, int count, List<Guid> owners, Random random)
    {
        var entity = metadata.Entity("opportunity")!;
        var pipeline = entity.DefaultPipeline!;
        var stages = pipeline.Stages.ToList();
        var sources = entity.Field("source")!.Settings.Options!.Select(o => o.Key).ToList();
        var extra = entity.Field("cf01") is not null;
        string[] cities = ["上海", "北京", "深圳", "杭州", "成都", "南京", "武汉", "西安"];
        string[] products = ["CRM 专业版", "数据中台", "工单系统", "营销自动化", "BI 报表", "ERP 对接"];
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using (var set = new NpgsqlCommand($"SELECT set_config('{PostgresTenantSessionInterceptor.SettingName}', @t, false)", conn))
        {
            set.Parameters.AddWithValue("t", tenantId.ToString());
            await set.ExecuteNonQueryAsync();
        }
        await using (var temp = new NpgsqlCommand("CREATE TEMP TABLE load_records (LIKE records)", conn)) await temp.ExecuteNonQueryAsync();
        const string columns = "tenant_id, id, entity_type_id, title, owner_id, pipeline_id, stage_id, amount, close_date, field_values, search_text, rank, stage_entered_at, created_at, created_by, updated_at, updated_by, version, "
            + "num1, num2, num3, num4, num5, num6, num7, num8, text1, text2, text3, text4, text5, text6, text7, text8, text9, text10, text11, text12";
        for (var start = 0; start < count; start += Batch)
        {
            await using (var writer = await conn.BeginBinaryImportAsync($"COPY load_records ({columns}) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = start; i < Math.Min(count, start + Batch); i++)
                {
                    var stage = stages[random.Next(stages.Count)];
                    var owner = owners[random.Next(owners.Count)];
                    var amount = random.Next(5, 2000) * 1000m;
                    var close = DateOnly.FromDateTime(Now.AddDays(random.Next(-200, 240)));
                    var created = Now.AddDays(-random.Next(1, 900)).AddSeconds(-random.Next(86400));
                    var title = $"{cities[i % cities.Length]}{i % 5000:0000} {products[random.Next(products.Length)]} #{i}";
                    var values = new JsonObject
                    {
                        ["code"] = $"OPP-{i + 1:0000000}", ["name"] = title, ["amount"] = amount,
                        ["expected_close"] = close.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["owner"] = owner.ToString(), ["stage"] = stage.Key,
                        ["weighted_amount"] = Math.Round(amount * stage.Probability / 100m, 2), ["source"] = sources[random.Next(sources.Count)],
                        ["score"] = random.Next(0, 1_000_000), ["tier"] = Tiers[random.Next(Tiers.Length)],
                        ["signed_on"] = new DateOnly(2023, 1, 1).AddDays(random.Next(0, 1430)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    };
                    if (extra) foreach (var (k, v) in UpdateValues(i)) values[k] = v?.DeepClone();
                    // The slot copies exactly as the app's IndexCopiesStep writes them.
                    var record = new Record();
                    IndexSlots.Project(record, entity, values);
                    await writer.StartRowAsync();
                    await writer.WriteAsync(tenantId, NpgsqlDbType.Uuid);
                    await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                    await writer.WriteAsync(entity.Entity.Id, NpgsqlDbType.Uuid);
                    await writer.WriteAsync(title, NpgsqlDbType.Varchar);
                    await writer.WriteAsync(owner, NpgsqlDbType.Uuid);
                    await writer.WriteAsync(pipeline.Pipeline.Id, NpgsqlDbType.Uuid);
                    await writer.WriteAsync(stage.Id, NpgsqlDbType.Uuid);
                    await writer.WriteAsync(amount, NpgsqlDbType.Numeric);
                    await writer.WriteAsync(close, NpgsqlDbType.Date);
                    await writer.WriteAsync(values.ToJsonString(), NpgsqlDbType.Jsonb);
                    await writer.WriteAsync(title.ToLowerInvariant(), NpgsqlDbType.Text);
                    await writer.WriteAsync(-(created - DateTime.UnixEpoch).TotalSeconds + random.NextDouble(), NpgsqlDbType.Double);
                    await writer.WriteAsync(created, NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(created, NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(owner, NpgsqlDbType.Uuid);
                    await writer.WriteAsync(created, NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(owner, NpgsqlDbType.Uuid);
                    await writer.WriteAsync(1L, NpgsqlDbType.Bigint);
                    foreach (var slot in IndexSlots.All)
                        switch (IndexSlots.Get(record, slot))
                        {
                            case double d: await writer.WriteAsync(d, NpgsqlDbType.Double); break;
                            case string s: await writer.WriteAsync(s, NpgsqlDbType.Text); break;
                            default: await writer.WriteNullAsync(); break;
                        }
                }
                await writer.CompleteAsync();
            }
            await using (var insert = new NpgsqlCommand("INSERT INTO records SELECT * FROM load_records; TRUNCATE load_records", conn) { CommandTimeout = 3600 })
                await insert.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// Brings a copy built before cf-plan up to date: its rank index (the board), and score as double precision —
    /// numeric comparisons are not leakproof, so under row-level security "score &gt;= x" is a filter over every index
    /// entry (393 ms at 1M), not an index condition; an engineer who knows that builds the column as double precision
    /// (as the app's number slots are now).
    /// </summary>
    /// <summary>False when cf_native is an older copy (only the big workspace, fewer columns): it is rebuilt.</summary>
    private static async Task<bool> NativeUpToDateAsync(string connection)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var has = new NpgsqlCommand("SELECT count(*) FROM information_schema.columns WHERE table_name = 'cf_native' AND column_name IN ('created_by', 'score')", c);
        return (long)(await has.ExecuteScalarAsync())! == 2;
    }

    /// <summary>
    /// cf_native: what the table would be if score, tier and signed_on were native typed columns — every column of
    /// records but the three slots those fields use (the other slots stand for the other fields' native columns),
    /// the rows of every workspace (the three columns null outside the big one's opportunities), a B-tree on each
    /// (tenant, entity type, column) — what a DBA adds per field — and every non-GIN, non-slot index of records.
    /// A copy of the big workspace alone (as before) was narrower and 10 % shorter than records, so a full scan
    /// (report, board totals) read fewer pages than the same scan on a native-column records table would.
    /// </summary>
    private static async Task BuildNativeAsync(ServiceProvider services, string connection, Guid tenantId)
    {
        var entity = (await services.GetRequiredService<MetadataStore>().GetAsync(tenantId)).Entity("opportunity")!;
        var usedSlots = new[] { "score", "tier", "signed_on" }.Select(k => entity.Field(k)?.IndexSlot).Where(x => x is not null)
            .Select(x => IndexSlots.Property(x!).ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        async Task Run(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 3600 };
            await cmd.ExecuteNonQueryAsync();
        }
        var columns = new List<string>();
        await using (var cmd = new NpgsqlCommand("SELECT column_name FROM information_schema.columns WHERE table_name = 'records' AND table_schema = current_schema() ORDER BY ordinal_position", c))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) if (!usedSlots.Contains(reader.GetString(0))) columns.Add(reader.GetString(0));
        var tenants = new List<Guid>();
        await using (var cmd = new NpgsqlCommand("SELECT id FROM tenants ORDER BY id", c))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tenants.Add(reader.GetGuid(0));
        var select = $"""
            SELECT {string.Join(", ", columns)},
                   CASE WHEN entity_type_id = '{entity.Entity.Id}' THEN (field_values ->> 'score')::double precision END AS score,
                   CASE WHEN entity_type_id = '{entity.Entity.Id}' THEN field_values ->> 'tier' END AS tier,
                   CASE WHEN entity_type_id = '{entity.Entity.Id}' THEN (field_values ->> 'signed_on')::date END AS signed_on
            FROM records
            """;
        await Run("DROP TABLE IF EXISTS cf_native");
        await Run($"CREATE TABLE cf_native AS {select} WHERE false");
        // Row-level security on records: each workspace's rows are copied with that workspace set.
        foreach (var t in tenants)
        {
            await Run($"SELECT set_config('{PostgresTenantSessionInterceptor.SettingName}', '{t}', false)");
            await Run($"INSERT INTO cf_native {select}");
        }
        await Run($"SELECT set_config('{PostgresTenantSessionInterceptor.SettingName}', '{tenantId}', false)");
        await Run("ALTER TABLE cf_native ADD PRIMARY KEY (tenant_id, id)");
        // Row-level security as on records: both sides pay the tenant predicate (and its leakproof rule, see decisions).
        await Run("""
            ALTER TABLE cf_native ENABLE ROW LEVEL SECURITY; ALTER TABLE cf_native FORCE ROW LEVEL SECURITY;
            CREATE POLICY tenant_isolation ON cf_native USING (tenant_id = (NULLIF(current_setting('app.tenant_id', true), ''))::uuid)
                WITH CHECK (tenant_id = (NULLIF(current_setting('app.tenant_id', true), ''))::uuid)
            """);
        var definitions = new List<string>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT indexdef FROM pg_indexes WHERE tablename = 'records' AND indexname NOT LIKE 'ix_records_slot_%' AND indexdef NOT LIKE '% USING gin %' AND indexname NOT LIKE 'pk_%'
            """, c))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) definitions.Add(reader.GetString(0));
        var native = columns.ToHashSet(StringComparer.Ordinal);
        foreach (var definition in definitions)
        {
            // Only indexes over columns the copy has (plain column lists).
            var open = definition.IndexOf('(');
            var cols = definition[(open + 1)..definition.LastIndexOf(')')].Split(',').Select(x => x.Trim().Split(' ')[0]).ToList();
            if (definition.Contains(" WHERE ", StringComparison.Ordinal) || cols.Any(col => !native.Contains(col))) continue;
            var on = definition.IndexOf(" ON ", StringComparison.Ordinal);
            var name = definition[..on].Split(' ').Last();
            await Run($"CREATE INDEX {name.Replace("records", "cf_native", StringComparison.Ordinal)}_n ON cf_native " + definition[definition.IndexOf(" USING ", StringComparison.Ordinal)..]);
        }
        foreach (var column in new[] { "score", "tier", "signed_on" })
            await Run($"CREATE INDEX ix_cf_native_{column} ON cf_native (tenant_id, entity_type_id, {column})");
        // The board's cards per tier by rank: what a person tuning that query adds (records has it too since cf-plan).
        await Run("CREATE INDEX IF NOT EXISTS ix_cf_native_rank ON cf_native (tenant_id, entity_type_id, rank)");
        await Run("VACUUM (ANALYZE) cf_native");
    }
}
