using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Boards;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Benchmarks;

/// <summary>
/// Board load (all columns: first 50 cards, counts, sums, weighted sums, overdue tasks and names) through the app's
/// own <see cref="BoardService"/> vs hand-written SQL returning the same data, on the same PostgreSQL database, both
/// on connections with the same <c>app.tenant_id</c> (row-level security applies to both).
/// Data: 100 workspaces with the B2B template; the marker workspace <c>bench-kanban</c> has 100,000 open
/// opportunities in the 7-stage "demo &amp; quote" pipeline, the 99 others 1,000 each. Seeded once with COPY, reused later.
/// </summary>
public static class KanbanBenchmark
{
    private const string Marker = "bench-kanban";
    private const int TenantCount = 100;
    private const int BigRecords = 100_000;
    private const int SmallRecords = 1_000;
    private const int Owners = 12;
    private const int Companies = 300;
    private const string ViewKey = "opportunity_board_demo_quote";

    public static async Task<int> RunAsync(string connection, bool reseed)
    {
        await EnsureDatabaseAsync(connection, reseed);
        await using var services = Services(connection);
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        await using (var db = factory.CreateGlobal()) await db.Database.MigrateAsync();

        var (tenant, owner) = await FindMarkerAsync(factory);
        if (tenant is null)
        {
            var sw = Stopwatch.StartNew();
            (tenant, owner) = await SeedAsync(services, connection);
            Console.WriteLine(FormattableString.Invariant($"kanban: seeded {TenantCount} workspaces in {sw.Elapsed.TotalSeconds:0} s"));
        }
        else Console.WriteLine("kanban: reusing the seeded data (--reseed to start over)");
        await Measure.VacuumAsync(connection, "records", "activities");

        var actor = new Actor(owner, "Bench owner", tenant, MemberRole.Owner);
        var view = (await services.GetRequiredService<BoardViews>().ListAsync(actor, "opportunity")).Single(v => v.Key == ViewKey);
        var request = BoardRequest.FromView("opportunity", view.Definition);
        var boards = services.GetRequiredService<BoardService>();
        var metadata = await services.GetRequiredService<MetadataStore>().GetAsync(tenant.Id);
        var handWritten = new HandWrittenBoard(connection, tenant.Id, metadata.Entity("opportunity")!, request);

        // Same result first: totals, card ids in order, overdue marks and names.
        var app = (await boards.LoadAsync(actor, request))!;
        var sql = await handWritten.LoadAsync();
        if (Compare(app, sql) is { } difference)
        {
            Console.Error.WriteLine("kanban: the app and the hand-written SQL disagree: " + difference);
            return 1;
        }
        Console.WriteLine(FormattableString.Invariant(
            $"kanban: {app.Columns.Count} columns, {app.Columns.Sum(c => c.Count):N0} records, {app.Columns.Sum(c => c.Cards.Count)} cards loaded, results identical"));

        var (appMs, sqlMs, appMin, sqlMin) = await Measure.InterleavedAsync(() => boards.LoadAsync(actor, request), handWritten.LoadAsync);
        Console.WriteLine(FormattableString.Invariant($"kanban: fastest run app {appMin:0.0} ms, sql {sqlMin:0.0} ms (medians below)"));
        var goal = appMs <= 100 && appMs <= 1.5 * sqlMs;
        Console.WriteLine(goal ? "kanban: goal met (≤ 100 ms and ≤ 1.5× SQL)" : "kanban: goal NOT met (≤ 100 ms and ≤ 1.5× SQL)");
        Console.WriteLine(Measure.Line("kanban", appMs, sqlMs));
        return 0;
    }

