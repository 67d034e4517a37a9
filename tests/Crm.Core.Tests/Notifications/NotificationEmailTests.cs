using System.Globalization;
using Crm.Core.Notifications;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using netDumbster.smtp;

namespace Crm.Core.Tests.Notifications;

/// <summary>E-mail through a local SMTP sink: only when SMTP is configured, only the kinds a person chose, after commit.</summary>
public class NotificationEmailTests
{
    public NotificationEmailTests() => CultureInfo.CurrentUICulture = new CultureInfo("en");

    private static async Task WaitForAsync(Func<bool> done, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!done() && DateTime.UtcNow < until) await Task.Delay(50);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Only_the_chosen_kinds_are_mailed_to_the_person(string provider)
    {
        using var sink = SimpleSmtpServer.Start();
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database, configure: s => s.Configure<SmtpOptions>(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = sink.Configuration.Port;
            o.Security = "None";
            o.From = "crm@example.test";
            o.BaseUrl = "https://crm.example.test";
        }));
        var tenant = await database.CreateTenantAsync();
        var (user, member) = await database.CreateMemberAsync(tenant, MemberRole.Member);
        var (other, otherMember) = await database.CreateMemberAsync(tenant, MemberRole.Member);
        var service = services.GetRequiredService<NotificationService>();
        await service.SetEmailKindsAsync(member.UserId, [NotificationKinds.PoolReturnSoon]);

        await service.NotifyAsync(tenant.Id, new NotificationRequest([member.UserId, otherMember.UserId], NotificationKinds.TaskDue, "Not by mail"));
        await service.NotifyAsync(tenant.Id, new NotificationRequest([member.UserId, otherMember.UserId], NotificationKinds.PoolReturnSoon, "Lead goes back soon", "Follow it up"));

        await WaitForAsync(() => sink.ReceivedEmailCount >= 1, TimeSpan.FromSeconds(10));
        await Task.Delay(300); // anything else queued would have arrived by now
        var mail = Assert.Single(sink.ReceivedEmail);
        Assert.Equal(user.Email, mail.ToAddresses.Single().Address);
        Assert.Equal("Lead goes back soon", mail.Headers["Subject"]);
        Assert.Contains("Follow it up", mail.MessageParts[0].BodyData);
        Assert.Equal(2, await service.UnreadCountAsync(otherMember)); // stored in-app for everyone
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Without_smtp_nothing_is_sent_and_a_dead_server_never_fails_the_notification(string provider)
    {
        var database = await TestDatabase.GetAsync(provider);
        await using var services = CoreServices.Create(database, configure: s => s.Configure<SmtpOptions>(o => { o.Host = "127.0.0.1"; o.Port = 1; o.Security = "None"; }));
        var tenant = await database.CreateTenantAsync();
        var (_, member) = await database.CreateMemberAsync(tenant, MemberRole.Member);
        var service = services.GetRequiredService<NotificationService>();
        await service.SetEmailKindsAsync(member.UserId, [NotificationKinds.Rule]);

        await service.NotifyAsync(tenant.Id, new NotificationRequest([member.UserId], NotificationKinds.Rule, "Still stored"));
        Assert.Equal(1, await service.UnreadCountAsync(member));
        var queue = services.GetRequiredService<NotificationMailQueue>();
        var stored = await service.ListAsync(member);
        await Assert.ThrowsAnyAsync<Exception>(() => queue.SendAsync(tenant.Id, stored));

        await using var off = CoreServices.Create(database);
        Assert.Equal(0, await off.GetRequiredService<NotificationMailQueue>().SendAsync(tenant.Id, stored));
    }
}
