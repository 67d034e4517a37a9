using Crm.Core.Data;

namespace Crm.Core.Notifications;

/// <summary>
/// Which kinds of notification a person also wants by e-mail. Per person, not per workspace: one address, one
/// choice, like the preferred language on the user.
/// </summary>
[GlobalEntity("A person's own e-mail choices, read by user id whatever the workspace.")]
public sealed class NotificationPreference
{
    public Guid UserId { get; set; }
    /// <summary>Kinds sent by e-mail (see <see cref="NotificationKinds"/>).</summary>
    public List<string> EmailKinds { get; set; } = [];
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}