    private static ServiceProvider Services(string connection)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLocalization();
        services.AddCrmCore(DatabaseProvider.Postgres, connection);
        return services.BuildServiceProvider();
    }

    /// <summary>Creates the benchmark database when missing (or anew with --reseed) through the server's maintenance database.</summary>
    private static async Task EnsureDatabaseAsync(string connection, bool reseed)
    {
        var target = new NpgsqlConnectionStringBuilder(connection);
        var name = target.Database ?? throw new InvalidOperationException("CRM_BENCH_PG needs a Database=…");
        var maintenance = new NpgsqlConnectionStringBuilder(connection) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(maintenance.ConnectionString);
        await conn.OpenAsync();
        if (reseed)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
        }
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", conn);
        exists.Parameters.AddWithValue("n", name);
        if (await exists.ExecuteScalarAsync() is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await create.ExecuteNonQueryAsync();
        }
    }

    private static async Task<(TenantInfo?, Guid)> FindMarkerAsync(ICrmDbContextFactory factory)
    {
        await using var db = factory.CreateGlobal();
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Identifier == Marker);
        if (tenant is null) return (null, Guid.Empty);
        // A marker without its records is a seed that did not finish: start over.
        await using var tdb = factory.CreateForTenant(tenant.Id);
        if (await tdb.Records.CountAsync() < BigRecords) throw new InvalidOperationException("The benchmark database holds an unfinished seed: run with --reseed.");
        var owner = await db.Memberships.AsNoTracking().Where(m => m.TenantId == tenant.Id && m.Role == MemberRole.Owner).Select(m => m.UserId).FirstAsync();
        return (tenant, owner);
    }

    private static async Task<(TenantInfo, Guid)> SeedAsync(ServiceProvider services, string connection)
    {
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        var installer = services.GetRequiredService<TemplateInstaller>();
        var template = new TemplateCatalog(TemplateCatalog.DefaultFolder(AppContext.BaseDirectory)).Find("b2b_sales_funnel")!.Document;

        var users = Enumerable.Range(1, Owners).Select(i => new ApplicationUser
        {
            UserName = $"bench{i}@bench.local", NormalizedUserName = $"BENCH{i}@BENCH.LOCAL", Email = $"bench{i}@bench.local",
            NormalizedEmail = $"BENCH{i}@BENCH.LOCAL", DisplayName = $"销售 {i:00}", SecurityStamp = Guid.NewGuid().ToString("N"),
        }).ToList();
        var tenants = Enumerable.Range(0, TenantCount).Select(i => new TenantInfo
        {
            Identifier = i == 0 ? Marker : $"bench-{i:000}", Name = i == 0 ? "Kanban benchmark" : $"Bench workspace {i:000}",
        }).ToList();
        await using (var db = factory.CreateGlobal())
        {
            db.Users.AddRange(users);
            db.Tenants.AddRange(tenants.Skip(1)); // the marker comes last, when everything else is in
            foreach (var t in tenants.Skip(1)) db.Memberships.Add(new TenantMembership { TenantId = t.Id, UserId = users[0].Id, Role = MemberRole.Owner });
            await db.SaveChangesAsync();
        }

        var marker = tenants[0];
        await using (var db = factory.CreateGlobal())
        {
            db.Tenants.Add(marker);
            foreach (var u in users) db.Memberships.Add(new TenantMembership { TenantId = marker.Id, UserId = u.Id, Role = u == users[0] ? MemberRole.Owner : MemberRole.Member });
            await db.SaveChangesAsync();
        }

        var random = new Random(20261123);
        var now = DateTime.UtcNow;
        for (var i = 0; i < tenants.Count; i++)
        {
            var tenant = tenants[i];
            var actor = new Actor(users[0].Id, users[0].DisplayName, tenant, MemberRole.Owner);
            var installed = await installer.InstallAsync(actor, template, new InstallOptions(WithSampleData: false));
            if (!installed.Succeeded) throw new InvalidOperationException("Template install failed: " + installed.Errors);
            await TemplateRules.ArchiveAsync(services, actor);
            var metadata = await services.GetRequiredService<MetadataStore>().GetAsync(tenant.Id);
            var big = i == 0;
            var owners = big ? users.Select(u => u.Id).ToList() : [users[0].Id];
            await CopyRecordsAsync(connection, tenant.Id, metadata, big ? "demo_quote" : "b2b", big ? BigRecords : SmallRecords, big ? Companies : 20, owners, random, now);
            if ((i + 1) % 10 == 0) Console.WriteLine($"kanban: seeded {i + 1}/{tenants.Count} workspaces");
        }
        return (marker, users[0].Id);
    }

    /// <summary>Companies and open opportunities of one workspace through binary COPY (with the workspace set for RLS), plus some tasks.</summary>
    private static async Task CopyRecordsAsync(string connection, Guid tenantId, TenantMetadata metadata, string pipelineKey, int count, int companies,
        List<Guid> owners, Random random, DateTime now)
    {
        var company = metadata.Entity("company")!;
        var opportunity = metadata.Entity("opportunity")!;
        var pipeline = opportunity.Pipeline(pipelineKey)!;
        var open = pipeline.Stages.Where(s => s.Kind == StageKind.Open).ToList();
        var sources = opportunity.Field("source")!.Settings.Options!.Select(o => o.Key).ToList();
        string[] cities = ["上海", "北京", "深圳", "杭州", "成都", "南京", "武汉", "西安"];
        string[] products = ["CRM 专业版", "数据中台", "工单系统", "营销自动化", "BI 报表", "ERP 对接"];

        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using (var set = new NpgsqlCommand($"SELECT set_config('{PostgresTenantSessionInterceptor.SettingName}', @t, false)", conn))
        {
            set.Parameters.AddWithValue("t", tenantId.ToString());
            await set.ExecuteNonQueryAsync();
        }

        // COPY does not run under row-level security: copy into temporary tables, then INSERT … SELECT (checked by RLS).
        await using (var temp = new NpgsqlCommand("CREATE TEMP TABLE load_records (LIKE records); CREATE TEMP TABLE load_activities (LIKE activities);", conn))
            await temp.ExecuteNonQueryAsync();

        var companyIds = new List<(Guid Id, string Name)>();
        const string columns = "tenant_id, id, entity_type_id, title, owner_id, status_option_id, pipeline_id, stage_id, amount, close_date, field_values, search_text, rank, stage_entered_at, status_changed_at, last_activity_at, created_at, created_by, updated_at, updated_by, version";
        await using (var writer = await conn.BeginBinaryImportAsync($"COPY load_records ({columns}) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < companies; i++)
            {
                var id = Guid.CreateVersion7();
                var name = $"{cities[i % cities.Length]}{i:000}科技有限公司";
                companyIds.Add((id, name));
                var owner = owners[i % owners.Count];
                var values = new JsonObject { ["name"] = name, ["city"] = cities[i % cities.Length], ["owner"] = owner.ToString() };
                var created = now.AddDays(-random.Next(30, 400));
                await WriteRowAsync(writer, tenantId, id, company.Entity.Id, name, owner, null, null, null, null, values, -(created - DateTime.UnixEpoch).TotalSeconds, null, created);
            }
            for (var i = 0; i < count; i++)
            {
                var id = Guid.CreateVersion7();
                var stage = open[random.Next(open.Count)];
                var (companyId, companyName) = companyIds[random.Next(companyIds.Count)];
                var owner = owners[random.Next(owners.Count)];
                var amount = random.Next(5, 2000) * 1000m;
                var close = DateOnly.FromDateTime(now.AddDays(random.Next(-30, 240)));
                var created = now.AddDays(-random.Next(1, 365)).AddSeconds(-random.Next(86400));
                var entered = created.AddDays(random.NextDouble() * Math.Max(0, (now - created).TotalDays));
                var title = $"{companyName[..2]} {products[random.Next(products.Length)]} #{i}";
                var values = new JsonObject
                {
                    ["code"] = $"OPP-{i + 1:000000}", ["name"] = title, ["company"] = companyId.ToString(), ["amount"] = amount,
                    ["expected_close"] = close.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["owner"] = owner.ToString(), ["stage"] = stage.Key,
                    ["weighted_amount"] = Math.Round(amount * stage.Probability / 100m, 2), ["source"] = sources[random.Next(sources.Count)],
                };
                await WriteRowAsync(writer, tenantId, id, opportunity.Entity.Id, title, owner, pipeline.Pipeline.Id, stage.Id, amount, close, values,
                    -(created - DateTime.UnixEpoch).TotalSeconds + random.NextDouble(), entered, created);
            }
            await writer.CompleteAsync();
        }
        await using (var insert = new NpgsqlCommand("INSERT INTO records SELECT * FROM load_records", conn)) await insert.ExecuteNonQueryAsync();

        // Tasks on some deals, a third of them overdue.
        await using var ids = new NpgsqlCommand("SELECT id, owner_id FROM records WHERE entity_type_id = @e ORDER BY id LIMIT @n", conn);
        ids.Parameters.AddWithValue("e", opportunity.Entity.Id);
        ids.Parameters.AddWithValue("n", count / 10);
        var targets = new List<(Guid, Guid)>();
        await using (var reader = await ids.ExecuteReaderAsync())
            while (await reader.ReadAsync()) targets.Add((reader.GetGuid(0), reader.GetGuid(1)));
        await using (var writer = await conn.BeginBinaryImportAsync("COPY load_activities (tenant_id, id, record_id, entity_type_id, kind, subject, occurred_at, owner_id, due_at, assignee_id, completed_at, created_at, created_by) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (recordId, owner) in targets)
            {
                var due = now.AddDays(random.Next(-10, 20));
                await writer.StartRowAsync();
                await writer.WriteAsync(tenantId, NpgsqlDbType.Uuid);
                await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await writer.WriteAsync(recordId, NpgsqlDbType.Uuid);
                await writer.WriteAsync(opportunity.Entity.Id, NpgsqlDbType.Uuid);
                await writer.WriteAsync("Task", NpgsqlDbType.Varchar);
                await writer.WriteAsync("跟进客户", NpgsqlDbType.Varchar);
                await writer.WriteAsync(now.AddDays(-20), NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(owner, NpgsqlDbType.Uuid);
                await writer.WriteAsync(due, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(owner, NpgsqlDbType.Uuid);
                await writer.WriteNullAsync();
                await writer.WriteAsync(now.AddDays(-20), NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(owner, NpgsqlDbType.Uuid);
            }
            await writer.CompleteAsync();
        }
        await using (var insert = new NpgsqlCommand("INSERT INTO activities SELECT * FROM load_activities", conn)) await insert.ExecuteNonQueryAsync();
    }

    private static async Task WriteRowAsync(NpgsqlBinaryImporter w, Guid tenantId, Guid id, Guid entityTypeId, string title, Guid owner, Guid? pipelineId, Guid? stageId,
        decimal? amount, DateOnly? close, JsonObject values, double rank, DateTime? stageEntered, DateTime created)
    {
        await w.StartRowAsync();
        await w.WriteAsync(tenantId, NpgsqlDbType.Uuid);
        await w.WriteAsync(id, NpgsqlDbType.Uuid);
        await w.WriteAsync(entityTypeId, NpgsqlDbType.Uuid);
        await w.WriteAsync(title, NpgsqlDbType.Varchar);
        await w.WriteAsync(owner, NpgsqlDbType.Uuid);
        await w.WriteNullAsync(); // status_option_id
        if (pipelineId is { } p) await w.WriteAsync(p, NpgsqlDbType.Uuid); else await w.WriteNullAsync();
        if (stageId is { } s) await w.WriteAsync(s, NpgsqlDbType.Uuid); else await w.WriteNullAsync();
        if (amount is { } a) await w.WriteAsync(a, NpgsqlDbType.Numeric); else await w.WriteNullAsync();
        if (close is { } c) await w.WriteAsync(c, NpgsqlDbType.Date); else await w.WriteNullAsync();
        await w.WriteAsync(values.ToJsonString(), NpgsqlDbType.Jsonb);
        await w.WriteAsync(title.ToLowerInvariant(), NpgsqlDbType.Text);
        await w.WriteAsync(rank, NpgsqlDbType.Double);
        if (stageEntered is { } e) await w.WriteAsync(e, NpgsqlDbType.TimestampTz); else await w.WriteNullAsync();
        await w.WriteNullAsync(); // status_changed_at
        await w.WriteNullAsync(); // last_activity_at
        await w.WriteAsync(created, NpgsqlDbType.TimestampTz);
        await w.WriteAsync(owner, NpgsqlDbType.Uuid);
        await w.WriteAsync(created, NpgsqlDbType.TimestampTz);
        await w.WriteAsync(owner, NpgsqlDbType.Uuid);
        await w.WriteAsync(1L, NpgsqlDbType.Bigint);
    }

    private static string? Compare(BoardData app, HandWrittenBoard.Result sql)
    {
        foreach (var column in app.Columns)
        {
            var other = sql.Columns.GetValueOrDefault(column.Column.Id!.Value);
            var count = other?.Count ?? 0;
            if (count != column.Count) return $"{column.Column.Key}: count {column.Count} vs {count}";
            if ((column.Sum ?? 0) != (other?.Sum ?? 0)) return $"{column.Column.Key}: sum {column.Sum} vs {other?.Sum}";
            if (Math.Round(column.Weighted ?? 0, 2) != Math.Round(other?.Weighted ?? 0, 2)) return $"{column.Column.Key}: weighted {column.Weighted} vs {other?.Weighted}";
            var ids = sql.Cards.Where(c => c.StageId == column.Column.Id).OrderBy(c => c.Rank).ThenBy(c => c.Id).Select(c => c.Id).ToList();
            if (!column.Cards.Select(c => c.Id).SequenceEqual(ids)) return $"{column.Column.Key}: cards differ";
            foreach (var card in column.Cards)
                if (card.OverdueTasks != sql.Overdue.GetValueOrDefault(card.Id)) return $"{card.Id}: overdue {card.OverdueTasks} vs {sql.Overdue.GetValueOrDefault(card.Id)}";
        }
        if (app.Names.Count != sql.Names.Count || app.Names.Any(n => sql.Names.GetValueOrDefault(n.Key) != n.Value)) return $"names {app.Names.Count} vs {sql.Names.Count}";
        return null;
    }
}
