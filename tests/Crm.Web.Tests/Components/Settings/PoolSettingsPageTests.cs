using Bunit;
using Crm.Core;
using Crm.Core.Audit;
using Crm.Core.Metadata;
using Crm.Core.Pools;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Pages.Tenant.Settings;
using Crm.Web.Tenancy;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Settings;

/// <summary>
/// The pool settings page: an admin sees the template's 线索公海, creates a pool (a wrong limit is refused naming the
/// setting, nothing stored), with members, limit, cooldown and a return rule that keeps converted leads, then
/// archives it; each change is in the audit log. A member may not change pools on the server.
/// </summary>
public class PoolSettingsPageTests
{
    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task An_admin_creates_and_archives_a_pool_and_a_wrong_setting_is_refused_naming_it(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities");
        var rep = await ws.MemberAsync(MemberRole.Member);
        await using var context = new ComponentTestContext("zh-CN", services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        var cut = context.Bunit.Render<CascadingValue<TenantSession>>(p => p
            .Add(x => x.Value, new TenantSession(ws.Tenant, ws.Owner))
            .AddChildContent<PoolSettingsPage>(c => c.Add(x => x.Slug, ws.Tenant.Identifier)));
        cut.WaitForAssertion(() => Assert.Contains("线索公海", cut.Find("[data-pool=public_leads]").TextContent));
        Assert.Contains("30 天未跟进后退回", cut.Find("[data-pool=public_leads]").TextContent);

        await cut.ClickAsync("#pool-new");
        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>()[0].Instance.ValueChanged.InvokeAsync("lead"));
        await cut.ChangeAsync("#pool-name-zh", "华东公海");
        await cut.ChangeAsync("#pool-limit", "0");
        await cut.ClickAsync("#pool-save");
        cut.WaitForAssertion(() => Assert.Contains("dailyClaimLimit 必须在 1 到 10000 之间", cut.Find("[data-testid=pool-errors]").TextContent));
        Assert.Contains("dailyClaimLimit 必须在 1 到 10000 之间", cut.Find("[data-testid=pool-editor]").TextContent); // beside the field too
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            Assert.Equal(1, await db.Pools.CountAsync());

        await cut.ChangeAsync("#pool-limit", "5");
        await cut.ChangeAsync("#pool-cooldown", "3");
        await cut.InvokeAsync(() => cut.FindComponent<MudSwitch<bool>>().Instance.ValueChanged.InvokeAsync(false));
        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<Guid>>()[0].Instance.SelectedValuesChanged.InvokeAsync([rep.UserId]));
        await cut.ClickAsync("[data-testid=pool-add-rule]");
        await cut.ChangeAsync("#pool-rule-days-0", "10");
        await cut.ChangeAsync("#pool-rule-remind-0", "2");
        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>()[^1].Instance.SelectedValuesChanged.InvokeAsync(["converted"]));
        await cut.ClickAsync("#pool-save");
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=pool-row]").Count));

        Pool created;
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            created = await db.Pools.AsNoTracking().SingleAsync(p => p.Key != "public_leads");
            Assert.Equal("华东公海", created.Label.ZhCn);
            Assert.Equal((5, 3, false), (created.DailyClaimLimit, created.ReclaimCooldownDays, created.EveryoneIsMember));
            Assert.Equal([rep.UserId], created.Members);
            var rule = Assert.Single(created.ReturnRules);
            Assert.Equal((PoolReturnKind.NoFollowUp, 10, 2), (rule.Kind, rule.Days, rule.ReminderDaysBefore));
            Assert.Equal(["converted"], rule.KeepStatuses!);
            Assert.Equal(created.Id.ToString(), (await db.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == AuditActions.PoolCreated)).TargetId);
        }

        await cut.ClickAsync($"[data-pool={created.Key}] [data-testid=pool-archive]");
        cut.WaitForAssertion(() => Assert.Contains("已归档", cut.Find($"[data-pool={created.Key}]").TextContent));
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
        {
            Assert.True((await db.Pools.AsNoTracking().SingleAsync(p => p.Id == created.Id)).IsArchived);
            Assert.Equal(1, await db.AuditEntries.CountAsync(a => a.Action == AuditActions.PoolArchived && a.TargetId == created.Id.ToString()));
        }

        // Only workspace admins change pools, checked on the server with the rights they have now.
        var pools = ws.Get<PoolDefinitions>();
        await Assert.ThrowsAsync<ForbiddenException>(() => pools.SaveAsync(rep, new PoolDefinition("rep_pool", LocalizedText.Same("私海"), "lead")));
        await Assert.ThrowsAsync<ForbiddenException>(() => pools.ArchiveAsync(rep, created.Id));
        await Assert.ThrowsAsync<ForbiddenException>(() => pools.ListAsync(rep));
    }
}
