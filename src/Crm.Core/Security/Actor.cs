using Crm.Core.Tenancy;

namespace Crm.Core.Security;

/// <summary>
/// Who is acting, in which workspace, with which role: resolved once per request or circuit. <see cref="Role"/> is
/// the role when the actor was built; writes check the current one with <see cref="CurrentRights"/>.
/// </summary>
public sealed record Actor(Guid UserId, string DisplayName, TenantInfo Tenant, MemberRole Role)
{
    public Guid TenantId => Tenant.Id;

    /// <summary>A signed-in member, or an API key acting on behalf of its creator (<see cref="ApiKeyId"/> set).</summary>
    public ActorKind Kind => ApiKeyId is null ? ActorKind.Member : ActorKind.ApiKey;

    public bool CanEdit => Role.CanEditRecords();
    public bool CanAdminister => Role.CanAdminister();

    /// <summary>Set when the actor is an API key, acting on behalf of its creator (<see cref="UserId"/>); keys may not manage keys.</summary>
    public Guid? ApiKeyId { get; init; }

    /// <summary>Where the actor acts from (IP address, user agent), for the audit log; null where there is no request.</summary>
    public RequestOrigin? Origin { get; init; }

    /// <summary>Throws <see cref="ForbiddenException"/> unless the actor has at least <paramref name="minimum"/>.</summary>
    public void Require(MemberRole minimum)
    {
        if (!Role.IsAtLeast(minimum)) throw new ForbiddenException(minimum);
    }
}

public enum ActorKind
{
    Member,
    ApiKey,
}

/// <summary>
/// Refused for lack of role, or because the actor is no longer a member of the workspace. The UI shows a
/// localized message; HTTP endpoints answer 403.
/// </summary>
public sealed class ForbiddenException : Exception
{
    public ForbiddenException(MemberRole required, bool noLongerMember = false)
        : base(noLongerMember ? "You are no longer a member of this workspace." : $"This needs the {required} role or higher.")
        => (Required, NoLongerMember) = (required, noLongerMember);

    /// <summary>A refusal by data permissions (the record is outside the actor's scope), with a localized message.</summary>
    public ForbiddenException(string message) : base(message) => (Required, IsRecordScope) = (MemberRole.Member, true);

    public MemberRole Required { get; }
    public bool NoLongerMember { get; }
    /// <summary>Refused by the record's data scope (<see cref="Exception.Message"/> is for the user), not by the role.</summary>
    public bool IsRecordScope { get; }
}

/// <summary>The actor of the current request or circuit (circuit-scoped in Blazor Server, like the tenant).</summary>
public interface IActorAccessor
{
    Actor? Current { get; }
    Actor Required => Current ?? throw new ForbiddenException(MemberRole.Viewer);
    void Set(Actor? actor);
}

public sealed class ActorHolder : IActorAccessor
{
    public Actor? Current { get; private set; }
    public void Set(Actor? actor) => Current = actor;
}
