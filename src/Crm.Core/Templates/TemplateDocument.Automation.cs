using Crm.Core.Automation;
using Crm.Core.Metadata;

namespace Crm.Core.Templates;

// Rules and pools in the template format. A template cannot know user ids: people are named by role key or
// department key (resolved when the rule runs or the pool is used), or as "$installer", the admin who installs it.

/// <summary>An automation rule: when <see cref="Trigger"/> happens to a record of <see cref="Entity"/> and the
/// <see cref="Conditions"/> hold, the <see cref="Actions"/> run in order.</summary>
public sealed class TemplateRule
{
    public string Key { get; set; } = "";
    public LocalizedText Name { get; set; } = LocalizedText.Same("");
    /// <summary>Key of the entity type the rule acts on.</summary>
    public string Entity { get; set; } = "";
    /// <summary>Installed enabled unless false.</summary>
    public bool? Enabled { get; set; }
    /// <summary>kind: created, updated (fields), stageEntered / statusChanged (from, to), afterDate (field, days),
    /// noActivity (days), inStage (days), taskDue (hours), manual.</summary>
    public RuleTrigger Trigger { get; set; } = new();
    /// <summary>List filters joined by match ("all" or "any"), plus "changed from/to" checks.</summary>
    public RuleConditions? Conditions { get; set; }
    public List<TemplateRuleAction> Actions { get; set; } = [];
}

/// <summary>One step of a rule; which properties count depends on <see cref="Kind"/> (as <see cref="RuleAction"/>).</summary>
public sealed class TemplateRuleAction
{
    /// <summary>assignOwner, setFields, createTask, createRelated, updateRelated, moveToPool, notify.</summary>
    public string Kind { get; set; } = "";
    /// <summary>assignOwner: fixed, roundRobin (default), weighted, leastOpen.</summary>
    public string? Mode { get; set; }
    /// <summary>assignOwner, notify: people by name; only "$installer" (the installing admin).</summary>
    public List<string>? Users { get; set; }
    /// <summary>assignOwner, notify: role keys; the active holders take turns.</summary>
    public List<string>? Roles { get; set; }
    /// <summary>assignOwner, notify: department keys; active members (sub-departments included) take turns.</summary>
    public List<string>? Departments { get; set; }
    /// <summary>weighted: one weight per entry of <see cref="Users"/>.</summary>
    public List<int>? Weights { get; set; }
    /// <summary>setFields, createRelated, updateRelated: field key → constant, "$me", "$owner", "$today+N", "{field}".</summary>
    public Dictionary<string, string>? Values { get; set; }
    /// <summary>createTask, notify: the text, with {field} placeholders.</summary>
    public string? Text { get; set; }
    /// <summary>createTask: "owner" (default), "$me" or "$installer"; notify: "owner" adds the record's owner.</summary>
    public string? Assignee { get; set; }
    public int? DueDays { get; set; }
    public int? DueHours { get; set; }
    /// <summary>createRelated: key of the entity type to create.</summary>
    public string? Entity { get; set; }
    /// <summary>createRelated: the lookup on the new record pointing back; updateRelated: the lookup of this record.</summary>
    public string? Field { get; set; }
    /// <summary>moveToPool: key of a pool of the rule's entity type.</summary>
    public string? Pool { get; set; }
}

/// <summary>A lead or customer pool (公海 / 线索池) of one entity type.</summary>
public sealed class TemplatePool
{
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public string Entity { get; set; } = "";
    public int? DailyClaimLimit { get; set; }
    public int? ReclaimCooldownDays { get; set; }
    /// <summary>Who may claim; every member of the workspace when omitted.</summary>
    public TemplatePoolPeople? Members { get; set; }
    /// <summary>Who may assign records of the pool (workspace admins always may).</summary>
    public TemplatePoolPeople? Admins { get; set; }
    public List<TemplatePoolReturn>? ReturnRules { get; set; }
}

public sealed class TemplatePoolPeople
{
    public List<string>? Roles { get; set; }
    public List<string>? Departments { get; set; }
    /// <summary>Only "$installer".</summary>
    public List<string>? Users { get; set; }
}

/// <summary>Back to the pool after <see cref="Days"/> days without follow-up (noFollowUp), without a new related
/// record of <see cref="RelatedEntity"/> (noNewRelated) or not won (notWon); the owner is reminded
/// <see cref="ReminderDaysBefore"/> days earlier.</summary>
public sealed class TemplatePoolReturn
{
    public string Kind { get; set; } = "noFollowUp";
    public int Days { get; set; }
    public int? ReminderDaysBefore { get; set; }
    public string? RelatedEntity { get; set; }
    /// <summary>Status option or group keys of records that never go back (e.g. "converted").</summary>
    public List<string>? KeepStatuses { get; set; }
}
