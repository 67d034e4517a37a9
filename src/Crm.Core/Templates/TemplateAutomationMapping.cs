using Crm.Core.Automation;
using Crm.Core.Pools;

namespace Crm.Core.Templates;

/// <summary>
/// People of a workspace by template key: role and department keys ↔ ids, and <see cref="TemplateChecker.Installer"/>
/// ↔ the installing (or exporting) admin. Unknown keys resolve to nothing (the checker has refused them before).
/// </summary>
internal sealed class PeopleKeys(IReadOnlyDictionary<string, Guid> roles, IReadOnlyDictionary<string, Guid> departments, Guid installer)
{
    private readonly Dictionary<Guid, string> _roleKeys = roles.ToDictionary(x => x.Value, x => x.Key);
    private readonly Dictionary<Guid, string> _departmentKeys = departments.ToDictionary(x => x.Value, x => x.Key);

    public Guid Installer => installer;
    public List<Guid> Roles(IEnumerable<string>? keys) => (keys ?? []).Where(roles.ContainsKey).Select(k => roles[k]).ToList();
    public List<Guid> Departments(IEnumerable<string>? keys) => (keys ?? []).Where(departments.ContainsKey).Select(k => departments[k]).ToList();
    public List<Guid> Users(IEnumerable<string>? users) => (users ?? []).Where(u => u == TemplateChecker.Installer).Select(_ => installer).Distinct().ToList();
    public List<string>? RoleKeys(IEnumerable<Guid> ids) => ids.Where(_roleKeys.ContainsKey).Select(id => _roleKeys[id]).ToList() is { Count: > 0 } k ? k : null;
    public List<string>? DepartmentKeys(IEnumerable<Guid> ids) => ids.Where(_departmentKeys.ContainsKey).Select(id => _departmentKeys[id]).ToList() is { Count: > 0 } k ? k : null;
}

/// <summary>Rules and pools between the template format and the stored model.</summary>
internal static class TemplateAutomationMapping
{
    public static List<RuleAction> Actions(TemplateRule r, PeopleKeys people) => r.Actions.Select(a => new RuleAction
    {
        Kind = a.Kind,
        Mode = a.Mode,
        Users = people.Users(a.Users),
        Roles = people.Roles(a.Roles),
        Departments = people.Departments(a.Departments),
        Weights = a.Weights?.ToList() ?? [],
        Values = a.Values?.ToDictionary() ?? [],
        Text = a.Text,
        Assignee = a.Assignee == TemplateChecker.Installer ? people.Installer.ToString() : a.Assignee,
        DueDays = a.DueDays,
        DueHours = a.DueHours,
        Entity = a.Entity,
        Field = a.Field,
        Pool = a.Pool,
    }).ToList();

    public static RuleConditions Conditions(TemplateRule r) => r.Conditions ?? new RuleConditions();

    /// <summary>The stored rule as a template rule. Only the exporting admin can be named ("$installer"): other users
    /// are left out, and a rule that loses people that way is exported disabled for the importing admin to review.</summary>
    public static TemplateRule Rule(AutomationRule rule, string entityKey, PeopleKeys people)
    {
        var lossy = false;
        var actions = new List<TemplateRuleAction>();
        foreach (var a in rule.Actions)
        {
            // Webhooks are not template data: the call is left out and the rule exported disabled for review.
            if (a.Kind == ActionKinds.CallWebhook) { lossy = true; continue; }
            var users = a.Users.Where(u => u == people.Installer).Select(_ => TemplateChecker.Installer).Distinct().ToList();
            lossy |= users.Count != a.Users.Distinct().Count();
            var assignee = a.Assignee;
            if (Guid.TryParse(assignee, out var g))
            {
                if (g == people.Installer) assignee = TemplateChecker.Installer;
                else { assignee = "owner"; lossy = true; }
            }
            var weights = a.Mode == AssignModes.Weighted ? a.Users.Select((u, i) => (u, i)).Where(x => x.u == people.Installer).Select(x => a.Weights.ElementAtOrDefault(x.i)).ToList() : a.Weights;
            actions.Add(new TemplateRuleAction
            {
                Kind = a.Kind,
                Mode = a.Mode,
                Users = users.Count > 0 ? users : null,
                Roles = people.RoleKeys(a.Roles),
                Departments = people.DepartmentKeys(a.Departments),
                Weights = weights.Count > 0 ? weights : null,
                Values = a.Values.Count > 0 ? a.Values.ToDictionary() : null,
                Text = a.Text,
                Assignee = assignee,
                DueDays = a.DueDays,
                DueHours = a.DueHours,
                Entity = a.Entity,
                Field = a.Field,
                Pool = a.Pool,
            });
        }
        foreach (var a in actions.Where(a => a.Kind == ActionKinds.AssignOwner && a.Users is null && a.Roles is null && a.Departments is null))
        {
            a.Users = [TemplateChecker.Installer];
            a.Weights = null;
        }
        foreach (var a in actions.Where(a => a.Kind == ActionKinds.Notify && a.Assignee != "owner" && a.Users is null && a.Roles is null && a.Departments is null))
            a.Users = [TemplateChecker.Installer];
        return new TemplateRule
        {
            Key = rule.Key,
            Name = rule.Name,
            Entity = entityKey,
            Enabled = rule.IsEnabled && !lossy ? null : false,
            Trigger = rule.Trigger,
            Conditions = rule.Conditions.IsEmpty && rule.Conditions.Match == "all" ? null : rule.Conditions,
            Actions = actions,
        };
    }

