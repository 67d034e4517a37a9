using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Automation;
using Crm.Core.Data;
using Crm.Core.Import;
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
/// Issue 17: a CSV of N leads (default 100,000) with 12 columns — name, company, job title, mobile, e-mail, source,
/// industry and value tier (select options by their Chinese label), lead status (status option by label), owner (a
/// member by name), next follow-up (a date in Chinese form) and budget (money with ¥ and 万) — imported into a new
/// workspace through <see cref="ImportService"/>: read the file, analyse (parse, duplicate check on the e-mail
/// against the file and the records, validate every row), run (write with history, undo data, events). The
/// comparison is a plain binary COPY of the same number of rows (the JSON prepared beforehand) into the records
/// table of a second workspace: the floor of what the database can take.
/// </summary>
public static class ImportBenchmark
{
    private static readonly string[] Header = ["姓名", "公司名称", "职务", "手机", "邮箱", "线索来源", "行业", "客户价值", "线索状态", "负责人", "下次跟进日期", "预计预算"];
    private static readonly string[] Sources = ["官网", "展会", "线下活动", "线上研讨会", "广告投放", "社交媒体", "邮件营销", "转介绍", "电话营销", "其他"];
    private static readonly string[] Industries = ["制造业", "软件与互联网", "零售与电商", "金融", "医疗健康", "教育培训", "物流运输", "建筑与地产", "专业服务", "其他"];
    private static readonly string[] Tiers = ["高价值", "中价值", "低价值"];
    private static readonly string[] Statuses = ["新线索", "已分配", "已联系", "培育中", "合格线索"];
    private static readonly string[] Owners = ["销售甲", "销售乙"];
    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
    private static readonly string[] Titles = ["采购经理", "总经理", "IT 主管", "财务总监", "运营经理"];

    public static async Task<int> RunAsync(string connection, int count, bool profile = false)
    {
        var services = new ServiceCollection().AddLogging().AddLocalization().AddCrmCore(DatabaseProvider.Postgres, connection).BuildServiceProvider();
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        await using (var db = factory.CreateGlobal()) await db.Database.MigrateAsync();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var app = await WorkspaceAsync(services, factory, "bench-import-" + tag);
        var floor = await WorkspaceAsync(services, factory, "bench-copy-" + tag);
        var csv = Csv(count);
        var import = services.GetRequiredService<ImportService>();

        // Warm-up (JIT, caches, pool) on a small file in its own workspace.
        var warm = await WorkspaceAsync(services, factory, "bench-warm-" + tag);
        await ImportAsync(import, warm, Csv(500, "warm"), null);

        // The floor: a plain COPY of the same rows into the records table.
        var rows = Rows(csv);
        WriteProfile.Enabled = profile;
        var sw = Stopwatch.StartNew();
        await CopyAsync(connection, floor, rows);
        var sql = sw.Elapsed.TotalMilliseconds;
        WriteProfile.Enabled = false;

        var phases = new Dictionary<string, double>();
        WriteProfile.Enabled = profile; // EXPLAIN ANALYZE on each INSERT … SELECT and Stopwatch sections: slower, for the breakdown only
        sw.Restart();
        var result = await ImportAsync(import, app, csv, phases);
        var appMs = sw.Elapsed.TotalMilliseconds;
        WriteProfile.Enabled = false;
        foreach (var (section, ms, calls) in WriteProfile.Snapshot())
            Console.WriteLine(FormattableString.Invariant($"import/profile: {section,-60} {ms,9:0} ms {calls,9} calls"));

        await using (var db = factory.CreateForTenant(app.TenantId))
        {
            var records = await db.Records.CountAsync();
            var changes = await db.RecordChanges.CountAsync();
            var items = await db.ImportBatchItems.CountAsync();
            Console.WriteLine(FormattableString.Invariant(
                $"import/check: {result.Created} created, {records} records, {changes} timeline entries, {items} undo items; phases {string.Join(", ", phases.Select(p => $"{p.Key} {p.Value:0} ms"))}"));
        }
        Console.WriteLine(Measure.Line("import", appMs, sql) + FormattableString.Invariant($" ({count} rows, 12 columns; {count / (appMs / 1000):0} rows/s, copy {count / (sql / 1000):0} rows/s)"));
        return 0;
    }

