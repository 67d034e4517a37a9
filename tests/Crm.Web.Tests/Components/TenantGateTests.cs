using System.Security.Claims;
using Bunit;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Shared;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Components;

/// <summary>
/// An open page of a member whose role changes learns of it without a reload: the gate re-cascades the session
/// with the new role (edit buttons go), and a removed member is shown the 403 page instead of the workspace.
/// </summary>
public class TenantGateTests
{
    /// <summary>Stands in for a page: shows whether the cascaded session may edit.</summary>
    private sealed class RoleProbe : ComponentBase
    {
        [CascadingParameter] public TenantSession? Session { get; set; }

        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            builder.OpenElement(0, "span");
            builder.AddAttribute(1, "id", "probe");
            builder.AddContent(2, Session is null ? "no-session" : Session.Actor.CanEdit ? "can-edit" : "read-only");
            builder.CloseElement();
        }
    }

    private sealed class SignedIn(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    private static async Task<(ComponentTestContext Context, IRenderedComponent<TenantGate> Gate, Workspace Ws, Guid MemberId)> OpenPageAsync(string provider)
    {
        var ws = await Workspace.CreateAsync(provider);
        var member = await ws.MemberAsync(MemberRole.Member);
        var database = ws.Database;
        var context = new ComponentTestContext("en", services =>
        {
            services.AddLogging();
            services.AddCrmCore(database.Provider, database.ConnectionString);
            // The page and the admin share one notifier, as two circuits of one app instance do.
            services.AddSingleton(ws.Get<Crm.Core.Security.IMembershipChanges>());
            services.AddScoped<TenantAccess>();
            var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, member.UserId.ToString())], "test"));
            services.AddSingleton<AuthenticationStateProvider>(new SignedIn(user));
            services.AddCascadingAuthenticationState();
        });
        context.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo($"/t/{ws.Tenant.Identifier}/records/company");
        var gate = context.Bunit.Render<TenantGate>(p => p
            .Add(g => g.RouteData, new RouteData(typeof(RoleProbe), new Dictionary<string, object?>()))
            .Add(g => g.ChildContent, (RenderFragment)(b => { b.OpenComponent<RoleProbe>(0); b.CloseComponent(); })));
        gate.WaitForAssertion(() => Assert.Equal("can-edit", gate.Find("#probe").TextContent));
        return (context, gate, ws, member.UserId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_open_page_turns_read_only_when_its_member_is_demoted(string provider)
    {
        var (context, gate, ws, memberId) = await OpenPageAsync(provider);
        await using var _ = context;
        await using var __ = ws;

        await ws.Get<MembershipService>().ChangeRoleAsync(ws.Owner, memberId, MemberRole.Viewer);

        gate.WaitForAssertion(() => Assert.Equal("read-only", gate.Find("#probe").TextContent));
        var notice = Assert.Single(context.Bunit.Services.GetRequiredService<MudBlazor.ISnackbar>().ShownSnackbars);
        Assert.Equal("Your role in this workspace is now Viewer. The page shows what this role may do.", notice.Message);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_open_page_is_told_when_its_members_custom_roles_change_and_keeps_the_role(string provider)
    {
        var (context, gate, ws, memberId) = await OpenPageAsync(provider);
        await using var _ = context;
        await using var __ = ws;
        var roles = ws.Get<Crm.Core.Permissions.RoleService>();
        var role = (await roles.CreateAsync(ws.Owner, Crm.Core.Metadata.LocalizedText.Same("销售"))).Id!.Value;

        await roles.AssignAsync(ws.Owner, role, memberId);

        gate.WaitForAssertion(() =>
        {
            var notice = Assert.Single(context.Bunit.Services.GetRequiredService<MudBlazor.ISnackbar>().ShownSnackbars);
            Assert.Equal("An admin changed what you may see and do here. The page shows your current access.", notice.Message);
        });
        Assert.Equal("can-edit", gate.Find("#probe").TextContent);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_open_page_shows_no_access_when_its_member_is_removed(string provider)
    {
        var (context, gate, ws, memberId) = await OpenPageAsync(provider);
        await using var _ = context;
        await using var __ = ws;

        await ws.Get<MembershipService>().RemoveAsync(ws.Owner, memberId);

        gate.WaitForAssertion(() =>
        {
            Assert.Empty(gate.FindAll("#probe"));
            Assert.NotNull(gate.Find("[data-status='403']"));
        });
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Changes_of_another_member_leave_the_page_alone(string provider)
    {
        var (context, gate, ws, _) = await OpenPageAsync(provider);
        await using var __ = context;
        await using var ___ = ws;
        var other = await ws.MemberAsync(MemberRole.Member);

        await ws.Get<MembershipService>().RemoveAsync(ws.Owner, other.UserId);

        Assert.Equal("can-edit", gate.Find("#probe").TextContent);
    }
}
