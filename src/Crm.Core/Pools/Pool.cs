using System.Text.Json.Serialization;
using Crm.Core.Metadata;
using Crm.Core.Tenancy;

namespace Crm.Core.Pools;

/// <summary>
/// A lead or customer pool (公海 / 线索池) of one entity type: records in it have no owner; members claim (领取)
/// them within a daily limit, pool admins assign them. Owned records go back automatically by the return rules.
/// Metadata like fields: keyed, installed from templates and exported.
/// </summary>
public sealed class Pool : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid EntityTypeId { get; set; }
    /// <summary>Stable key, unique per entity type (templates and rules name pools by it).</summary>
    public string Key { get; set; } = "";
    public LocalizedText Label { get; set; } = LocalizedText.Same("");
    public int SortOrder { get; set; }
    public bool IsArchived { get; set; }
    /// <summary>How many records one person may claim from this pool per day (workspace time zone); null = no limit.</summary>
    public int? DailyClaimLimit { get; set; }
    /// <summary>Days a previous owner must wait before claiming a record back; null or 0 = no wait.</summary>
    public int? ReclaimCooldownDays { get; set; }
    /// <summary>Every member of the workspace (Member role or higher) may claim; otherwise only <see cref="Members"/>.</summary>
    public bool EveryoneIsMember { get; set; } = true;
    public List<Guid> Members { get; set; } = [];
    /// <summary>May assign records to members. Workspace admins always may.</summary>
    public List<Guid> Admins { get; set; } = [];
    /// <summary>Roles and departments whose members are also members or admins of the pool, resolved when used
    /// (templates name them by key; a new hire in the role is a member at once).</summary>
    public PoolGroups Groups { get; set; } = new();
    /// <summary>When owned records of the entity type go back to this pool (any rule that applies).</summary>
    public List<PoolReturnRule> ReturnRules { get; set; } = [];
    public string? Origin { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

[JsonConverter(typeof(JsonStringEnumConverter<PoolReturnKind>))]
public enum PoolReturnKind
{
    /// <summary>No interaction (call, e-mail, meeting, message) for <see cref="PoolReturnRule.Days"/> days.</summary>
    NoFollowUp,
    /// <summary>No new related record of <see cref="PoolReturnRule.RelatedEntity"/> (e.g. a 商机) for that many days.</summary>
    NoNewRelated,
    /// <summary>Not in a won stage or status that many days after the owner got it.</summary>
    NotWon,
}

/// <summary>
/// "Back to the pool after <see cref="Days"/> days of …", counted from the later of the owner getting the record
/// (created, claimed, assigned) and the last follow-up; <see cref="ReminderDaysBefore"/> days earlier the owner is
/// reminded ("pool.return-soon"). Records whose status is one of <see cref="KeepStatuses"/> (status option keys or
/// group keys, e.g. "converted") never go back: a converted or disqualified lead is done, not forgotten.
/// </summary>
public sealed record PoolReturnRule(PoolReturnKind Kind, int Days, int? ReminderDaysBefore = null, string? RelatedEntity = null, List<string>? KeepStatuses = null)
{
    /// <summary>The status option ids of <see cref="KeepStatuses"/> in <paramref name="entity"/>'s status list (options by key or by group).</summary>
    public List<Guid> KeptStatusIds(Metadata.EntityMeta? entity)
        => KeepStatuses is not { Count: > 0 } keys || entity?.StatusField is not { } field || entity.Owner.StatusList(field.Settings.StatusList) is not { } list ? []
            : list.AllOptions.Where(o => keys.Contains(o.Key) || (o.GroupKey is { } g && keys.Contains(g))).Select(o => o.Id).ToList();
}

/// <summary>Role and department ids (departments with their sub-departments) of a pool's members and admins.</summary>
public sealed record PoolGroups
{
    public List<Guid> MemberRoles { get; init; } = [];
    public List<Guid> MemberDepartments { get; init; } = [];
    public List<Guid> AdminRoles { get; init; } = [];
    public List<Guid> AdminDepartments { get; init; } = [];

    [JsonIgnore] public bool HasMembers => MemberRoles.Count > 0 || MemberDepartments.Count > 0;
    [JsonIgnore] public bool HasAdmins => AdminRoles.Count > 0 || AdminDepartments.Count > 0;
}