    private static async Task<ImportResult> ImportAsync(ImportService import, Actor actor, byte[] csv, Dictionary<string, double>? phases)
    {
        gcMark = null;
        Allocations("start");
        var sw = Stopwatch.StartNew();
        var table = await import.ReadAsync(new MemoryStream(csv), "leads.csv");
        phases?.Add("read", sw.Elapsed.TotalMilliseconds);
        Allocations("read");
        sw.Restart();
        var mapping = await import.SuggestAsync(actor, "lead", table.Header);
        if (mapping.Columns.Count != Header.Length) throw new InvalidOperationException($"Only {mapping.Columns.Count} columns were mapped: {string.Join(", ", mapping.Columns.Values)}");
        var analysis = await import.AnalyseAsync(actor, new ImportRequest("lead", table, mapping, new DuplicateRule(["email"], DuplicateAction.Skip), FireAutomation: false) { FileName = "leads.csv" });
        phases?.Add("analyse", sw.Elapsed.TotalMilliseconds);
        Allocations("analyse");
        if (!analysis.IsValid) throw new InvalidOperationException("Rows with errors: " + string.Join("; ", analysis.Errors.Take(5)));
        sw.Restart();
        var result = await import.RunAsync(actor, analysis);
        phases?.Add("run", sw.Elapsed.TotalMilliseconds);
        Allocations("run");
        if (!result.Succeeded) throw new InvalidOperationException("Import failed: " + string.Join("; ", result.Errors.Take(5)));
        return result;

        // With --profile: bytes allocated and garbage collections per phase (allocation per cell shows here).
        void Allocations(string phase)
        {
            if (phases is null || !WriteProfile.Enabled) return;
            var (bytes, gen0, gen1, gen2) = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            if (gcMark is { } m)
                Console.WriteLine(FormattableString.Invariant(
                    $"import/profile: gc {phase}: {(bytes - m.Bytes) / 1048576d:0} MB allocated, collections gen0 {gen0 - m.Gen0}, gen1 {gen1 - m.Gen1}, gen2 {gen2 - m.Gen2}, pause {GC.GetTotalPauseDuration().TotalMilliseconds - m.Pause:0} ms"));
            gcMark = (bytes, gen0, gen1, gen2, GC.GetTotalPauseDuration().TotalMilliseconds);
        }
    }

    private static (long Bytes, int Gen0, int Gen1, int Gen2, double Pause)? gcMark;

    private static byte[] Csv(int count, string prefix = "")
    {
        var b = new StringBuilder(count * 160);
        b.AppendJoin(',', Header).Append('\n');
        var random = new Random(17);
        var day = new DateOnly(2027, 1, 4);
        for (var i = 0; i < count; i++)
        {
            var budget = random.Next(0, 3) switch
            {
                0 => $"¥{random.Next(1_000, 900_000):N0}",
                1 => $"{random.Next(1, 300)}万",
                _ => $"{random.Next(1_000, 900_000)}.50",
            };
            var date = day.AddDays(i % 90);
            b.Append(CultureInfo.InvariantCulture, $"{Surnames[i % 10]}{(char)('一' + i % 200)}{i},");
            b.Append(CultureInfo.InvariantCulture, $"{prefix}客户公司{i % 5000}有限公司,{Titles[i % Titles.Length]},");
            b.Append(CultureInfo.InvariantCulture, $"1{3 + i % 6}{i:D9},{prefix}lead{i}@example{i % 50}.cn,");
            b.Append(CultureInfo.InvariantCulture, $"{Sources[i % Sources.Length]},{Industries[i / 3 % Industries.Length]},{Tiers[i % 3]},{Statuses[i % Statuses.Length]},");
            b.Append(CultureInfo.InvariantCulture, $"{Owners[i % 2]},{date.Year}年{date.Month}月{date.Day}日,\"{budget}\"\n");
        }
        return new UTF8Encoding(false).GetBytes(b.ToString());
    }

