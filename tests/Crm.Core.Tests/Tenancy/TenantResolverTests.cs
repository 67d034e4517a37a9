using Crm.Core.Data;
using Crm.Core.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Core.Tests.Tenancy;

public class TenantResolverTests
{
    private sealed class FixedStrategy(string name, int order, string? identifier) : ITenantStrategy
    {
        public string Name => name;
        public int Order => order;
        public int Calls { get; private set; }

        public Task<string?> GetIdentifierAsync(TenantResolutionRequest request, CancellationToken ct)
        {
            Calls++;
            return Task.FromResult(identifier);
        }
    }

    private sealed class FakeStore(params TenantInfo[] tenants) : ITenantStore
    {
        public Task<TenantInfo?> GetByIdentifierAsync(string identifier, CancellationToken ct = default)
            => Task.FromResult(tenants.FirstOrDefault(t => t.Identifier == identifier));
        public Task<TenantInfo?> GetByIdAsync(Guid id, CancellationToken ct = default)
            => Task.FromResult(tenants.FirstOrDefault(t => t.Id == id));
        public void Invalidate(TenantInfo tenant) { }
    }

    private static readonly TenantInfo Route = new() { Identifier = "route-co", Name = "Route" };
    private static readonly TenantInfo Host = new() { Identifier = "host-co", Name = "Host" };
    private static readonly TenantInfo Key = new() { Identifier = "key-co", Name = "Key" };
    private static readonly FakeStore Store = new(Route, Host, Key);
    private static readonly TenantResolutionRequest AnyRequest = new("/", "localhost", _ => null);

    [Fact]
    public async Task Route_beats_host_beats_api_key_whatever_the_registration_order()
    {
        var strategies = new[] { new FixedStrategy("api-key", 300, "key-co"), new FixedStrategy("host", 200, "host-co"), new FixedStrategy("route", 100, "route-co") };
        var resolution = await new TenantResolver(strategies, Store).ResolveAsync(AnyRequest);
        Assert.Equal(Route.Id, resolution.Context!.Tenant.Id);
        Assert.Equal("route", resolution.Context.StrategyName);
        Assert.Equal(0, strategies[0].Calls + strategies[1].Calls);
    }

    [Fact]
    public async Task Host_beats_api_key_when_the_route_names_no_workspace()
    {
        var resolver = new TenantResolver([new FixedStrategy("route", 100, null), new FixedStrategy("api-key", 300, "key-co"), new FixedStrategy("host", 200, "host-co")], Store);
        var resolution = await resolver.ResolveAsync(AnyRequest);
        Assert.Equal(("host", Host.Id), (resolution.Context!.StrategyName, resolution.Context.Tenant.Id));
    }

    [Fact]
    public async Task Api_key_is_used_when_nothing_else_names_a_workspace()
    {
        var resolver = new TenantResolver([new FixedStrategy("route", 100, null), new FixedStrategy("host", 200, null), new FixedStrategy("api-key", 300, "key-co")], Store);
        var resolution = await resolver.ResolveAsync(AnyRequest);
        Assert.Equal(("api-key", Key.Id), (resolution.Context!.StrategyName, resolution.Context.Tenant.Id));
    }

    [Fact]
    public async Task An_unknown_slug_stops_resolution_as_unknown()
    {
        var host = new FixedStrategy("host", 200, "host-co");
        var key = new FixedStrategy("api-key", 300, "key-co");
        var resolution = await new TenantResolver([new FixedStrategy("route", 100, "nope"), host, key], Store).ResolveAsync(AnyRequest);
        Assert.True(resolution.IsUnknown);
        Assert.Null(resolution.Context);
        Assert.Equal("nope", resolution.UnknownIdentifier);
        Assert.Equal(0, host.Calls + key.Calls);
    }

    [Fact]
    public async Task Nothing_found_is_none_not_unknown()
    {
        var resolution = await new TenantResolver([new FixedStrategy("route", 100, null), new FixedStrategy("host", 200, null)], Store).ResolveAsync(AnyRequest);
        Assert.Same(TenantResolution.None, resolution);
        Assert.False(resolution.IsUnknown);
    }

    [Fact]
    public void The_registered_strategies_run_in_the_order_route_host_api_key()
    {
        var services = new ServiceCollection().AddLogging().AddCrmCore(DatabaseProvider.Sqlite, "Data Source=:memory:").BuildServiceProvider();
        var resolver = services.GetRequiredService<TenantResolver>();
        Assert.Equal(["route", "host", "api-key"], resolver.Strategies.Select(s => s.Name));
    }
}
