using System.Globalization;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;

namespace Crm.Core.Cluster;

/// <summary>
/// What one app instance tells the others: ids, kinds and numbers only (a NOTIFY payload is limited to 8,000
/// bytes and must never carry tenant data). One line of '|'-separated fields, the first naming the kind.
/// </summary>
public static class ClusterMessages
{
    public const string RecordKind = "r";
    public const string ActivityKind = "a";
    public const string MetadataKind = "m";
    public const string MembershipKind = "u";
    public const string TenantKind = "t";

    /// <summary>Activities with more assignees than this are sent without them (the assignees' badges refresh on their next page).</summary>
    public const int MaxAssignees = 50;

    public static string Record(RecordEvent e)
        => Join(RecordKind, G(e.TenantId), G(e.EntityTypeId), G(e.RecordId), ((int)e.Kind).ToString(CultureInfo.InvariantCulture),
            e.Version.ToString(CultureInfo.InvariantCulture), G(e.ByUserId));

    public static string Activity(ActivityEvent e)
        => Join(ActivityKind, G(e.TenantId), G(e.RecordId), G(e.ActivityId), G(e.ByUserId),
            e.Assignees.Count <= MaxAssignees ? string.Join(',', e.Assignees.Select(G)) : "");

    public static string Metadata(Guid tenantId) => Join(MetadataKind, G(tenantId));

    /// <summary>A member's role change, removal or (flag "a") change of rights with the role unchanged.</summary>
    public static string Membership(MembershipChange c)
        => Join(MembershipKind, G(c.TenantId), G(c.UserId), c.NewRole is { } role ? ((int)role).ToString(CultureInfo.InvariantCulture) : "", c.AccessChanged ? "a" : "");

    /// <summary>A workspace's row changed (deleted): other instances drop it from their tenant cache. Id and slug only.</summary>
    public static string Tenant(Guid tenantId, string slug) => Join(TenantKind, G(tenantId), slug);

    /// <summary>Hands a received message to the matching in-process publisher; false for a message it does not know.</summary>
    public static bool Dispatch(string message, ClusterTargets targets)
    {
        var f = message.Split('|');
        try
        {
            switch (f[0])
            {
                case RecordKind when f.Length == 7:
                    targets.Records?.Deliver(new RecordEvent(Guid.Parse(f[1]), Guid.Parse(f[2]), Guid.Parse(f[3]),
                        (RecordEventKind)int.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture), N(f[6])));
                    return true;
                case ActivityKind when f.Length == 6:
                    var assignees = f[5].Length == 0 ? [] : f[5].Split(',').Select(Guid.Parse).ToArray();
                    targets.Activities?.Deliver(new ActivityEvent(Guid.Parse(f[1]), Guid.Parse(f[2]), Guid.Parse(f[3]), N(f[4]), assignees));
                    return true;
                case MetadataKind when f.Length == 2:
                    var tenant = Guid.Parse(f[1]);
                    targets.MetadataStore?.Forget(tenant);
                    targets.Metadata?.Deliver(tenant);
                    return true;
                // Four fields: an instance of a version before the flag (read as a role change).
                case MembershipKind when f.Length is 4 or 5:
                    MemberRole? role = f[3].Length == 0 ? null : (MemberRole)int.Parse(f[3], CultureInfo.InvariantCulture);
                    targets.Memberships?.Deliver(new MembershipChange(Guid.Parse(f[1]), Guid.Parse(f[2]), role) { AccessChanged = f.Length == 5 && f[4] == "a" });
                    return true;
                case TenantKind when f.Length == 3:
                    targets.Tenants?.Invalidate(new TenantInfo { Id = Guid.Parse(f[1]), Identifier = f[2] });
                    return true;
                default:
                    return false;
            }
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Join(params string[] parts) => string.Join('|', parts);
    private static string G(Guid id) => id.ToString("N");
    private static string G(Guid? id) => id?.ToString("N") ?? "";
    private static Guid? N(string s) => s.Length == 0 ? null : Guid.Parse(s);
}

/// <summary>The in-process publishers a received message is delivered to (each optional).</summary>
public sealed record ClusterTargets(
    RecordEvents? Records,
    ActivityEvents? Activities,
    Metadata.MetadataChanges? Metadata,
    Metadata.MetadataStore? MetadataStore,
    InProcessMembershipChanges? Memberships,
    ITenantStore? Tenants = null);
