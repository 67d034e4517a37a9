using System.Reflection;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Crm.Core.Tests.Data;

/// <summary>
/// Walks the EF model of both providers: isolation is on by default, so every entity must say what it is.
/// No database is needed: the model and the migration snapshots are compared in memory.
/// </summary>
public class ModelTests
{
    /// <summary>Types the project does not own, each with the reason it may be global.</summary>
    private static readonly Dictionary<Type, string> AllowedGlobal = new()
    {
        [typeof(IdentityRole<Guid>)] = "Identity: roles are not used per workspace (workspace roles live on memberships).",
        [typeof(IdentityUserRole<Guid>)] = "Identity: joins global users to global roles.",
        [typeof(IdentityUserClaim<Guid>)] = "Identity: claims of a global user.",
        [typeof(IdentityUserLogin<Guid>)] = "Identity: external logins of a global user.",
        [typeof(IdentityUserToken<Guid>)] = "Identity: tokens of a global user.",
        [typeof(IdentityRoleClaim<Guid>)] = "Identity: claims of a global role.",
        [typeof(DataProtectionKey)] = "Data Protection: the app's key ring, shared by all instances and workspaces.",
    };

    private static IModel ModelFor(string provider)
    {
        var connection = provider == Providers.Sqlite ? "Data Source=:memory:" : "Host=localhost;Database=model_only";
        using var db = new CrmDbContext(CrmDatabase.BuildOptions(Providers.Parse(provider), connection), null);
        return db.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model;
    }

    private static bool IsTenantOwned(IReadOnlyEntityType t) => typeof(ITenantOwned).IsAssignableFrom(t.ClrType);
    private static bool IsMarkedGlobal(IReadOnlyEntityType t) => t.ClrType.GetCustomAttribute<GlobalEntityAttribute>() is { Reason.Length: > 0 };

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public void Every_entity_is_tenant_owned_or_declared_global(string provider)
    {
        var model = ModelFor(provider);
        var problems = new List<string>();
        foreach (var entityType in model.GetEntityTypes())
        {
            // Owned types live in their owner's row; shared-type entities (join tables) must still say what they are.
            if (entityType.IsOwned())
            {
                var owner = entityType.FindOwnership()!.PrincipalEntityType;
                while (owner.IsOwned()) owner = owner.FindOwnership()!.PrincipalEntityType;
                if (!IsTenantOwned(owner) && !IsMarkedGlobal(owner) && !AllowedGlobal.ContainsKey(owner.ClrType))
                    problems.Add($"{entityType.DisplayName()} is owned by {owner.DisplayName()}, which is neither tenant-owned nor global");
                continue;
            }
            var tenant = IsTenantOwned(entityType);
            var global = IsMarkedGlobal(entityType) || AllowedGlobal.ContainsKey(entityType.ClrType);
            if (entityType.HasSharedClrType && !tenant)
                problems.Add($"{entityType.DisplayName()} is a shared-type entity (e.g. an implicit join table): give it a CLR type that implements ITenantOwned or is [GlobalEntity]");
            else if (tenant == global)
                problems.Add(tenant
                    ? $"{entityType.DisplayName()} is both ITenantOwned and global"
                    : $"{entityType.DisplayName()} is neither ITenantOwned nor [GlobalEntity(\"reason\")]");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public void Every_tenant_entity_has_a_tenant_key_a_tenant_foreign_key_and_the_named_tenant_filter(string provider)
    {
        var model = ModelFor(provider);
        var tenantTypes = model.GetEntityTypes().Where(t => IsTenantOwned(t) && !t.IsOwned()).ToList();
        Assert.NotEmpty(tenantTypes);
        var problems = new List<string>();
        foreach (var entityType in tenantTypes)
        {
            var name = entityType.DisplayName();
            var pk = entityType.FindPrimaryKey()!.Properties.Select(p => p.Name).ToArray();
            if (entityType.FindProperty("Id") is not null && !pk.SequenceEqual([nameof(ITenantOwned.TenantId), "Id"]))
                problems.Add($"{name}: primary key is ({string.Join(", ", pk)}), expected (TenantId, Id)");
            if (entityType.BaseType is null)
            {
                var filter = entityType.FindDeclaredQueryFilter(CrmDbContext.TenantFilter);
                if (filter is null) problems.Add($"{name}: no query filter named \"{CrmDbContext.TenantFilter}\"");
                else if (!filter.Expression!.ToString().Contains(nameof(ITenantOwned.TenantId)))
                    problems.Add($"{name}: the \"{CrmDbContext.TenantFilter}\" filter does not compare TenantId: {filter.Expression}");
            }
            if (!ReachesTenants(entityType, 0))
                problems.Add(Attribute.IsDefined(entityType.ClrType, typeof(TenantThroughParentAttribute))
                    ? $"{name}: [TenantThroughParent] but no required cascading key (TenantId, …) to a parent that reaches tenants"
                    : $"{name}: no foreign key TenantId → tenants");
            // Rows may only point within their own tenant (and stay distributable by TenantId).
            foreach (var fk in entityType.GetForeignKeys().Where(fk => IsTenantOwned(fk.PrincipalEntityType) && !fk.IsOwnership))
                if (!fk.Properties.Any(p => p.Name == nameof(ITenantOwned.TenantId)))
                    problems.Add($"{name}: foreign key ({string.Join(", ", fk.Properties.Select(p => p.Name))}) to {fk.PrincipalEntityType.DisplayName()} does not include TenantId");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>
    /// A tenant row's deletion reaches <paramref name="entityType"/>: its own cascading key TenantId → tenants, or —
    /// only for a type marked <see cref="TenantThroughParentAttribute"/> — a required cascading key (TenantId, …) to a
    /// tenant-owned parent that reaches tenants the same way.
    /// </summary>
    private static bool ReachesTenants(IEntityType entityType, int depth)
    {
        var fks = entityType.GetForeignKeys().ToList();
        if (fks.Any(fk => fk.PrincipalEntityType.ClrType == typeof(TenantInfo) && fk.DeleteBehavior == DeleteBehavior.Cascade
                          && fk.Properties.Select(p => p.Name).SequenceEqual([nameof(ITenantOwned.TenantId)])))
            return true;
        return depth < 4 && Attribute.IsDefined(entityType.ClrType, typeof(TenantThroughParentAttribute))
               && fks.Any(fk => fk.IsRequired && fk.DeleteBehavior == DeleteBehavior.Cascade && IsTenantOwned(fk.PrincipalEntityType)
                                && fk.Properties[0].Name == nameof(ITenantOwned.TenantId) && ReachesTenants(fk.PrincipalEntityType, depth + 1));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public void The_migrations_are_complete(string provider)
    {
        var connection = provider == Providers.Sqlite ? "Data Source=:memory:" : "Host=localhost;Database=model_only";
        using var db = new CrmDbContext(CrmDatabase.BuildOptions(Providers.Parse(provider), connection), null);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The {provider} model has changes without a migration: run dotnet ef migrations add for Crm.Migrations.{(provider == Providers.Sqlite ? "Sqlite" : "Postgres")}.");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public void Table_and_column_names_are_snake_case(string provider)
    {
        var model = ModelFor(provider);
        var bad = model.GetEntityTypes().Where(t => !t.IsOwned() && t.GetTableName() is not null)
            .SelectMany(t => new[] { t.GetTableName()! }.Concat(t.GetProperties().Select(p => p.GetColumnName())))
            .Where(n => n.Any(char.IsUpper))
            .Distinct()
            .ToList();
        Assert.True(bad.Count == 0, "Not snake_case: " + string.Join(", ", bad));
    }
}