    // ------------------------------------------------------------------ pools

    public static PoolReturnKind ReturnKind(string kind) => kind switch
    {
        "noNewRelated" => PoolReturnKind.NoNewRelated,
        "notWon" => PoolReturnKind.NotWon,
        _ => PoolReturnKind.NoFollowUp,
    };

    public static string ReturnKind(PoolReturnKind kind) => kind switch
    {
        PoolReturnKind.NoNewRelated => "noNewRelated",
        PoolReturnKind.NotWon => "notWon",
        _ => "noFollowUp",
    };

    /// <summary>The stored settings of a template pool (everything but identity and order).</summary>
    public sealed record PoolSettings(int? DailyClaimLimit, int? ReclaimCooldownDays, bool EveryoneIsMember, List<Guid> Members, List<Guid> Admins, PoolGroups Groups, List<PoolReturnRule> ReturnRules);

    public static PoolSettings Settings(TemplatePool p, PeopleKeys people) => new(
        p.DailyClaimLimit,
        p.ReclaimCooldownDays,
        p.Members is null,
        people.Users(p.Members?.Users),
        people.Users(p.Admins?.Users),
        new PoolGroups
        {
            MemberRoles = people.Roles(p.Members?.Roles),
            MemberDepartments = people.Departments(p.Members?.Departments),
            AdminRoles = people.Roles(p.Admins?.Roles),
            AdminDepartments = people.Departments(p.Admins?.Departments),
        },
        (p.ReturnRules ?? []).Select(r => new PoolReturnRule(ReturnKind(r.Kind), r.Days, r.ReminderDaysBefore, r.Kind == "noNewRelated" ? r.RelatedEntity : null,
            r.KeepStatuses is { Count: > 0 } keep ? [.. keep] : null)).ToList());

    public static PoolSettings Settings(Pool p) => new(p.DailyClaimLimit, p.ReclaimCooldownDays, p.EveryoneIsMember, p.Members, p.Admins, p.Groups, p.ReturnRules);

    public static void Apply(Pool pool, PoolSettings s)
    {
        pool.DailyClaimLimit = s.DailyClaimLimit;
        pool.ReclaimCooldownDays = s.ReclaimCooldownDays;
        pool.EveryoneIsMember = s.EveryoneIsMember;
        pool.Members = [.. s.Members];
        pool.Admins = [.. s.Admins];
        pool.Groups = s.Groups;
        pool.ReturnRules = [.. s.ReturnRules];
    }

    public static TemplatePool Pool(Pool pool, string entityKey, PeopleKeys people)
    {
        TemplatePoolPeople? People(List<Guid> users, List<Guid> roles, List<Guid> departments)
        {
            var named = users.Contains(people.Installer) ? new List<string> { TemplateChecker.Installer } : null;
            var result = new TemplatePoolPeople { Users = named, Roles = people.RoleKeys(roles), Departments = people.DepartmentKeys(departments) };
            return result.Users is null && result.Roles is null && result.Departments is null ? null : result;
        }
        var members = pool.EveryoneIsMember ? null : People(pool.Members, pool.Groups.MemberRoles, pool.Groups.MemberDepartments)
            ?? new TemplatePoolPeople { Users = [TemplateChecker.Installer] };
        return new TemplatePool
        {
            Key = pool.Key,
            Label = pool.Label,
            Entity = entityKey,
            DailyClaimLimit = pool.DailyClaimLimit,
            ReclaimCooldownDays = pool.ReclaimCooldownDays,
            Members = members,
            Admins = People(pool.Admins, pool.Groups.AdminRoles, pool.Groups.AdminDepartments),
            ReturnRules = pool.ReturnRules.Count == 0 ? null : pool.ReturnRules.Select(r => new TemplatePoolReturn
            {
                Kind = ReturnKind(r.Kind), Days = r.Days, ReminderDaysBefore = r.ReminderDaysBefore, RelatedEntity = r.RelatedEntity,
                KeepStatuses = r.KeepStatuses is { Count: > 0 } keep ? [.. keep] : null,
            }).ToList(),
        };
    }
}
