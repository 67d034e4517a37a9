using Crm.Core.Accounts;
using Crm.Core.Security;
using Crm.Core.Tenancy;

namespace Crm.Web.Api;

public static class WorkspaceApi
{
    public sealed record InviteRequest(string Email, MemberRole Role);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/workspace", (IActorAccessor actors) =>
        {
            var a = actors.Required;
            return Results.Ok(new { id = a.TenantId, identifier = a.Tenant.Identifier, name = a.Tenant.Name, role = a.Role.ToString() });
        });

        api.MapGet("/members", async (IActorAccessor actors, MembershipService members, CancellationToken ct)
            => Results.Ok(await members.GetMembersAsync(actors.Required, ct)));

        api.MapGet("/invitations", async (IActorAccessor actors, InvitationService invitations, CancellationToken ct)
            => Results.Ok(await invitations.ListAsync(actors.Required, ct)));

        api.MapPost("/invitations", async (InviteRequest body, IActorAccessor actors, InvitationService invitations, CancellationToken ct) =>
        {
            var errors = new ValidationErrors();
            if (string.IsNullOrWhiteSpace(body.Email) || !System.Net.Mail.MailAddress.TryCreate(body.Email.Trim(), out _)) errors.Add("email", "A valid e-mail address is required.");
            if (!Enum.IsDefined(body.Role)) errors.Add("role", "Unknown role.");
            if (!errors.IsEmpty) throw new ApiValidationException(errors);
            var (invitation, token) = await invitations.CreateAsync(actors.Required, body.Email, body.Role, ct);
            return Results.Created($"invitations/{invitation.Id}", new { invitation.Id, invitation.Email, role = invitation.Role.ToString(), token, invitation.ExpiresAt });
        });

        // Typed index copies of custom fields (Records.IndexSlots): compare with the JSON, or repair (administrators).
        api.MapPost("/admin/index-copies/{action:regex(^(check|rebuild)$)}", async (string action, IActorAccessor actors, Crm.Core.Data.ICrmDbContextFactory factory,
            Crm.Core.Metadata.MetadataStore store, CancellationToken ct)
            => Results.Ok(await Crm.Core.Records.IndexCopyService.RunForAdminAsync(factory, store, actors.Required, action == "rebuild", ct)));

        api.MapDelete("/invitations/{id:guid}", async (Guid id, IActorAccessor actors, InvitationService invitations, CancellationToken ct) =>
        {
            await invitations.RevokeAsync(actors.Required, id, ct);
            return Results.NoContent();
        });
    }
}
