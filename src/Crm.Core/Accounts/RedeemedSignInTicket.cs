using Crm.Core.Data;

namespace Crm.Core.Accounts;

/// <summary>
/// A sign-in ticket that has been used. Kept in the database, not in one process's memory, so a ticket works once
/// across every instance and a restart; the row is purged once the ticket has expired anyway.
/// </summary>
[GlobalEntity("Sign-in tickets are issued before any workspace is chosen; the row names no tenant.")]
public sealed class RedeemedSignInTicket
{
    /// <summary>The ticket's own random id (from its protected payload), the primary key: a second insert fails.</summary>
    public Guid Id { get; set; }
    public DateTime ExpiresAt { get; set; }
}
