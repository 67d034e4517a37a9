using Bunit;
using Crm.Core;
using Crm.Core.Metadata;
using Crm.Core.Notifications;
using Crm.Core.Pools;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Crm.Web.Components.Notifications;
using Crm.Web.Components.Pages.Tenant.Notifications;
using Crm.Web.Components.Pages.Tenant.Pools;
using Crm.Web.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Crm.Web.Tests.Components.Notifications;

/// <summary>The bell (live unread count), the notification centre and the pool page, on both databases.</summary>
public class NotificationAndPoolPageTests
{
    private static async Task<(Workspace Ws, ComponentTestContext Context)> ArrangeAsync(string provider, string culture = "en")
    {
        var ws = await Workspace.CreateAsync(provider);
        await ws.InstallAsync("leads_opportunities");
        var context = new ComponentTestContext(culture, services =>
        {
            services.AddLogging();
            services.AddCrmCore(ws.Database.Provider, ws.Database.ConnectionString);
        });
        context.Bunit.Render<MudPopoverProvider>();
        return (ws, context);
    }

    private static T Get<T>(ComponentTestContext c) where T : notnull => c.Bunit.Services.GetRequiredService<T>();

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_bell_counts_unread_live_and_the_centre_marks_read_and_links_to_the_record(string provider)
    {
        var (ws, context) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        var me = await ws.MemberAsync(MemberRole.Member);
        var session = new TenantSession(ws.Tenant, me);
        var lead = await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("name", "Bell lead"), ("source", "website")));
        var metadata = await ws.MetadataAsync();
        var notifications = Get<NotificationService>(context);

        var bell = context.Bunit.Render<NotificationBell>(p => p.AddCascadingValue(session));
        Assert.Empty(bell.FindAll("[data-testid=notification-count]"));
        await notifications.NotifyAsync(ws.Tenant.Id, new NotificationRequest([me.UserId], NotificationKinds.PoolAssigned, "Assigned to you", null, lead.Record!.Id, metadata.Entity("lead")!.Entity.Id));
        await notifications.NotifyAsync(ws.Tenant.Id, new NotificationRequest([me.UserId], NotificationKinds.TaskDue, "Task due"));
        bell.WaitForAssertion(() => Assert.Equal("2", bell.Find("[data-testid=notification-count]").TextContent.Trim()));

        var centre = context.Bunit.Render<NotificationCentre>(p => p.Add(x => x.Slug, ws.Tenant.Identifier).AddCascadingValue(session));
        centre.WaitForAssertion(() => Assert.Equal("true", centre.Find("#notification-centre").GetAttribute("data-ready")));
        Assert.Equal(["Task due", "Assigned to you"], centre.FindAll(".crm-notification-title").Select(e => e.TextContent.Trim()));
        Assert.EndsWith($"/r/lead/{lead.Record.Id}", centre.Find("[data-testid=notification-link]").GetAttribute("href"));

        await centre.ClickAsync("[data-testid=notification-link]");
        bell.WaitForAssertion(() => Assert.Equal("1", bell.Find("[data-testid=notification-count]").TextContent.Trim()));
        await centre.ClickAsync("[data-testid=mark-all-read]");
        bell.WaitForAssertion(() => Assert.Empty(bell.FindAll("[data-testid=notification-count]")));
        centre.WaitForAssertion(() => Assert.All(centre.FindAll("[data-notification]"), n => Assert.Equal("true", n.GetAttribute("data-read"))));

        await centre.ChangeAsync("[data-kind='pool.return-soon'] input", true);
        IReadOnlyList<string> kinds = [];
        for (var i = 0; i < 50 && kinds.Count == 0; i++)
        {
            await Task.Delay(100);
            kinds = await notifications.EmailKindsAsync(me.UserId);
        }
        Assert.Equal([NotificationKinds.PoolReturnSoon], kinds);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task The_pool_page_claims_shows_the_limit_refusal_and_admins_assign(string provider)
    {
        var (ws, context) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var __ = context;
        var (pool, errors) = await ws.Get<PoolDefinitions>().SaveAsync(ws.Owner, new PoolDefinition("public_leads", new LocalizedText("线索公海", "Lead pool"), "lead", DailyClaimLimit: 1));
        Assert.NotNull(pool);
        Assert.True(errors.IsEmpty, errors.ToString());
        var ids = new List<Guid>();
        foreach (var name in new[] { "First", "Second", "Third" })
        {
            var lead = await ws.Records.CreateAsync(ws.Owner, "lead", RecordInput.Of(("name", name), ("source", "website")));
            Assert.True(await ws.Get<PoolService>().MoveToPoolAsync(ws.Owner, lead.Record!.Id, "public_leads", "test"));
            ids.Add(lead.Record.Id);
        }
        var me = await ws.MemberAsync(MemberRole.Member);

        var page = context.Bunit.Render<PoolPage>(p => p.Add(x => x.Slug, ws.Tenant.Identifier).AddCascadingValue(new TenantSession(ws.Tenant, me)));
        page.WaitForAssertion(() => Assert.Equal("true", page.Find("#pool-page").GetAttribute("data-ready")));
        Assert.Equal(3, page.FindAll("[data-record]").Count);
        Assert.Empty(page.FindAll("[data-testid=assign-selected]")); // a member cannot assign
        Assert.Contains("You can claim 1 more today (limit 1)", page.Find("[data-testid=pool-left]").TextContent);

        await page.ClickAsync($"[data-record='{ids[0]}'] [data-testid=claim]");
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-record]").Count));
        Assert.Equal(me.UserId, (await ws.Records.GetAsync(ws.Owner, ids[0]))!.OwnerId);

        await page.ClickAsync($"[data-record='{ids[1]}'] [data-testid=claim]");
        page.WaitForAssertion(() => Assert.Contains("Daily claim limit reached", page.Find("[data-testid=pool-refusals]").TextContent));
        Assert.Equal(2, page.FindAll("[data-record]").Count);

        // The owner (a workspace admin) assigns the selected record to the member... who is at the limit too.
        var admin = context.Bunit.Render<PoolPage>(p => p.Add(x => x.Slug, ws.Tenant.Identifier).Add(x => x.PoolId, pool.Id).AddCascadingValue(new TenantSession(ws.Tenant, ws.Owner)));
        admin.WaitForAssertion(() => Assert.Equal("true", admin.Find("#pool-page").GetAttribute("data-ready")));
        Assert.Single(admin.FindAll("[data-testid=assign-selected]"));
        var assigned = await Get<PoolService>(context).AssignAsync(ws.Owner, pool.Id, [ids[2]], ws.Owner.UserId);
        Assert.True(assigned.Succeeded);
        admin.WaitForAssertion(() => Assert.Single(admin.FindAll("[data-record]")));
    }
}