    /// <summary>The rows as the floor writes them: title, search text and the values JSON, prepared outside the timing.</summary>
    private static List<(string Title, string Search, string Json)> Rows(byte[] csv)
    {
        var lines = Encoding.UTF8.GetString(csv).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1);
        var rows = new List<(string, string, string)>();
        foreach (var line in lines)
        {
            var cells = line.Split(',');
            var values = new JsonObject();
            string[] keys = ["name", "company_name", "job_title", "mobile", "email", "source", "industry", "value_tier", "lead_status", "owner", "next_follow_up", "estimated_budget"];
            for (var i = 0; i < keys.Length && i < cells.Length; i++) values[keys[i]] = cells[i].Trim('"');
            rows.Add((cells[0], string.Join(' ', cells.Take(5)).ToLowerInvariant(), values.ToJsonString()));
        }
        return rows;
    }

    private static async Task CopyAsync(string connection, Actor actor, List<(string Title, string Search, string Json)> rows)
    {
        Guid typeId;
        await using (var db = new ServiceCollection().AddLogging().AddCrmCore(DatabaseProvider.Postgres, connection).BuildServiceProvider()
                         .GetRequiredService<ICrmDbContextFactory>().CreateForTenant(actor.TenantId))
            typeId = (await db.EntityTypes.FirstAsync(e => e.Key == "lead")).Id;
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand($"SELECT set_config('{Crm.Core.Data.PostgresTenantSessionInterceptor.SettingName}', '{actor.TenantId}', true)", conn, tx))
            await set.ExecuteNonQueryAsync();
        var now = DateTime.UtcNow;
        // Row-level security refuses COPY into a tenant table (PostgreSQL: "COPY FROM not supported with row-level
        // security"), so the floor is what the app role can do at best: COPY into a temporary table, then one INSERT … SELECT.
        await using (var temp = new NpgsqlCommand("CREATE TEMP TABLE copy_records (LIKE records INCLUDING DEFAULTS) ON COMMIT DROP", conn, tx))
            await temp.ExecuteNonQueryAsync();
        await using (var copy = await conn.BeginBinaryImportAsync(
                         "COPY copy_records (tenant_id, id, entity_type_id, title, field_values, search_text, rank, created_at, created_by, updated_at, updated_by, version) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (title, search, json) in rows)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(actor.TenantId, NpgsqlDbType.Uuid);
                await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await copy.WriteAsync(typeId, NpgsqlDbType.Uuid);
                await copy.WriteAsync(title, NpgsqlDbType.Varchar);
                await copy.WriteAsync(json, NpgsqlDbType.Jsonb);
                await copy.WriteAsync(search, NpgsqlDbType.Text);
                await copy.WriteAsync(0d, NpgsqlDbType.Double);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(actor.UserId, NpgsqlDbType.Uuid);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(actor.UserId, NpgsqlDbType.Uuid);
                await copy.WriteAsync(1L, NpgsqlDbType.Bigint);
            }
            await copy.CompleteAsync();
        }
        if (WriteProfile.Enabled)
        {
            // The floor's own account, to set beside the app's "pg: records execution" line (slot indexes, foreign keys).
            await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE) INSERT INTO records SELECT * FROM copy_records", conn, tx) { CommandTimeout = 3600 };
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                if (reader.GetString(0) is var line && (line.StartsWith("Trigger", StringComparison.Ordinal) || line.StartsWith("Execution Time", StringComparison.Ordinal)))
                    Console.WriteLine("import/profile: floor " + line);
        }
        else
            await using (var insert = new NpgsqlCommand("INSERT INTO records SELECT * FROM copy_records", conn, tx) { CommandTimeout = 3600 })
                await insert.ExecuteNonQueryAsync();
        await tx.CommitAsync();
    }

    private static async Task<Actor> WorkspaceAsync(ServiceProvider services, ICrmDbContextFactory factory, string slug)
    {
        await using var global = factory.CreateGlobal();
        var tenant = new TenantInfo { Identifier = slug, Name = "Import benchmark", DefaultCulture = "zh-CN" };
        global.Tenants.Add(tenant);
        var users = new List<ApplicationUser>();
        foreach (var name in new[] { "Bench Owner", "销售甲", "销售乙" })
        {
            var email = $"bench-{Guid.NewGuid():N}@example.test";
            users.Add(new ApplicationUser { UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(), DisplayName = name, SecurityStamp = Guid.NewGuid().ToString() });
        }
        global.Users.AddRange(users);
        await global.SaveChangesAsync();
        global.Memberships.Add(new TenantMembership { TenantId = tenant.Id, UserId = users[0].Id, Role = MemberRole.Owner });
        global.Memberships.AddRange(users.Skip(1).Select(u => new TenantMembership { TenantId = tenant.Id, UserId = u.Id, Role = MemberRole.Member }));
        await global.SaveChangesAsync();
        var actor = new Actor(users[0].Id, users[0].DisplayName, tenant, MemberRole.Owner);
        var catalog = new TemplateCatalog(TemplateCatalog.DefaultFolder(AppContext.BaseDirectory));
        var installed = await services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, catalog.Find("leads_opportunities")!.Document, new InstallOptions(WithSampleData: false));
        if (!installed.Succeeded) throw new InvalidOperationException("Template install failed: " + installed.Errors);
        return actor;
    }
}
