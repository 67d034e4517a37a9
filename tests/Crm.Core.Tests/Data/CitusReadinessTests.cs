using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Crm.Core.Tests.Data;

/// <summary>
/// The schema stays ready to be distributed by tenant on Citus (deploy/citus.sql): every tenant table's primary key,
/// unique indexes and foreign keys to other tenant tables include tenant_id (so they hold per shard); every global
/// table is listed here as a Citus reference table or a coordinator-only table, with the reason it is global; and
/// foreign keys only go where Citus allows them.
/// </summary>
public class CitusReadinessTests
{
    /// <summary>Small tables replicated to every node, so single-shard queries can join them locally.</summary>
    public static readonly Dictionary<string, string> ReferenceTables = new()
    {
        ["tenants"] = "The tenant store: resolved from a slug, host or API key before any tenant is known. One row per workspace.",
        ["users"] = "A login spans workspaces. One row per person; joined to records for owner names.",
        ["tenant_memberships"] = "Which person may enter which workspace; read by user id across workspaces (the workspace switcher).",
        ["api_keys"] = "Resolves an API request to its workspace before any tenant is known. A few rows per workspace.",
        ["roles"] = "ASP.NET Core Identity (not used per workspace; empty).",
        ["user_roles"] = "ASP.NET Core Identity: global users to global roles (empty).",
        ["user_claims"] = "ASP.NET Core Identity: claims of a global user.",
        ["user_logins"] = "ASP.NET Core Identity: external logins of a global user.",
        ["user_tokens"] = "ASP.NET Core Identity: tokens of a global user.",
        ["role_claims"] = "ASP.NET Core Identity: claims of a global role (empty).",
        ["notification_preferences"] = "A person's e-mail choices per notification kind, the same in every workspace; a few rows per person.",
        ["workspace_erasures"] = "The record of deleted workspaces, outliving them; read by the audit trail's trigger on every worker (a reference table so the shards see it). One row per deleted workspace.",
    };

    /// <summary>
    /// The app's own operational state: written often and never joined with tenant tables, so it stays on the
    /// coordinator as plain tables (replicating it to every node as a reference table would multiply every write).
    /// </summary>
    public static readonly Dictionary<string, string> CoordinatorTables = new()
    {
        ["data_protection_keys"] = "The key ring all instances share (cookies, sign-in tickets); a few rows, read at start.",
        ["redeemed_sign_in_tickets"] = "Single use of sign-in tickets, issued before a workspace is chosen; purged after two minutes.",
        ["job_schedules"] = "Leases of the periodic background jobs (one row per job name); a job sweeps every workspace.",
        ["queued_jobs"] = "The queue every instance claims from; the workspace id is data in the row, not a key.",
        ["sign_in_events"] = "Sign-ins that belong to no workspace (unknown e-mail, no membership); append-only, never joined.",
    };

    private static IModel Model()
    {
        using var db = new CrmDbContext(CrmDatabase.BuildOptions(DatabaseProvider.Postgres, "Host=localhost;Database=model_only"), null);
        return db.GetService<IDesignTimeModel>().Model;
    }

    private static IEnumerable<IEntityType> Tables(IModel model) => model.GetEntityTypes().Where(t => !t.IsOwned() && t.GetTableName() is not null);
    private static bool IsTenant(IReadOnlyEntityType t) => typeof(ITenantOwned).IsAssignableFrom(t.ClrType);
    private static bool HasTenant(IEnumerable<IReadOnlyProperty> properties) => properties.Any(p => p.Name == nameof(ITenantOwned.TenantId));

    public static IReadOnlyList<string> TenantTables() => Tables(Model()).Where(IsTenant).Select(t => t.GetTableName()!).Distinct().Order().ToList();

    [Fact]
    public void Every_tenant_tables_primary_key_unique_indexes_and_foreign_keys_include_tenant_id()
    {
        var problems = new List<string>();
        foreach (var type in Tables(Model()).Where(IsTenant))
        {
            var table = type.GetTableName();
            if (!HasTenant(type.FindPrimaryKey()!.Properties)) problems.Add($"{table}: primary key without tenant_id");
            foreach (var key in type.GetKeys().Where(k => !k.IsPrimaryKey() && !HasTenant(k.Properties)))
                problems.Add($"{table}: alternate key ({string.Join(", ", key.Properties.Select(p => p.GetColumnName()))}) without tenant_id");
            foreach (var index in type.GetIndexes().Where(i => i.IsUnique && !HasTenant(i.Properties)))
                problems.Add($"{table}: unique index {index.GetDatabaseName()} without tenant_id");
            foreach (var fk in type.GetForeignKeys().Where(f => IsTenant(f.PrincipalEntityType) && !HasTenant(f.Properties)))
                problems.Add($"{table}: foreign key {fk.GetConstraintName()} to tenant table {fk.PrincipalEntityType.GetTableName()} without tenant_id");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.Contains("records", TenantTables());
    }

    [Fact]
    public void Every_global_table_is_a_listed_reference_or_coordinator_table_with_its_reason()
    {
        var global = Tables(Model()).Where(t => !IsTenant(t)).Select(t => t.GetTableName()!).Distinct().Order().ToList();
        var listed = ReferenceTables.Keys.Concat(CoordinatorTables.Keys).Order().ToList();
        Assert.True(global.SequenceEqual(listed),
            $"Global tables in the model: {string.Join(", ", global)}; listed here: {string.Join(", ", listed)}. " +
            "A new global table must be listed, with why it is global, as a reference or coordinator table (and in deploy/citus.sql).");
        Assert.All(ReferenceTables.Values.Concat(CoordinatorTables.Values), reason => Assert.True(reason.Length > 20));
    }

    [Fact]
    public void Foreign_keys_only_go_where_Citus_allows_them()
    {
        // Distributed → distributed (colocated, with tenant_id, checked above) or → reference; reference → reference only;
        // nothing points at a coordinator table.
        var problems = new List<string>();
        foreach (var type in Tables(Model()))
        {
            var table = type.GetTableName()!;
            foreach (var fk in type.GetForeignKeys())
            {
                var target = fk.PrincipalEntityType.GetTableName()!;
                if (CoordinatorTables.ContainsKey(target) && target != table) problems.Add($"{table} → {target}: a coordinator table cannot be referenced");
                if (ReferenceTables.ContainsKey(table) && IsTenant(fk.PrincipalEntityType)) problems.Add($"{table} → {target}: a reference table cannot reference a distributed one");
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Deploy_citus_sql_distributes_every_tenant_table_by_tenant_id_and_makes_the_reference_tables()
    {
        var sql = File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "citus.sql"));
        foreach (var table in TenantTables())
            Assert.Contains($"create_distributed_table('{table}', 'tenant_id'", sql);
        foreach (var table in ReferenceTables.Keys)
            Assert.Contains($"create_reference_table('{table}')", sql);
        foreach (var table in CoordinatorTables.Keys)
            Assert.DoesNotContain($"'{table}'", sql);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Crm.Saas.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Crm.Saas.sln not found above " + AppContext.BaseDirectory);
    }
}
