using System.Globalization;
using Crm.Core.Notifications;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;

namespace Crm.Core.Tests.Notifications;

/// <summary>Storing notifications (members only), the bell's count, read marks and e-mail preferences; both databases.</summary>
public class NotificationServiceTests
{
    public NotificationServiceTests() => CultureInfo.CurrentUICulture = new CultureInfo("en");

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Notifications_reach_members_only_and_the_bell_counts_unread(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var service = ws.Get<NotificationService>();
        var member = await ws.MemberAsync(MemberRole.Member);
        var outsider = await ws.Database.CreateUserAsync();
        var events = new List<NotificationEvent>();
        using var _ = ws.Get<NotificationEvents>().Subscribe(ws.Tenant.Id, events.Add);

        await service.NotifyAsync(ws.Tenant.Id, new NotificationRequest([member.UserId, outsider.Id, member.UserId], "rule", "Hello", "Body"));
        await service.NotifyAsync(ws.Tenant.Id, new NotificationRequest([member.UserId], NotificationKinds.TaskDue, "Second"));

        Assert.Equal(2, await service.UnreadCountAsync(member));
        await using (var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id))
            Assert.Equal(0, await db.Notifications.CountAsync(n => n.UserId == outsider.Id));
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal([member.UserId], e.UserIds));

        var list = await service.ListAsync(member);
        Assert.Equal(["Second", "Hello"], list.Select(n => n.Title));
        Assert.True(await service.MarkReadAsync(member, list[1].Id));
        Assert.False(await service.MarkReadAsync(ws.Owner, list[0].Id)); // not the owner's
        Assert.Equal(1, await service.UnreadCountAsync(member));
        Assert.Equal(1, await service.MarkAllReadAsync(member));
        Assert.Equal(0, await service.UnreadCountAsync(member));
        Assert.Equal(2, (await service.ListAsync(member)).Count);

        var bad = await Assert.ThrowsAsync<ArgumentException>(() => service.NotifyAsync(ws.Tenant.Id, new NotificationRequest([member.UserId], "rule", " ")));
        Assert.Equal("request", bad.ParamName);
        Assert.StartsWith("A notification needs a title.", bad.Message);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Another_workspace_does_not_see_the_notifications(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var (user, member) = await ws.Database.CreateMemberAsync(ws.Tenant, MemberRole.Member);
        await ws.Get<NotificationService>().NotifyAsync(ws.Tenant.Id, new NotificationRequest([member.UserId], "rule", "Mine"));
        var other = await ws.Database.CreateTenantAsync();
        var there = await ws.Database.AddMemberAsync(other, user, MemberRole.Member);
        Assert.Equal(0, await ws.Get<NotificationService>().UnreadCountAsync(there));
        Assert.Equal(1, await ws.Get<NotificationService>().UnreadCountAsync(member));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Email_preferences_keep_known_kinds_and_refuse_unknown_ones(string provider)
    {
        await using var ws = await Workspace.CreateAsync(provider);
        var service = ws.Get<NotificationService>();
        Assert.Empty(await service.EmailKindsAsync(ws.Owner.UserId));
        await service.SetEmailKindsAsync(ws.Owner.UserId, [NotificationKinds.PoolReturnSoon, NotificationKinds.TaskDue]);
        Assert.Equal([NotificationKinds.TaskDue, NotificationKinds.PoolReturnSoon], await service.EmailKindsAsync(ws.Owner.UserId));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => service.SetEmailKindsAsync(ws.Owner.UserId, ["spam"]));
        Assert.StartsWith("Unknown notification kind \"spam\".", e.Message);
        Assert.Equal("kinds", e.ParamName);
    }
}
