namespace Crm.Core.Webhooks;

/// <summary>Configuration section <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    /// <summary>
    /// Lets webhook URLs reach loopback, private, link-local and other internal addresses (SSRF guard off). False by
    /// default; tests turn it on to deliver to a local test server.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Exact addresses allowed although internal (an on-premises receiver), e.g. <c>["10.1.2.3"]</c>.</summary>
    public List<string> AllowedAddresses { get; set; } = [];

    /// <summary>Per request (each redirect hop included): connect, send and read the answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Quick retries of one round (Polly, exponential with jitter from <see cref="RetryDelay"/>).</summary>
    public int Retries { get; set; } = 2;
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rounds of attempts per delivery; a failed round is queued again after <see cref="RoundDelay"/> × 4^(round − 1) ± 20 %.</summary>
    public int Rounds { get; set; } = 4;
    public TimeSpan RoundDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A webhook whose deliveries failed this many times in a row is disabled and the admins are told.</summary>
    public int DisableAfterFailures { get; set; } = 15;

    public int MaxRedirects { get; set; } = 3;

    /// <summary>At most this much of a response body is read (the rest is dropped).</summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024;
}
