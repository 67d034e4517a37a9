using Crm.Core.Accounts;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Web.Api;

public static class WorkspaceApi
{
    public sealed record InviteRequest(string Email, MemberRole Role);

    /// <summary>The workspace the call acts in and the caller's role there.</summary>
    public sealed record WorkspaceDto(Guid Id, string Identifier, string Name, string Role);

    /// <summary>A new invitation; <c>token</c> goes into the link the invitee opens (shown this once).</summary>
    public sealed record InvitationCreated(Guid Id, string Email, string Role, string Token, DateTime ExpiresAt);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/workspace", Ok<WorkspaceDto> (IActorAccessor actors) =>
        {
            var a = actors.Required;
            return TypedResults.Ok(new WorkspaceDto(a.TenantId, a.Tenant.Identifier, a.Tenant.Name, a.Role.ToString()));
        });

        api.MapGet("/members", async Task<Ok<IReadOnlyList<MemberSummary>>> (IActorAccessor actors, MembershipService members, CancellationToken ct)
            => TypedResults.Ok(await members.GetMembersAsync(actors.Required, ct)));

        api.MapGet("/invitations", async Task<Ok<IReadOnlyList<InvitationView>>> (IActorAccessor actors, InvitationService invitations, CancellationToken ct)
            => TypedResults.Ok(await invitations.ListAsync(actors.Required, ct)));

        api.MapPost("/invitations", async Task<Created<InvitationCreated>> (InviteRequest body, IActorAccessor actors, InvitationService invitations, CancellationToken ct) =>
        {
            var errors = new ValidationErrors();
            if (string.IsNullOrWhiteSpace(body.Email) || !System.Net.Mail.MailAddress.TryCreate(body.Email.Trim(), out _)) errors.Add("email", "A valid e-mail address is required.");
            if (!Enum.IsDefined(body.Role)) errors.Add("role", "Unknown role.");
            if (!errors.IsEmpty) throw new ApiValidationException(errors);
            var (invitation, token) = await invitations.CreateAsync(actors.Required, body.Email, body.Role, ct);
            return TypedResults.Created($"invitations/{invitation.Id}", new InvitationCreated(invitation.Id, invitation.Email, invitation.Role.ToString(), token, invitation.ExpiresAt));
        });

        // Typed index copies of custom fields (Records.IndexSlots): compare with the JSON, or repair (administrators).
        api.MapPost("/admin/index-copies/{action:regex(^(check|rebuild)$)}", async Task<Ok<Crm.Core.Records.IndexCopyReport>> (string action, IActorAccessor actors, Crm.Core.Data.ICrmDbContextFactory factory,
            Crm.Core.Metadata.MetadataStore store, CancellationToken ct)
            => TypedResults.Ok(await Crm.Core.Records.IndexCopyService.RunForAdminAsync(factory, store, actors.Required, action == "rebuild", ct)));

        api.MapDelete("/invitations/{id:guid}", async Task<NoContent> (Guid id, IActorAccessor actors, InvitationService invitations, CancellationToken ct) =>
        {
            await invitations.RevokeAsync(actors.Required, id, ct);
            return TypedResults.NoContent();
        });
    }
}
