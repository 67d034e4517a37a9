using Crm.Core.Metadata;
using Crm.Core.Tenancy;
using Crm.Core.Views;

namespace Crm.Core.Automation;

/// <summary>
/// An automation rule (智能助手): when <see cref="Trigger"/> happens to a record of <see cref="EntityTypeId"/> and
/// <see cref="Conditions"/> hold, run <see cref="Actions"/> in order. Metadata like fields: edited by admins, shipped
/// in templates (<see cref="Key"/>, <see cref="Origin"/>), and a save bumps the tenant's metadata version.
/// </summary>
public sealed class AutomationRule : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    public string Key { get; set; } = "";
    public LocalizedText Name { get; set; } = LocalizedText.Same("");
    public bool IsEnabled { get; set; } = true;
    public bool IsArchived { get; set; }
    public int SortOrder { get; set; }
    public RuleTrigger Trigger { get; set; } = new();
    public RuleConditions Conditions { get; set; } = new();
    public List<RuleAction> Actions { get; set; } = [];
    public string? Origin { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public bool IsActive => IsEnabled && !IsArchived;
}

/// <summary>Trigger kinds, as stored (stable strings).</summary>
public static class TriggerKinds
{
    public const string Created = "created";
    public const string Updated = "updated";
    public const string StageEntered = "stageEntered";
    public const string StatusChanged = "statusChanged";
    /// <summary>N days after the date in <see cref="RuleTrigger.Field"/>.</summary>
    public const string AfterDate = "afterDate";
    /// <summary>N days after the last interaction (or creation when there is none).</summary>
    public const string NoActivity = "noActivity";
    /// <summary>N days in the same stage.</summary>
    public const string InStage = "inStage";
    /// <summary>An open task of the record, N hours before it is due.</summary>
    public const string TaskDue = "taskDue";
    public const string Manual = "manual";

    public static readonly string[] All = [Created, Updated, StageEntered, StatusChanged, AfterDate, NoActivity, InStage, TaskDue, Manual];
    public static readonly string[] Timed = [AfterDate, NoActivity, InStage, TaskDue];
    public static bool IsTimed(string kind) => Timed.Contains(kind);
}

/// <summary>
/// When a rule runs. <see cref="Fields"/>: for "updated", only when one of these fields changes (any when empty).
/// <see cref="From"/>/<see cref="To"/>: stage or option keys for stage/status triggers (any when null).
/// <see cref="Days"/>/<see cref="Hours"/>: the delay of time-based triggers; <see cref="Field"/>: the date field.
/// </summary>
public sealed record RuleTrigger
{
    public string Kind { get; init; } = TriggerKinds.Created;
    public List<string> Fields { get; init; } = [];
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Field { get; init; }
    public int? Days { get; init; }
    public int? Hours { get; init; }
}

/// <summary>
/// The list filter model (<see cref="FilterSpec"/>) joined with AND (<see cref="Match"/> "all") or OR ("any"), plus
/// "changed from/to" checks for update triggers (always joined with AND).
/// </summary>
public sealed record RuleConditions
{
    public string Match { get; init; } = "all";
    public List<FilterSpec> Filters { get; init; } = [];
    public List<ChangeCondition> Changes { get; init; } = [];

    [System.Text.Json.Serialization.JsonIgnore] public bool IsEmpty => Filters.Count == 0 && Changes.Count == 0;
}

/// <summary>The field changed in this save, from <see cref="From"/> (any when null) to <see cref="To"/> (any when null).</summary>
public sealed record ChangeCondition(string Field, string? From = null, string? To = null);

/// <summary>Action kinds, as stored.</summary>
public static class ActionKinds
{
    public const string AssignOwner = "assignOwner";
    public const string SetFields = "setFields";
    public const string CreateTask = "createTask";
    public const string CreateRelated = "createRelated";
    public const string UpdateRelated = "updateRelated";
    public const string MoveToPool = "moveToPool";
    public const string Notify = "notify";
    /// <summary>Stages a signed <c>rule.called</c> delivery to one webhook of the workspace (not part of templates).</summary>
    public const string CallWebhook = "callWebhook";

    public static readonly string[] All = [AssignOwner, SetFields, CreateTask, CreateRelated, UpdateRelated, MoveToPool, Notify, CallWebhook];
}

