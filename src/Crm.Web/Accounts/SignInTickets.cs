using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Crm.Web.Accounts;

/// <summary>
/// Interactive (circuit) pages cannot set cookies: after checking the password they issue a short-lived,
/// single-use ticket and navigate to <c>/account/complete-signin</c>, an HTTP endpoint that signs in.
/// Tickets are protected with Data Protection (keys in the database) and expire after two minutes.
/// </summary>
public sealed class SignInTickets(IDataProtectionProvider provider, TimeProvider clock)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);
    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector("Crm.SignInTicket.v1").ToTimeLimitedDataProtector();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _used = new();

    private sealed record Payload(Guid TicketId, Guid UserId, bool Remember);

    public string Issue(Guid userId, bool remember)
        => _protector.Protect(JsonSerializer.Serialize(new Payload(Guid.NewGuid(), userId, remember)), clock.GetUtcNow() + Lifetime);

    /// <summary>The user and "remember me" of a valid, unused ticket; null for anything else.</summary>
    public (Guid UserId, bool Remember)? Redeem(string? ticket)
    {
        if (string.IsNullOrEmpty(ticket)) return null;
        try
        {
            var payload = JsonSerializer.Deserialize<Payload>(_protector.Unprotect(ticket, out _));
            if (payload is null) return null;
            var now = clock.GetUtcNow();
            foreach (var old in _used.Where(kv => kv.Value < now - Lifetime).Select(kv => kv.Key).ToList()) _used.TryRemove(old, out _);
            return _used.TryAdd(payload.TicketId, now) ? (payload.UserId, payload.Remember) : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}
