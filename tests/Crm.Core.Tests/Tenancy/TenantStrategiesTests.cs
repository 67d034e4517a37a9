using Crm.Core.Tenancy;
using Microsoft.Extensions.Options;

namespace Crm.Core.Tests.Tenancy;

public class RoutePrefixStrategyTests
{
    private static Task<string?> Resolve(string path, string prefix = "t")
        => new RoutePrefixStrategy(Options.Create(new TenancyOptions { RoutePrefix = prefix }))
            .GetIdentifierAsync(new TenantResolutionRequest(path, "localhost", _ => null), default);

    [Theory]
    [InlineData("/t/acme", "acme")]
    [InlineData("/t/acme/", "acme")]
    [InlineData("/t/acme/settings/members", "acme")]
    [InlineData("/t/ACME/api/workspace", "acme")]
    [InlineData("/T/acme", "acme")]
    [InlineData("/t/acme%2Dco", "acme-co")]
    public async Task Finds_the_identifier_after_the_prefix(string path, string expected)
        => Assert.Equal(expected, await Resolve(path));

    [Theory]
    [InlineData("/")]
    [InlineData("/t")]
    [InlineData("/t/")]
    [InlineData("/account/login")]
    [InlineData("/api/workspace")]
    [InlineData("/tt/acme")]
    [InlineData("/status/404")]
    public async Task Returns_null_when_the_path_has_no_workspace(string path)
        => Assert.Null(await Resolve(path));

    [Fact]
    public async Task Uses_the_configured_prefix()
    {
        Assert.Equal("acme", await Resolve("/w/acme", prefix: "w"));
        Assert.Null(await Resolve("/t/acme", prefix: "w"));
    }
}

public class HostStrategyTests
{
    private static Task<string?> Resolve(string? host, string? domain)
        => new HostStrategy(Options.Create(new TenancyOptions { HostDomain = domain }))
            .GetIdentifierAsync(new TenantResolutionRequest("/", host, _ => null), default);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Does_nothing_without_a_configured_host_domain(string? domain)
        => Assert.Null(await Resolve("acme.crm.example.com", domain));

    [Theory]
    [InlineData("acme.crm.example.com", "acme")]
    [InlineData("ACME.Crm.Example.com", "acme")]
    public async Task Takes_the_label_before_the_configured_domain(string host, string expected)
        => Assert.Equal(expected, await Resolve(host, "crm.example.com"));

    [Fact]
    public async Task Accepts_a_domain_configured_with_a_leading_dot()
        => Assert.Equal("acme", await Resolve("acme.crm.example.com", ".crm.example.com"));

    [Theory]
    [InlineData("crm.example.com")]
    [InlineData("evilcrm.example.com")]
    [InlineData("a.b.crm.example.com")]
    [InlineData("acme.other.com")]
    [InlineData("localhost")]
    [InlineData(null)]
    public async Task Returns_null_for_hosts_that_are_not_one_label_under_the_domain(string? host)
        => Assert.Null(await Resolve(host, "crm.example.com"));
}

public class ApiKeyStrategyTests
{
    private sealed class FakeKeys(params (string Key, string Slug)[] keys) : IApiKeyStore
    {
        public int Lookups { get; private set; }

        public Task<ApiKeyMatch?> FindAsync(string key, CancellationToken ct = default)
        {
            Lookups++;
            var hit = keys.FirstOrDefault(k => k.Key == key);
            return Task.FromResult(hit.Key is null ? null : new ApiKeyMatch(Guid.NewGuid(), Guid.NewGuid(), hit.Slug, MemberRole.Member));
        }

        public Task<(ApiKey Key, string Secret)> CreateAsync(Guid tenantId, string name, MemberRole role, Guid createdBy, CancellationToken ct = default)
            => throw new NotSupportedException();
    }

    private static TenantResolutionRequest WithHeaders(params (string Name, string Value)[] headers)
        => new("/api/workspace", "localhost", name => headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value);

    [Fact]
    public async Task Resolves_the_tenant_of_a_known_key()
    {
        var strategy = new ApiKeyStrategy(Options.Create(new TenancyOptions()), new FakeKeys(("crm_secret", "acme")));
        Assert.Equal("acme", await strategy.GetIdentifierAsync(WithHeaders(("X-Api-Key", "crm_secret")), default));
    }

    [Fact]
    public async Task Returns_null_for_an_unknown_key()
    {
        var strategy = new ApiKeyStrategy(Options.Create(new TenancyOptions()), new FakeKeys(("crm_secret", "acme")));
        Assert.Null(await strategy.GetIdentifierAsync(WithHeaders(("X-Api-Key", "crm_wrong")), default));
    }

    [Fact]
    public async Task Does_not_look_up_anything_without_the_header()
    {
        var keys = new FakeKeys(("crm_secret", "acme"));
        var strategy = new ApiKeyStrategy(Options.Create(new TenancyOptions()), keys);
        Assert.Null(await strategy.GetIdentifierAsync(WithHeaders(), default));
        Assert.Null(await strategy.GetIdentifierAsync(WithHeaders(("X-Api-Key", "  ")), default));
        Assert.Equal(0, keys.Lookups);
    }

    [Fact]
    public async Task Reads_the_configured_header()
    {
        var strategy = new ApiKeyStrategy(Options.Create(new TenancyOptions { ApiKeyHeader = "Authorization-Key" }), new FakeKeys(("crm_secret", "acme")));
        Assert.Null(await strategy.GetIdentifierAsync(WithHeaders(("X-Api-Key", "crm_secret")), default));
        Assert.Equal("acme", await strategy.GetIdentifierAsync(WithHeaders(("Authorization-Key", "crm_secret")), default));
    }
}