/// <summary>How <see cref="ActionKinds.AssignOwner"/> picks the owner.</summary>
public static class AssignModes
{
    public const string Fixed = "fixed";
    public const string RoundRobin = "roundRobin";
    public const string Weighted = "weighted";
    public const string LeastOpen = "leastOpen";

    public static readonly string[] All = [Fixed, RoundRobin, Weighted, LeastOpen];
}

/// <summary>
/// One step of a rule; which properties count depends on <see cref="Kind"/>:
/// <list type="bullet">
/// <item>assignOwner: <see cref="Mode"/>, <see cref="Users"/> (member ids), <see cref="Roles"/>, <see cref="Departments"/>, <see cref="Weights"/> (weighted, same order as users);</item>
/// <item>setFields / createRelated / updateRelated: <see cref="Values"/>, field key → a constant, "$me", "$today+N",
/// "{other_field}" or "$owner"; createRelated: <see cref="Entity"/> and the lookup <see cref="Field"/> on it that points
/// back; updateRelated: the lookup <see cref="Field"/> of this record;</item>
/// <item>createTask: <see cref="Text"/> (with {field} placeholders), <see cref="Assignee"/> ("owner", "$me" or a member id),
/// <see cref="DueDays"/>/<see cref="DueHours"/>;</item>
/// <item>moveToPool: <see cref="Pool"/> (the pool's key);</item>
/// <item>notify: <see cref="Users"/>, and the owner when <see cref="Assignee"/> is "owner"; <see cref="Text"/> the message;</item>
/// <item>callWebhook: <see cref="Webhook"/> (the id of an enabled webhook of the workspace).</item>
/// </list>
/// </summary>
public sealed record RuleAction
{
    public string Kind { get; init; } = ActionKinds.AssignOwner;
    public string? Mode { get; init; }
    public List<Guid> Users { get; init; } = [];
    /// <summary>assignOwner and notify: roles (ids) whose holders take part, resolved when the rule runs (templates
    /// cannot know user ids). Round robin goes over <see cref="Users"/>, then these members, skipping inactive ones.</summary>
    public List<Guid> Roles { get; init; } = [];
    /// <summary>assignOwner and notify: departments (ids) whose members, sub-departments included, take part.</summary>
    public List<Guid> Departments { get; init; } = [];
    public List<int> Weights { get; init; } = [];
    public Dictionary<string, string> Values { get; init; } = [];
    public string? Text { get; init; }
    public string? Assignee { get; init; }
    public int? DueDays { get; init; }
    public int? DueHours { get; init; }
    public string? Entity { get; init; }
    public string? Field { get; init; }
    public string? Pool { get; init; }
    /// <summary>callWebhook: the webhook subscription's id.</summary>
    public Guid? Webhook { get; init; }
}

/// <summary>One run of a rule on a record: what triggered it, whether the conditions held, what each action did.</summary>
public sealed class AutomationRun : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RuleId { get; set; }
    public Guid RecordId { get; set; }
    public string Trigger { get; set; } = "";
    public DateTime At { get; set; } = DateTime.UtcNow;
    public int Depth { get; set; }
    public bool ConditionsMet { get; set; }
    /// <summary>Every action ran without error (true when the conditions did not hold: nothing failed).</summary>
    public bool Succeeded { get; set; }
    public List<ActionOutcome> Outcomes { get; set; } = [];
    /// <summary>Why the run did not happen at all (the depth limit), else null.</summary>
    public string? Error { get; set; }
}

/// <summary>What one action did: <see cref="Status"/> "done", "skipped", "failed" or "unavailable", and a readable note.</summary>
public sealed record ActionOutcome(int Index, string Kind, string Status, string? Message = null);

/// <summary>
/// The claim of one firing of a time-based rule: (rule, subject, occurrence) is unique, and the row is inserted in
/// the transaction that runs the actions, so two workers racing fire it once. The subject is the record, or the task
/// for "before a task is due"; <see cref="Anchor"/> is the moment the delay counts from (last activity, stage
/// entered, due time), so a later occurrence (a new activity, another stage) fires again.
/// </summary>
public sealed class AutomationFiring : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid RuleId { get; set; }
    public Guid SubjectId { get; set; }
    public string Occurrence { get; set; } = "";
    public DateTime? Anchor { get; set; }
    public DateTime At { get; set; } = DateTime.UtcNow;
}
