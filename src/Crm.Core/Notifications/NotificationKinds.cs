namespace Crm.Core.Notifications;

/// <summary>The stable keys of notification kinds (stored with each notification and in e-mail preferences).</summary>
public static class NotificationKinds
{
    public const string Rule = "rule";
    public const string TaskDue = "task.due";
    public const string TaskOverdue = "task.overdue";
    public const string PoolReturnSoon = "pool.return-soon";
    public const string PoolReturned = "pool.returned";
    public const string PoolAssigned = "pool.assigned";
    public const string DealStuck = "deal.stuck";

    /// <summary>Every kind a person can choose for e-mail, in the order the settings show them.</summary>
    public static readonly IReadOnlyList<string> All = [TaskDue, TaskOverdue, PoolReturnSoon, PoolReturned, PoolAssigned, DealStuck, Rule];
}
