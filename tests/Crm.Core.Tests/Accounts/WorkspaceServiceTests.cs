using System.Data.Common;
using System.Globalization;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Accounts;

public class WorkspaceServiceTests
{
    private const string GoodPassword = "secret-123";

    private static SignupRequest Request(string? email = null, string password = GoodPassword, string? slug = null, string name = "Acme 科技")
        => new(email ?? TestData.NewEmail(), password, "Ada", name, slug ?? TestData.NewSlug(), "en");

    private static async Task<(int Users, int Tenants)> CountAsync(TestDatabase database, string email, string slug)
    {
        await using var db = database.Factory.CreateGlobal();
        return (await db.Users.CountAsync(u => u.Email == email), await db.Tenants.CountAsync(t => t.Identifier == slug));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Sign_up_creates_the_user_the_workspace_and_the_owner_membership(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database);
        await using var scope = services.CreateAsyncScope();
        var request = Request();

        var result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().SignUpAsync(request);

        Assert.True(result.Succeeded, result.Errors.ToString());
        await using var db = database.Factory.CreateGlobal();
        var user = await db.Users.SingleAsync(u => u.Email == request.Email);
        var tenant = await db.Tenants.SingleAsync(t => t.Identifier == request.Slug);
        Assert.Equal(("Ada", "Acme 科技", "en"), (user.DisplayName, tenant.Name, tenant.DefaultCulture));
        var membership = await db.Memberships.SingleAsync(m => m.UserId == user.Id);
        Assert.Equal((tenant.Id, MemberRole.Owner), (membership.TenantId, membership.Role));
        Assert.True(await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().CheckPasswordAsync(user, GoodPassword));
    }

    public static IEnumerable<object[]> Refusals()
    {
        foreach (var provider in new[] { Providers.Sqlite, Providers.Postgres })
        {
            yield return [provider, "reserved slug", "Slug"];
            yield return [provider, "invalid slug", "Slug"];
            yield return [provider, "short slug", "Slug"];
            yield return [provider, "taken slug", "Slug"];
            yield return [provider, "weak password", "Password"];
            yield return [provider, "bad e-mail", "Email"];
            yield return [provider, "taken e-mail", "Email"];
            yield return [provider, "no workspace name", "WorkspaceName"];
        }
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_sign_up_names_the_field_and_leaves_nothing_behind(string provider, string problem, string field)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database);
        var request = Request();
        var existingTenants = 0;
        var existingUsers = 0;
        switch (problem)
        {
            case "reserved slug": request = request with { Slug = "admin" }; existingTenants = -1; break;
            case "invalid slug": request = request with { Slug = "Bad_Slug!" }; break;
            case "short slug": request = request with { Slug = "ab" }; existingTenants = -1; break;
            case "taken slug": existingTenants = 1; request = request with { Slug = (await database.CreateTenantAsync()).Identifier }; break;
            case "weak password": request = request with { Password = "abc" }; break;
            case "bad e-mail": request = request with { Email = "not-an-email" }; break;
            case "taken e-mail": existingUsers = 1; request = request with { Email = (await database.CreateUserAsync()).Email! }; break;
            case "no workspace name": request = request with { WorkspaceName = "  " }; break;
        }

