using System.Collections.Concurrent;
using Crm.Core.Data;
using Crm.Testing;
using Crm.Web.Hosting;
using Crm.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Crm.Web.Tests.Http;

/// <summary>
/// The demo login has a published password: it exists in Development (what <c>dotnet run</c> uses) and where
/// <c>Demo:Seed=true</c> asks for it, never by default in Production, and its password is logged only in Development.
/// Each test starts its own app with its own demo slug and e-mail on the shared test database.
/// </summary>
public class DemoSeedingTests
{
    private sealed record Started(bool UserExists, bool WorkspaceExists, string Log);

    private static async Task<Started> StartAsync(string provider, string environment, params (string Key, string Value)[] settings)
    {
        var database = await TestDatabase.GetAsync(provider);
        var slug = TestData.NewSlug("demo");
        var email = TestData.NewEmail("demo");
        var log = new LogSink();
        await using var app = new CrmAppFactory(database).WithWebHostBuilder(b =>
        {
            b.UseEnvironment(environment);
            b.UseSetting("Demo:Seed", null);
            b.UseSetting("Logging:LogLevel:Default", "Information"); // the demo lines are Information
            b.UseSetting("Demo:Slug", slug);
            b.UseSetting("Demo:Email", email);
            foreach (var (key, value) in settings) b.UseSetting(key, value);
            b.ConfigureLogging(l => l.AddProvider(log));
            // The demo content (every starter template with samples) is not what is tested here: keep it quick.
            b.ConfigureTestServices(s => s.RemoveAll<IDemoContentSeeder>());
        });
        _ = app.Server;
        await using var db = database.Factory.CreateGlobal();
        return new Started(
            await db.Users.AnyAsync(u => u.NormalizedEmail == email.ToUpperInvariant()),
            await db.Tenants.AnyAsync(t => t.Identifier == slug),
            log.Text);
    }

    [Fact]
    public async Task Development_on_sqlite_seeds_the_demo_login_and_logs_its_password()
    {
        var started = await StartAsync(Providers.Sqlite, "Development");

        Assert.True(started.UserExists);
        Assert.True(started.WorkspaceExists);
        Assert.Contains(DemoOptions.PublishedPassword, started.Log);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Production_has_no_demo_login(string provider)
    {
        var started = await StartAsync(provider, "Production");

        Assert.False(started.UserExists);
        Assert.False(started.WorkspaceExists);
        Assert.DoesNotContain(DemoOptions.PublishedPassword, started.Log);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Production_refuses_to_seed_with_the_published_password(string provider)
    {
        var started = await StartAsync(provider, "Production", ("Demo:Seed", "true"));

        Assert.False(started.UserExists);
        Assert.Contains("Demo:Password", started.Log);
        Assert.DoesNotContain(DemoOptions.PublishedPassword, started.Log);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Production_seeds_when_switched_on_with_an_own_password_and_never_logs_it(string provider)
    {
        const string password = "Own-demo-secret-42";
        var started = await StartAsync(provider, "Production", ("Demo:Seed", "true"), ("Demo:Password", password));

        Assert.True(started.UserExists);
        Assert.True(started.WorkspaceExists);
        Assert.Contains("Demo workspace created", started.Log);
        Assert.DoesNotContain(password, started.Log);
    }

    private sealed class LogSink : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();
        public string Text => string.Join("\n", _lines);
        public ILogger CreateLogger(string categoryName) => new Logger(_lines);
        public void Dispose() { }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => lines.Enqueue(formatter(state, exception));
        }
    }
}
