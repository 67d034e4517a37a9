using System.Collections.Concurrent;
using Crm.Testing;

namespace Crm.Web.Tests.Infrastructure;

/// <summary>One app per provider for all HTTP tests of the run (started on first use, stopped at the end).</summary>
public sealed class AppFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<Task<CrmAppFactory>>> _apps = new();

    public Task<CrmAppFactory> GetAsync(string provider)
        => _apps.GetOrAdd(provider, p => new Lazy<Task<CrmAppFactory>>(async () =>
        {
            var factory = new CrmAppFactory(await TestDatabase.GetAsync(p));
            _ = factory.Server; // starts the host: configuration, migrations, services
            return factory;
        })).Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps.Values.Where(a => a.IsValueCreated && a.Value.IsCompletedSuccessfully))
            await app.Value.Result.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}