        WorkspaceResult result;
        await using (var scope = services.CreateAsyncScope())
            result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().SignUpAsync(request);

        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors.For(field));
        Assert.All(result.Errors.For(field), m => Assert.False(string.IsNullOrWhiteSpace(m)));
        var (users, tenants) = await CountAsync(database, request.Email, request.Slug);
        Assert.Equal(existingUsers, users);
        if (existingTenants >= 0) Assert.Equal(existingTenants, tenants);
        await using var db = database.Factory.CreateGlobal();
        Assert.False(await db.Memberships.AnyAsync(m => m.User!.Email == request.Email));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Errors_are_in_the_users_language(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database);
        var before = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
            await using var scope = services.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().SignUpAsync(Request(slug: "admin"));
            Assert.Contains(result.Errors.For("Slug"), m => m.Any(c => c >= '\u4e00' && c <= '\u9fff'));
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }

    /// <summary>
    /// The race the transaction exists for: the slug is free when checked, but another sign-up takes it before
    /// the insert. The unique index refuses the workspace and the user created just before is rolled back.
    /// </summary>
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_slug_taken_between_check_and_insert_rolls_back_the_new_user(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var request = Request();
        var racer = new TakeSlugAfterCheck(database, request.Slug);
        await using var services = CoreServices.Create(database, configure: s =>
            s.AddScoped(_ => new CrmDbContext(database.OptionsWith(racer), null)));
        await using var scope = services.CreateAsyncScope();

        var result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().SignUpAsync(request);

        Assert.True(racer.Fired, "the slug check was not intercepted");
        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors.For("Slug"));
        var (users, tenants) = await CountAsync(database, request.Email, request.Slug);
        Assert.Equal((0, 1), (users, tenants));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_signed_in_user_creates_another_workspace_as_its_owner(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database);
        await using var scope = services.CreateAsyncScope();
        var user = await database.CreateUserAsync();
        var slug = TestData.NewSlug();

        var result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync(user.Id, "Second", slug, "zh-CN");

        Assert.True(result.Succeeded, result.Errors.ToString());
        var workspaces = await scope.ServiceProvider.GetRequiredService<MembershipService>().GetWorkspacesAsync(user.Id);
        Assert.Equal((slug, MemberRole.Owner), (workspaces.Single().Identifier, workspaces.Single().Role));
        var again = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().CreateWorkspaceAsync(user.Id, "Third", slug, "zh-CN");
        Assert.NotEmpty(again.Errors.For("Slug"));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_second_workspace_with_the_same_chinese_name_gets_a_suffixed_pinyin_slug(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database);
        var name = TestData.NewChineseName();
        var stem = SlugRules.Derive(name);
        Assert.EndsWith("keji", stem);

        var slugs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await using var scope = services.CreateAsyncScope();
            var workspaces = scope.ServiceProvider.GetRequiredService<WorkspaceService>();
            var suggested = await workspaces.SuggestSlugAsync(name);
            var result = await workspaces.SignUpAsync(Request(slug: suggested, name: name) with { SlugDerived = true });
            Assert.True(result.Succeeded, result.Errors.ToString());
            slugs.Add(result.Tenant!.Identifier);
        }

        Assert.Equal([stem, stem + "-2", stem + "-3"], slugs);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_emoji_only_name_gets_a_free_workspace_slug(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database);
        await using var scope = services.CreateAsyncScope();
        var workspaces = scope.ServiceProvider.GetRequiredService<WorkspaceService>();

        var first = await workspaces.SignUpAsync(Request(slug: "", name: "🚀🚀") with { SlugDerived = true });
        var second = await workspaces.SignUpAsync(Request(slug: "", name: "🎉") with { SlugDerived = true });

        Assert.True(first.Succeeded && second.Succeeded, first.Errors + " " + second.Errors);
        Assert.StartsWith(SlugRules.Fallback, first.Tenant!.Identifier);
        Assert.StartsWith(SlugRules.Fallback, second.Tenant!.Identifier);
        Assert.NotEqual(first.Tenant.Identifier, second.Tenant.Identifier);
    }

    /// <summary>
    /// A derived slug taken by another sign-up after it was suggested never fails the submit: the next free
    /// alternative is used, and the user is kept.
    /// </summary>
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_derived_slug_taken_meanwhile_falls_back_to_the_next_free_one(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var name = TestData.NewChineseName();
        var suggested = SlugRules.Derive(name);
        var request = Request(slug: suggested, name: name) with { SlugDerived = true };
        var racer = new TakeSlugAfterCheck(database, suggested);
        await using var services = CoreServices.Create(database, configure: s =>
            s.AddScoped(_ => new CrmDbContext(database.OptionsWith(racer), null)));
        await using var scope = services.CreateAsyncScope();

        var result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().SignUpAsync(request);

        Assert.True(racer.Fired, "the slug check was not intercepted");
        Assert.True(result.Succeeded, result.Errors.ToString());
        Assert.Equal(suggested + "-2", result.Tenant!.Identifier);
        var (users, tenants) = await CountAsync(database, request.Email, suggested + "-2");
        Assert.Equal((1, 1), (users, tenants));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_typed_slug_that_is_taken_is_still_refused(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        var taken = await database.CreateTenantAsync();
        await using var services = CoreServices.Create(database);
        await using var scope = services.CreateAsyncScope();

        var result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().SignUpAsync(Request(slug: taken.Identifier));

        Assert.False(result.Succeeded);
        Assert.NotEmpty(result.Errors.For("Slug"));
    }

    /// <summary>After the first query of the tenants table (the slug check), inserts a tenant with the slug on another connection.</summary>
    private sealed class TakeSlugAfterCheck(TestDatabase database, string slug) : DbCommandInterceptor
    {
        public bool Fired { get; private set; }

        public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken ct = default)
        {
            if (!Fired && System.Text.RegularExpressions.Regex.IsMatch(command.CommandText, "FROM \"?tenants\"?") && command.Transaction is null)
            {
                Fired = true;
                await using var other = database.Factory.CreateGlobal();
                other.Tenants.Add(new TenantInfo { Identifier = slug, Name = "Faster" });
                await other.SaveChangesAsync(ct);
            }
            return result;
        }
    }
}
