using System.Net;
using Crm.Core.Webhooks;

namespace Crm.Core.Tests.Webhooks;

/// <summary>The SSRF guard: which addresses a webhook may reach, at subscription time, per connection and per redirect hop.</summary>
public class WebhookAddressGuardTests
{
    /// <summary>DNS answers of the test's choosing, so names can resolve to internal addresses.</summary>
    private sealed class FakeDns(Dictionary<string, string[]> answers) : IWebhookDnsResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
            => Task.FromResult(answers.TryGetValue(host, out var a) ? a.Select(IPAddress.Parse).ToArray() : throw new System.Net.Sockets.SocketException(11001));
    }

    private static readonly FakeDns Dns = new(new()
    {
        ["public.example"] = ["93.184.215.14"],
        ["internal.example"] = ["10.0.0.5"],
        ["metadata.example"] = ["169.254.169.254"],
        ["mixed.example"] = ["93.184.215.14", "192.168.1.10"],
        ["v6local.example"] = ["fd12:3456::1"],
        ["loop.example"] = ["127.0.0.1"],
        ["mapped.example"] = ["::ffff:127.0.0.1"],
    });

    [Theory]
    [InlineData("127.0.0.1")] [InlineData("127.8.9.10")] [InlineData("10.1.2.3")] [InlineData("172.16.0.1")] [InlineData("172.31.255.255")]
    [InlineData("192.168.0.1")] [InlineData("100.64.0.1")] [InlineData("100.127.255.254")] [InlineData("169.254.169.254")]
    [InlineData("0.0.0.0")] [InlineData("224.0.0.1")] [InlineData("255.255.255.255")] [InlineData("::1")] [InlineData("::")]
    [InlineData("fe80::1")] [InlineData("fc00::1")] [InlineData("fd00::1")] [InlineData("ff02::1")] [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:127.0.0.1")] [InlineData("::ffff:169.254.169.254")] [InlineData("64:ff9b::a00:1")] [InlineData("2002:c0a8:0101::1")]
    public void Internal_addresses_are_refused(string address)
        => Assert.True(WebhookAddressGuard.IsInternal(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("93.184.215.14")] [InlineData("8.8.8.8")] [InlineData("172.32.0.1")] [InlineData("100.128.0.1")] [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_pass(string address)
        => Assert.False(WebhookAddressGuard.IsInternal(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("https://public.example/hook", null)]
    [InlineData("https://internal.example/hook", "10.0.0.5")]
    [InlineData("https://metadata.example/latest", "169.254.169.254")]
    [InlineData("https://mixed.example/hook", "192.168.1.10")]
    [InlineData("https://v6local.example/hook", "fd12:3456::1")]
    [InlineData("http://loop.example:8080/hook", "127.0.0.1")]
    [InlineData("http://mapped.example/hook", "127.0.0.1")]
    [InlineData("http://127.0.0.1/hook", "127.0.0.1")]
    [InlineData("http://[::1]/hook", "::1")]
    [InlineData("http://localhost.invalid/hook", "could not be resolved")]
    [InlineData("ftp://public.example/file", "http")]
    [InlineData("https://user:pass@public.example/", "user name")]
    [InlineData("/relative", "absolute")]
    public async Task Urls_are_checked_after_name_resolution(string url, string? refusal)
    {
        var guard = new WebhookAddressGuard(new WebhookOptions(), Dns);
        if (refusal is null)
        {
            Assert.Equal(new Uri(url), await guard.CheckUrlAsync(url, default));
            return;
        }
        var e = await Assert.ThrowsAsync<WebhookAddressException>(() => guard.CheckUrlAsync(url, default));
        Assert.Contains(refusal, e.Message);
    }

    [Fact]
    public async Task Configuration_can_allow_private_networks_or_single_addresses()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.5"), await new WebhookAddressGuard(new WebhookOptions { AllowPrivateNetworks = true }, Dns).ResolveAsync("internal.example", default));
        var one = new WebhookAddressGuard(new WebhookOptions { AllowedAddresses = ["10.0.0.5"] }, Dns);
        Assert.Equal(IPAddress.Parse("10.0.0.5"), await one.ResolveAsync("internal.example", default));
        await Assert.ThrowsAsync<WebhookAddressException>(() => one.ResolveAsync("loop.example", default));
    }

    [Fact]
    public async Task A_redirect_to_loopback_is_refused_at_the_hop()
    {
        // The receiver's own address is allowed (an on-premises receiver); its redirect to another loopback address is not.
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Answer = (_, _) => (302, $"http://loop.example:{receiver.Port}/inside");
        var options = new WebhookOptions { AllowedAddresses = ["127.0.0.1"] };
        var dns = new FakeDns(new() { ["loop.example"] = ["127.0.0.2"] });
        using var http = new WebhookHttp(options, new WebhookAddressGuard(options, dns));

        var response = await http.PostAsync(receiver.BaseUrl + "/start", "{}", new Dictionary<string, string>(), default);
        Assert.False(response.Succeeded);
        Assert.Null(response.StatusCode);
        Assert.Contains("127.0.0.2", response.Error);
        Assert.Equal(["/start"], receiver.Requests.Select(r => r.Path).ToArray());

        // Same with a literal address in the Location header.
        receiver.Answer = (_, _) => (307, "http://[::1]:1/x");
        Assert.Contains("::1", (await http.PostAsync(receiver.BaseUrl + "/start", "{}", new Dictionary<string, string>(), default)).Error);
    }

    [Fact]
    public async Task Redirects_are_followed_at_most_three_times()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Answer = (n, _) => (302, $"{receiver.BaseUrl}/hop{n}");
        var options = new WebhookOptions { AllowPrivateNetworks = true };
        using var http = new WebhookHttp(options, new WebhookAddressGuard(options, new SystemDnsResolver()));
        var response = await http.PostAsync(receiver.BaseUrl + "/start", "{}", new Dictionary<string, string>(), default);
        Assert.Equal(302, response.StatusCode);
        Assert.Contains("redirects", response.Error);
        Assert.Equal(4, receiver.Requests.Count);
    }
}
