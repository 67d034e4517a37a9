namespace Crm.Core.Notifications;

/// <summary>appsettings <c>Reminders</c>: how often the job runner runs the reminder sweep; 0 leaves it out of this instance.</summary>
public sealed class ReminderOptions
{
    public int SweepSeconds { get; set; } = 60;
}
