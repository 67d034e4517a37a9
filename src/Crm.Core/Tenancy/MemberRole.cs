namespace Crm.Core.Tenancy;

/// <summary>Roles inside one workspace, from most to least powerful. The numeric order is used for "at least".</summary>
public enum MemberRole
{
    Viewer = 0,
    Member = 1,
    Admin = 2,
    Owner = 3,
}

public static class MemberRoleExtensions
{
    public static bool IsAtLeast(this MemberRole role, MemberRole minimum) => role >= minimum;
    public static bool CanEditRecords(this MemberRole role) => role >= MemberRole.Member;
    public static bool CanAdminister(this MemberRole role) => role >= MemberRole.Admin;
}
