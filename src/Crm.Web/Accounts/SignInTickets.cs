using System.Text.Json;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Crm.Web.Accounts;

/// <summary>
/// Interactive (circuit) pages cannot set cookies: after checking the password they issue a short-lived,
/// single-use ticket and navigate to <c>/account/complete-signin</c>, an HTTP endpoint that signs in.
/// Tickets are protected with Data Protection (keys in the database) and expire after two minutes. Single use is
/// kept in the database (<see cref="RedeemedSignInTicket"/>): redeeming inserts the ticket's id, and the insert
/// either adds the row or finds it there, atomically on both databases, so a ticket works once across instances
/// and restarts.
/// </summary>
public sealed class SignInTickets(IDataProtectionProvider provider, ICrmDbContextFactory factory, TimeProvider clock)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);
    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector("Crm.SignInTicket.v1").ToTimeLimitedDataProtector();

    private sealed record Payload(Guid TicketId, Guid UserId, bool Remember);

    public string Issue(Guid userId, bool remember)
        => _protector.Protect(JsonSerializer.Serialize(new Payload(Guid.NewGuid(), userId, remember)), clock.GetUtcNow() + Lifetime);

    /// <summary>The user and "remember me" of a valid, unused ticket; null for anything else.</summary>
    public async Task<(Guid UserId, bool Remember)?> RedeemAsync(string? ticket, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(ticket)) return null;
        Payload? payload;
        DateTimeOffset expires;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(_protector.Unprotect(ticket, out expires));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException)
        {
            return null;
        }
        if (payload is null) return null;
        return await MarkRedeemedAsync(payload.TicketId, expires.UtcDateTime, ct) ? (payload.UserId, payload.Remember) : null;
    }

    /// <summary>True when this call recorded the ticket as used; false when it was used before.</summary>
    private async Task<bool> MarkRedeemedAsync(Guid ticketId, DateTime expiresAt, CancellationToken ct)
    {
        await using var db = factory.CreateGlobal();
        var now = clock.GetUtcNow().UtcDateTime;
        // Rows of expired tickets are useless: the protector refuses the ticket itself by then.
        await db.RedeemedSignInTickets.Where(t => t.ExpiresAt < now).ExecuteDeleteAsync(ct);

        var entity = db.Model.FindEntityType(typeof(RedeemedSignInTicket))!;
        var table = entity.GetTableName();
        var id = entity.FindProperty(nameof(RedeemedSignInTicket.Id))!.GetColumnName();
        var expires = entity.FindProperty(nameof(RedeemedSignInTicket.ExpiresAt))!.GetColumnName();
        // INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike): one statement, no read-then-insert race.
        // Only identifiers from the EF model are put into the text; the values are parameters.
        var sql = "INSERT INTO " + table + " (" + id + ", " + expires + ") VALUES ({0}, {1}) ON CONFLICT (" + id + ") DO NOTHING";
        return await db.Database.ExecuteSqlRawAsync(sql, [ticketId, expiresAt], ct) == 1;
    }
}
