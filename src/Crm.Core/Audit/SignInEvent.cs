using Crm.Core.Data;

namespace Crm.Core.Audit;

/// <summary>
/// A sign-in (or failed one) that belongs to no workspace: the sign-in page was opened without a workspace to
/// return to, or the e-mail tried is no member of it. Global and append-only like <see cref="AuditEntry"/>; no
/// page shows these (workspace admins must not see other workspaces' people); operators read the table.
/// </summary>
[GlobalEntity("Sign-in happens before a workspace is chosen; these rows name none.")]
public sealed class SignInEvent
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public DateTime At { get; set; }
    public bool Succeeded { get; set; }
    /// <summary>The account, when the e-mail names one.</summary>
    public Guid? UserId { get; set; }
    /// <summary>The e-mail as typed (trimmed, cut to 256 characters).</summary>
    public string Email { get; set; } = "";
    /// <summary>Why it failed: <c>unknown-email</c>, <c>wrong-password</c>, <c>locked-out</c>; null on success.</summary>
    public string? Reason { get; set; }
    public string? IpAddress { get; set; }
    public string? UserAgent { get; set; }
}
