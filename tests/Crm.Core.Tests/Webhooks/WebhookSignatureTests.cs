using Crm.Core.Webhooks;

namespace Crm.Core.Tests.Webhooks;

/// <summary>The signature receivers check (docs/webhooks.md): HMAC-SHA256 over "timestamp.body".</summary>
public class WebhookSignatureTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_signature_is_hmac_sha256_over_timestamp_dot_body()
    {
        // Known answer, computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        Assert.Equal("t=1700000000,v1=" + KnownAnswer, WebhookSignature.Sign("whsec_test", 1700000000, "{\"a\":1}"));
    }

    private const string KnownAnswer = "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";

    [Fact]
    public void Verification_refuses_other_secrets_changed_bodies_and_old_timestamps()
    {
        var secret = WebhookSignature.NewSecret();
        Assert.StartsWith("whsec_", secret);
        var body = "{\"type\":\"record.created\"}";
        var header = WebhookSignature.Sign(secret, Now.ToUnixTimeSeconds(), body);
        var tolerance = TimeSpan.FromMinutes(5);

        Assert.True(WebhookSignature.Verify(secret, header, body, Now, tolerance));
        Assert.False(WebhookSignature.Verify(WebhookSignature.NewSecret(), header, body, Now, tolerance));
        Assert.False(WebhookSignature.Verify(secret, header, body + " ", Now, tolerance));
        Assert.False(WebhookSignature.Verify(secret, header, body, Now.AddMinutes(6), tolerance));
        Assert.False(WebhookSignature.Verify(secret, "v1=abc", body, Now, tolerance));
        Assert.NotEqual(WebhookSignature.NewSecret(), secret);
    }
}
