using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Crm.Core.Webhooks;

/// <summary>
/// <c>X-Crm-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body" with the secret&gt;</c>. Receivers recompute
/// it over the raw body, compare in constant time and refuse old timestamps (replays); see docs/webhooks.md.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-Crm-Signature";

    public static string Sign(string secret, long timestamp, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + body));
        return $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>The receiver's check: signature matches and the timestamp is within <paramref name="tolerance"/> of <paramref name="now"/>.</summary>
    public static bool Verify(string secret, string header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        long? t = null;
        var candidates = new List<string>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var (k, v) = (part[..eq], part[(eq + 1)..]);
            if (k == "t" && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ts)) t = ts;
            else if (k == "v1") candidates.Add(v);
        }
        if (t is null || Math.Abs(now.ToUnixTimeSeconds() - t.Value) > tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, t.Value, body)[(Sign(secret, t.Value, body).IndexOf("v1=", StringComparison.Ordinal) + 3)..]);
        return candidates.Any(c => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(c), expected));
    }

    /// <summary>A new secret: 32 random bytes, URL-safe Base64, prefixed so it is recognisable in a vault.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
