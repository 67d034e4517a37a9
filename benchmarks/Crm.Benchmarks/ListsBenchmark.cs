using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Security;
using Crm.Core.Templates;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Crm.Benchmarks;

/// <summary>
/// A record list page over 100,000 opportunities of one workspace, through the app's query code
/// (RecordListService: count + page + names) vs hand-written SQL doing the same count and page.
/// </summary>
public static class ListsBenchmark
{
    private const string Slug = "bench-lists";
    private const int Records = 100_000;

    public static async Task<int> RunAsync(string connection, bool reseed)
    {
        var services = new ServiceCollection().AddLogging().AddLocalization().AddCrmCore(DatabaseProvider.Postgres, connection).BuildServiceProvider();
        var factory = services.GetRequiredService<ICrmDbContextFactory>();
        await using (var db = factory.CreateGlobal()) await db.Database.MigrateAsync();
        var actor = await SeedAsync(services, factory, connection, reseed);
        var metadata = await services.GetRequiredService<MetadataStore>().GetAsync(actor.TenantId);
        var entity = metadata.Entity("opportunity")!;
        var lists = services.GetRequiredService<RecordListService>();

        var cases = new (string Name, RecordQuery Query, string Where, string Order)[]
        {
            ("lists/default-page (sort by close date, page 1)", new RecordQuery { Sort = [new SortSpec("expected_close")], Take = 25 },
                "", "close_date, id"),
            ("lists/json-filter-sort (weighted amount >= 100k, sort desc, page 41)",
                new RecordQuery { Filters = [new FilterSpec("weighted_amount", "gte", JsonValue.Create(100000))], Sort = [new SortSpec("weighted_amount", true)], Skip = 1000, Take = 25 },
                "AND crm_json_number(field_values, 'weighted_amount') >= 100000", "crm_json_number(field_values, 'weighted_amount') DESC, id"),
            ("lists/quick-search (\"集团 12\")", new RecordQuery { Search = "集团 12", Take = 25 },
                "AND search_text LIKE '%集团 12%'", "updated_at DESC, id"),
        };

        await using var sql = new NpgsqlConnection(connection);
        await sql.OpenAsync();
        await using (var set = new NpgsqlCommand($"SET app.tenant_id = '{actor.TenantId}'", sql)) await set.ExecuteNonQueryAsync();
        foreach (var (name, query, where, order) in cases)
        {
            var page = await lists.QueryAsync(actor, "opportunity", query);
            var baseSql = $"FROM records WHERE tenant_id = '{actor.TenantId}' AND entity_type_id = '{entity.Entity.Id}' {where}";
            var (app, hand, _, _) = await Measure.InterleavedAsync(() => lists.QueryAsync(actor, "opportunity", query), async () =>
            {
                await using (var count = new NpgsqlCommand($"SELECT count(*) {baseSql}", sql)) await count.ExecuteScalarAsync();
                await using var rows = new NpgsqlCommand($"SELECT id, title, field_values, version, owner_id, pipeline_id, created_at, updated_at {baseSql} ORDER BY {order} LIMIT {query.Take} OFFSET {query.Skip}", sql);
                await using var reader = await rows.ExecuteReaderAsync();
                while (await reader.ReadAsync()) { }
            });
            Console.WriteLine(Measure.Line(name, app, hand) + FormattableString.Invariant($" (total {page.Total}, page {page.Items.Count})"));
        }
        return 0;
    }

    /// <summary>The 100,000-opportunity workspace <paramref name="slug"/> (seeded when missing or with --reseed); its owner.</summary>
    internal static async Task<Actor> SeedAsync(ServiceProvider services, ICrmDbContextFactory factory, string connection, bool reseed, string slug = Slug)
    {
        await using var global = factory.CreateGlobal();
        var tenant = await global.Tenants.FirstOrDefaultAsync(t => t.Identifier == slug);
        if (tenant is not null && reseed)
        {
            global.Tenants.Remove(tenant);
            await global.SaveChangesAsync();
            tenant = null;
        }
        if (tenant is not null)
        {
            var membership = await global.Memberships.Include(m => m.User).FirstAsync(m => m.TenantId == tenant.Id);
            return new Actor(membership.UserId, membership.User!.DisplayName, tenant, MemberRole.Owner);
        }

        tenant = new TenantInfo { Identifier = slug, Name = "Lists benchmark", DefaultCulture = "zh-CN" };
        var email = $"bench-{Guid.NewGuid():N}@example.test";
        var user = new ApplicationUser { UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(), DisplayName = "Bench Owner", SecurityStamp = Guid.NewGuid().ToString() };
        global.Tenants.Add(tenant);
        global.Users.Add(user);
        await global.SaveChangesAsync();
        global.Memberships.Add(new TenantMembership { TenantId = tenant.Id, UserId = user.Id, Role = MemberRole.Owner });
        await global.SaveChangesAsync();
        var actor = new Actor(user.Id, user.DisplayName, tenant, MemberRole.Owner);

        var catalog = new TemplateCatalog(TemplateCatalog.DefaultFolder(AppContext.BaseDirectory));
        var installed = await services.GetRequiredService<TemplateInstaller>().InstallAsync(actor, catalog.Find("b2b_sales_funnel")!.Document, new InstallOptions(WithSampleData: false));
        if (!installed.Succeeded) throw new InvalidOperationException("Template install failed: " + installed.Errors);
        await TemplateRules.ArchiveAsync(services, actor);

        // 100,000 opportunities in one statement: stages, amounts, dates and JSON values spread like real data.
        var metadata = await services.GetRequiredService<MetadataStore>().GetAsync(tenant.Id);
        var entity = metadata.Entity("opportunity")!;
        var pipeline = entity.DefaultPipeline!;
        var stages = pipeline.Stages.ToList();
        // Every value travels as a parameter (ExecuteSqlAsync turns the interpolation holes into parameters).
        var stageIds = stages.Select(s => s.Id).ToArray();
        var stageKeys = stages.Select(s => s.Key).ToArray();
        var ownerText = user.Id.ToString();
        await using var db = factory.CreateForTenant(tenant.Id);
        db.Database.SetCommandTimeout(600);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO records (tenant_id, id, entity_type_id, title, owner_id, pipeline_id, stage_id, amount, close_date, field_values, search_text, rank, created_at, updated_at, version)
            SELECT {tenant.Id}, gen_random_uuid(), {entity.Entity.Id}, t.title, {user.Id}, {pipeline.Pipeline.Id}, ({stageIds}::uuid[])[t.s + 1], t.amount,
                   DATE '2026-01-01' + (t.i % 365),
                   jsonb_build_object('code', 'OPP-' || lpad(t.i::text, 6, '0'), 'name', t.title, 'amount', t.amount, 'expected_close', to_char(DATE '2026-01-01' + (t.i % 365), 'YYYY-MM-DD'),
                                      'owner', {ownerText}::text, 'stage', ({stageKeys}::text[])[t.s + 1], 'weighted_amount', round(t.amount * (t.s * 10) / 100, 2), 'source', 'website'),
                   lower(t.title) || ' opp-' || lpad(t.i::text, 6, '0'), -t.i, now() - (t.i || ' minutes')::interval, now() - (t.i || ' minutes')::interval, 1
            FROM (SELECT i, (i % {stages.Count}) AS s, (10000 + (i * 7919) % 990000)::numeric(18,2) AS amount, '客户' || (i % 5000) || ' 集团 ' || i || ' 号项目' AS title
                  FROM generate_series(1, {Records}) AS i) t
            """);
        await db.Database.ExecuteSqlRawAsync("ANALYZE records");
        return actor;
    }
}
