using Crm.Core.Accounts;
using Crm.Testing;
using Crm.Web.Accounts;
using Crm.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Web.Tests.Http;

/// <summary>
/// A sign-in ticket works once, whichever instance redeems it: single use is kept in the database, so a second
/// app on the same database (another instance, or this one after a restart) refuses a ticket already used.
/// </summary>
public class SignInTicketsTests(AppFixture apps) : HttpTestBase(apps)
{
    private const string Complete = "/account/complete-signin?returnUrl=%2Fworkspaces&ticket=";

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task A_ticket_redeemed_on_one_instance_is_refused_by_another_on_the_same_database(string provider)
    {
        var first = await AppAsync(provider);
        await using var second = new CrmAppFactory(first.Database);
        var a = await first.SignUpAsync();
        var ticket = Uri.EscapeDataString(first.Services.GetRequiredService<SignInTickets>().Issue(a.User.Id, remember: false));
        using var onFirst = first.CreateBrowserLikeClient();
        using var onSecond = second.CreateBrowserLikeClient();
        using var replayOnFirst = first.CreateBrowserLikeClient();

        var ok = await onSecond.GetAsync(Complete + ticket);
        var replayElsewhere = await onFirst.GetAsync(Complete + ticket);
        var replaySame = await onSecond.GetAsync(Complete + ticket);

        Assert.Equal("/workspaces", ok.Headers.Location!.OriginalString);
        Assert.Equal("/account/login?expired=1", replayElsewhere.Headers.Location!.OriginalString);
        Assert.Equal("/account/login?expired=1", replaySame.Headers.Location!.OriginalString);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Redeeming_is_atomic_when_many_requests_race_with_one_ticket(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var tickets = app.Services.GetRequiredService<SignInTickets>();
        var ticket = tickets.Issue(a.User.Id, remember: false);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => tickets.RedeemAsync(ticket))));

        Assert.Single(results, r => r is not null);
        Assert.Equal(a.User.Id, results.Single(r => r is not null)!.Value.UserId);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Rows_of_expired_tickets_are_purged(string provider)
    {
        var app = await AppAsync(provider);
        var a = await app.SignUpAsync();
        var stale = Guid.NewGuid();
        await using (var db = app.Database.Factory.CreateGlobal())
        {
            db.RedeemedSignInTickets.Add(new RedeemedSignInTicket { Id = stale, ExpiresAt = DateTime.UtcNow.AddMinutes(-5) });
            await db.SaveChangesAsync();
        }
        var tickets = app.Services.GetRequiredService<SignInTickets>();

        Assert.NotNull(await tickets.RedeemAsync(tickets.Issue(a.User.Id, remember: true)));

        await using var check = app.Database.Factory.CreateGlobal();
        Assert.False(await check.RedeemedSignInTickets.AnyAsync(t => t.Id == stale));
        Assert.True(await check.RedeemedSignInTickets.AnyAsync(t => t.ExpiresAt > DateTime.UtcNow));
    }

    [Fact]
    public async Task Forged_or_empty_tickets_are_refused()
    {
        var app = await AppAsync(Providers.Sqlite);
        var tickets = app.Services.GetRequiredService<SignInTickets>();

        Assert.Null(await tickets.RedeemAsync(null));
        Assert.Null(await tickets.RedeemAsync("forged"));
    }
}
