using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Accounts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Crm.Web.Tests.Infrastructure;

/// <summary>
/// The real app (Program) over a test database. The database is passed the way an operator passes it,
/// as <c>Database:Provider</c> and <c>Database:ConnectionString</c> settings; a test checks Program sees them.
/// Shared by the HTTP tests (TestServer) and the browser tests (Kestrel on a free port).
/// </summary>
public sealed class CrmAppFactory(TestDatabase database, Action<IWebHostBuilder>? configure = null) : WebApplicationFactory<Program>
{
    public TestDatabase Database => database;

    /// <summary>What the app logged at Error or above (category, message, exception), so a test that times out can say why.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Database:Provider", database.Provider.ToString());
        builder.UseSetting("Database:ConnectionString", database.ConnectionString);
        builder.UseSetting("Demo:Seed", "false");
        // Webhook tests deliver to a local Kestrel receiver: internal addresses allowed here, never outside the machine.
        builder.UseSetting("Webhooks:AllowPrivateNetworks", "true");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Error");
        builder.ConfigureLogging(l => l.AddProvider(new ErrorCollector(Errors)));
        configure?.Invoke(builder);
    }

    /// <summary>A new account with its own workspace, signed up through the app's own service.</summary>
    public async Task<SignedUp> SignUpAsync(string? workspaceName = null, string culture = "en", string? email = null, string? displayName = null)
    {
        await using var scope = Services.CreateAsyncScope();
        var slug = TestData.NewSlug();
        var request = new SignupRequest(email ?? TestData.NewEmail(), SignedUp.Password, displayName ?? "Tester " + slug[^4..], workspaceName ?? "Workspace " + slug, slug, culture);
        var result = await scope.ServiceProvider.GetRequiredService<WorkspaceService>().SignUpAsync(request);
        if (!result.Succeeded) throw new InvalidOperationException("Sign-up failed: " + result.Errors);
        return new SignedUp(result.User!, result.Tenant!);
    }

    /// <summary>A new account that joins <paramref name="tenant"/> with <paramref name="role"/>.</summary>
    public async Task<ApplicationUser> AddMemberAsync(TenantInfo tenant, MemberRole role, string? email = null, string? displayName = null)
    {
        await using var scope = Services.CreateAsyncScope();
        var (user, errors) = await scope.ServiceProvider.GetRequiredService<WorkspaceService>()
            .RegisterAsync(email ?? TestData.NewEmail(role.ToString().ToLowerInvariant()), SignedUp.Password, displayName ?? role + " person", "en");
        if (user is null) throw new InvalidOperationException("Register failed: " + errors);
        await using var db = Services.GetRequiredService<ICrmDbContextFactory>().CreateGlobal();
        db.Memberships.Add(new TenantMembership { TenantId = tenant.Id, UserId = user.Id, Role = role });
        await db.SaveChangesAsync();
        return user;
    }

    /// <summary>A client with its own cookie jar, not following redirects.</summary>
    public HttpClient CreateBrowserLikeClient(string acceptLanguage = "en")
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(acceptLanguage);
        return client;
    }

    /// <summary>Signs <paramref name="user"/> in the way the interactive login page does: a ticket, then /account/complete-signin.</summary>
    public async Task<HttpClient> SignedInClientAsync(ApplicationUser user, string acceptLanguage = "en")
    {
        var client = CreateBrowserLikeClient(acceptLanguage);
        var ticket = Services.GetRequiredService<SignInTickets>().Issue(user.Id, remember: false);
        var response = await client.GetAsync($"/account/complete-signin?ticket={Uri.EscapeDataString(ticket)}&returnUrl=%2Fworkspaces");
        if (response.StatusCode != System.Net.HttpStatusCode.Redirect || response.Headers.Location?.OriginalString != "/workspaces")
            throw new InvalidOperationException($"Sign-in did not complete: {(int)response.StatusCode} → {response.Headers.Location}");
        return client;
    }
}

public sealed record SignedUp(ApplicationUser User, TenantInfo Tenant)
{
    public const string Password = "secret-123";
    public string Slug => Tenant.Identifier;
}

/// <summary>Keeps the app's Error and Critical log entries (the 200 latest) for test failure messages.</summary>
public sealed class ErrorCollector(ConcurrentQueue<string> errors) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, errors);
    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<string> errors) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            errors.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : "\n" + exception)}");
            while (errors.Count > 200) errors.TryDequeue(out _);
        }
    }
}
