using Bunit;
using Crm.Core;
using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>The danger zone of the workspace settings: only the Owner sees it; the dialog says what goes, refuses a
/// wrong slug with the server's message and deletes on the exact one.</summary>
public class WorkspaceDangerZoneTests
{
    [Theory]
    [InlineData(Providers.Sqlite, "en", "is not this workspace's address", "Audit log")]
    [InlineData(Providers.Postgres, "zh-CN", "不是本工作区的地址", "审计日志")]
    public async Task The_owner_deletes_the_workspace_by_typing_its_slug(string provider, string culture, string mismatch, string auditLine)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await using var context = Context(ws, culture);
        var session = new TenantSession(ws.Tenant, ws.Owner);
        context.Bunit.Render<MudPopoverProvider>(p => p.AddCascadingValue(session));
        var dialogs = context.Bunit.Render<MudDialogProvider>(p => p.AddCascadingValue(session));
        var page = Page(context, session, ws);

        // The click's handler awaits the dialog's result: it completes when the dialog closes.
        var opened = page.ClickAsync("#workspace-delete");
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find("#workspace-delete-dialog")));
        Assert.Contains(auditLine, dialogs.Find("[data-testid=workspace-delete-list]").TextContent, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(4, dialogs.FindAll("[data-testid=workspace-delete-list] li").Count);
        Assert.Contains($"/t/{ws.Tenant.Identifier}/templates", dialogs.Markup);

        await dialogs.InputAsync("#workspace-delete-confirm", ws.Tenant.Identifier + "x");
        await dialogs.ClickAsync("#workspace-delete-confirm-button");
        dialogs.WaitForAssertion(() => Assert.Contains(mismatch, dialogs.Find("#workspace-delete-dialog").TextContent));
        Assert.Null(await DeletedAtAsync(ws));

        await dialogs.InputAsync("#workspace-delete-confirm", ws.Tenant.Identifier);
        await dialogs.ClickAsync("#workspace-delete-confirm-button");
        var nav = context.Bunit.Services.GetRequiredService<NavigationManager>();
        dialogs.WaitForAssertion(() => Assert.EndsWith("/workspaces", nav.Uri));
        await opened.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(await DeletedAtAsync(ws));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_sees_no_danger_zone_and_a_demoted_owner_is_refused(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var admin = await ws.MemberAsync(MemberRole.Admin);
        await using (var context = Context(ws, "en"))
        {
            context.Bunit.Render<MudPopoverProvider>();
            var page = Page(context, new TenantSession(ws.Tenant, admin), ws);
            Assert.Empty(page.FindAll("#workspace-danger-zone"));
        }

        // A page opened as Owner by someone who is only an Admin now: the dialog shows the refusal, nothing is deleted.
        await using (var context = Context(ws, "en"))
        {
            var stale = new TenantSession(ws.Tenant, admin with { Role = MemberRole.Owner });
            context.Bunit.Render<MudPopoverProvider>(p => p.AddCascadingValue(stale));
            var dialogs = context.Bunit.Render<MudDialogProvider>(p => p.AddCascadingValue(stale));
            var page = Page(context, stale, ws);
            var opened = page.ClickAsync("#workspace-delete");
            dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find("#workspace-delete-dialog")));
            await dialogs.InputAsync("#workspace-delete-confirm", ws.Tenant.Identifier);
            await dialogs.ClickAsync("#workspace-delete-confirm-button");
            dialogs.WaitForAssertion(() => Assert.Contains("Only the workspace's owner", dialogs.Find("#workspace-delete-dialog").TextContent));
            await dialogs.ClickAsync("#workspace-delete-cancel");
            await opened.WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Null(await DeletedAtAsync(ws));
    }

    private static ComponentTestContext Context(Workspace ws, string culture) => new(culture, services =>
    {
        services.AddLogging();
        services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        services.AddIdentityCore<ApplicationUser>().AddEntityFrameworkStores<CrmDbContext>();
    });

    private static IRenderedComponent<CascadingValue<TenantSession>> Page(ComponentTestContext context, TenantSession session, Workspace ws)
        => context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, session)
            .AddChildContent<WorkspaceSettingsPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));

    private static async Task<DateTime?> DeletedAtAsync(Workspace ws)
    {
        await using var db = ws.Database.Factory.CreateGlobal();
        return (await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == ws.Tenant.Id)).DeletedAt;
    }
}
