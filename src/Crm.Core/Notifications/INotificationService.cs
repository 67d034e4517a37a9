namespace Crm.Core.Notifications;

/// <summary>
/// In-app notifications (the bell and the notification centre) and, when an SMTP server is configured and the user
/// wants that kind by e-mail, an e-mail. Used by automation rules, pools and reminders.
/// </summary>
public interface INotificationService
{
    /// <summary>
    /// Stores one notification per user in the workspace <paramref name="tenantId"/> (users who are no longer members
    /// are skipped) and queues e-mails. Never throws for delivery problems (they are logged).
    /// </summary>
    Task NotifyAsync(Guid tenantId, NotificationRequest request, CancellationToken ct = default);
}

/// <summary>
/// What to notify. <paramref name="Kind"/> is a stable key such as "rule", "task.due", "task.overdue",
/// "pool.return-soon", "pool.returned", "deal.stuck" (per-user e-mail settings are by kind). Title and body are
/// already rendered text (rules render their placeholders first).
/// </summary>
public sealed record NotificationRequest(
    IReadOnlyList<Guid> UserIds,
    string Kind,
    string Title,
    string? Body = null,
    Guid? RecordId = null,
    Guid? EntityTypeId = null);
