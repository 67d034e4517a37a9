using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Audit;

/// <summary>A sign-in attempt as the sign-in page or endpoint saw it.</summary>
/// <param name="ReturnUrl">Where the person was going: <c>/t/{slug}/…</c> names the workspace the attempt belongs to.</param>
/// <param name="Reason">On failure: <see cref="SignInAudit.UnknownEmail"/>, <see cref="SignInAudit.WrongPassword"/> or <see cref="SignInAudit.LockedOut"/>.</param>
public sealed record SignInAttempt(bool Succeeded, string Email, Guid? UserId, string? ReturnUrl, RequestOrigin? Origin, string? Reason = null);

/// <summary>
/// Records sign-ins. An attempt that names a workspace (the page was opened on the way to <c>/t/{slug}</c>) by
/// a member of it goes to that workspace's audit log, where its admins see it. Every other attempt (no workspace,
/// an unknown e-mail, someone who is not a member) goes to the global <see cref="SignInEvent"/> table, which no
/// page shows: a workspace's admins must not learn about people outside it, and an anonymous visitor must not be
/// able to fill a workspace's log by mistyping e-mails.
/// </summary>
public sealed class SignInAudit(ICrmDbContextFactory factory, TimeProvider clock, AuditTrail trail)
{
    public const string UnknownEmail = "unknown-email";
    public const string WrongPassword = "wrong-password";
    public const string LockedOut = "locked-out";

    public async Task RecordAsync(SignInAttempt attempt, CancellationToken ct = default)
    {
        var email = attempt.Email.Trim();
        if (email.Length > 256) email = email[..256];
        if (attempt.UserId is { } userId && WorkspaceSlug(attempt.ReturnUrl) is { } slug)
        {
            await using var global = factory.CreateGlobal();
            var member = await global.Memberships.AsNoTracking()
                .Where(m => m.UserId == userId && m.Tenant!.Identifier == slug)
                .Select(m => new { m.TenantId, m.User!.DisplayName, m.User.Email })
                .FirstOrDefaultAsync(ct);
            if (member is not null)
            {
                var label = MembershipService.UserLabel(member.DisplayName, member.Email);
                var details = attempt.Reason is null ? null : new JsonObject { ["reason"] = attempt.Reason };
                await trail.WriteAsync(member.TenantId, userId, label, attempt.Origin,
                    new AuditEvent(attempt.Succeeded ? AuditActions.SignIn : AuditActions.SignInFailed, AuditActions.Targets.User, userId.ToString(), label, details), ct);
                return;
            }
        }
        await using var db = factory.CreateGlobal();
        db.Add(new SignInEvent
        {
            At = clock.GetUtcNow().UtcDateTime, Succeeded = attempt.Succeeded, UserId = attempt.UserId, Email = email,
            Reason = attempt.Succeeded ? null : attempt.Reason, IpAddress = attempt.Origin?.IpAddress, UserAgent = attempt.Origin?.UserAgent,
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The workspace slug of a local return URL (<c>/t/acme/records/…</c> → <c>acme</c>), else null.</summary>
    public static string? WorkspaceSlug(string? returnUrl)
    {
        if (string.IsNullOrEmpty(returnUrl) || !returnUrl.StartsWith("/t/", StringComparison.Ordinal)) return null;
        var rest = returnUrl[3..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        var slug = end < 0 ? rest : rest[..end];
        return slug.Length > 0 && Tenancy.SlugRules.Validate(slug) is null ? slug : null;
    }
}
