using System.Globalization;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Testing;
using Microsoft.EntityFrameworkCore;
using Record = Crm.Core.Records.Record;

namespace Crm.Core.Tests.Activities;

/// <summary>Logging, tasks, "My tasks", the record's interaction summary and who may do what, on both databases.</summary>
public class ActivityServiceTests
{
    private static async Task<(Workspace Ws, ManualClock Clock, Record Company)> ArrangeAsync(string provider)
    {
        var clock = new ManualClock();
        var ws = await Workspace.CreateAsync(provider, clock);
        await ws.InstallAsync("b2b_sales_funnel");
        var created = await ws.Records.CreateAsync(ws.Owner, "company", RecordInput.Of(("name", $"Acme {Guid.NewGuid():N}")));
        Assert.True(created.Succeeded, created.Errors.ToString());
        return (ws, clock, created.Record!);
    }

    private static async Task<Record> ReloadAsync(Workspace ws, Guid id)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Records.AsNoTracking().SingleAsync(r => r.Id == id);
    }

    private static async Task<int> ActivityCountAsync(Workspace ws, Guid recordId)
    {
        await using var db = ws.Database.Factory.CreateForTenant(ws.Tenant.Id);
        return await db.Activities.CountAsync(a => a.RecordId == recordId);
    }

    private static DateTime Now(ManualClock clock) => clock.GetUtcNow().UtcDateTime;

    private static void CloseTo(DateTime expected, DateTime? actual)
    {
        Assert.NotNull(actual);
        Assert.True(Math.Abs((ActivityService.Utc(actual!.Value) - expected).TotalSeconds) < 1, $"expected {expected:O}, got {actual:O}");
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Interactions_keep_the_last_activity_and_the_30_day_count(string provider)
    {
        var (ws, clock, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        var activities = ws.Get<ActivityService>();
        var now = Now(clock);

        var call = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Call, "Budget call") { Content = "Budget approved", OccurredAt = now.AddDays(-2) });
        Assert.True(call.Succeeded, call.Errors.ToString());
        var oldEmail = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Email, "Brochure") { OccurredAt = now.AddDays(-31) });
        var boundary = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Message, "WeChat") { OccurredAt = now.AddDays(-29) });
        var note = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Note, "Prefers mornings"));
        Assert.True(oldEmail.Succeeded && boundary.Succeeded && note.Succeeded);

        // A note is not an interaction: the last interaction is the call, two interactions in the last 30 days.
        CloseTo(now.AddDays(-2), (await ReloadAsync(ws, company.Id)).LastActivityAt);
        var summary = await activities.SummaryAsync(ws.Owner, company.Id);
        Assert.Equal(ActivityKind.Call, summary.LastKind);
        CloseTo(now.AddDays(-2), summary.LastAt);
        Assert.Equal(2, summary.LastWindowCount);

        // An older interaction logged later never moves the last activity back.
        var meeting = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Meeting, "Site visit") { OccurredAt = now.AddDays(-10) });
        Assert.True(meeting.Succeeded);
        CloseTo(now.AddDays(-2), (await ReloadAsync(ws, company.Id)).LastActivityAt);
        Assert.Equal(3, (await activities.SummaryAsync(ws.Owner, company.Id)).LastWindowCount);

        // Deleting the call falls back to the meeting; moving the old e-mail to yesterday makes it the last one.
        Assert.True((await activities.DeleteAsync(ws.Owner, call.Activity!.Id)).Succeeded);
        CloseTo(now.AddDays(-10), (await ReloadAsync(ws, company.Id)).LastActivityAt);
        var moved = await activities.UpdateAsync(ws.Owner, oldEmail.Activity!.Id, new ActivityInput(ActivityKind.Email, "Brochure") { OccurredAt = now.AddDays(-1) });
        Assert.True(moved.Succeeded, moved.Errors.ToString());
        CloseTo(now.AddDays(-1), (await ReloadAsync(ws, company.Id)).LastActivityAt);
        summary = await activities.SummaryAsync(ws.Owner, company.Id);
        Assert.Equal(ActivityKind.Email, summary.LastKind);
        Assert.Equal(3, summary.LastWindowCount);

        // Turning the only remaining interactions into notes leaves no last interaction at all.
        foreach (var a in await activities.ListForRecordAsync(ws.Owner, company.Id))
            if (Activity.IsInteraction(a.Kind))
                Assert.True((await activities.UpdateAsync(ws.Owner, a.Id, new ActivityInput(ActivityKind.Note, a.Subject) { OccurredAt = a.OccurredAt })).Succeeded);
        Assert.Null((await ReloadAsync(ws, company.Id)).LastActivityAt);
        Assert.Equal(0, (await activities.SummaryAsync(ws.Owner, company.Id)).LastWindowCount);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Invalid_input_is_refused_with_field_named_messages_and_changes_nothing(string provider)
    {
        var (ws, clock, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        var activities = ws.Get<ActivityService>();
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        var stranger = await ws.Database.CreateUserAsync();
        var saved = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo("en");
        try
        {
            var blank = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Call, "  ") { Content = new string('x', ActivityFields.ContentMaxLength + 1) });
            Assert.False(blank.Succeeded);
            Assert.Equal("Subject is required.", Assert.Single(blank.Errors.For(ActivityFields.Subject)));
            Assert.Contains("Content", Assert.Single(blank.Errors.For(ActivityFields.Content)));

            var future = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Meeting, "Next week") { OccurredAt = Now(clock).AddDays(7) });
            Assert.StartsWith("Time cannot be in the future", Assert.Single(future.Errors.For(ActivityFields.OccurredAt)));

            var noDue = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Task, "Send quote"));
            Assert.Equal("Due is required.", Assert.Single(noDue.Errors.For(ActivityFields.DueAt)));

            var outsider = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Task, "Send quote") { DueAt = Now(clock).AddDays(1), AssigneeId = stranger.Id });
            Assert.Equal("Assignee must be a member of this workspace.", Assert.Single(outsider.Errors.For(ActivityFields.Assignee)));

            var toViewer = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Task, "Send quote") { DueAt = Now(clock).AddDays(1), AssigneeId = viewer.UserId });
            Assert.Contains(viewer.DisplayName, Assert.Single(toViewer.Errors.For(ActivityFields.Assignee)));

            var missing = await activities.LogAsync(ws.Owner, Guid.CreateVersion7(), new ActivityInput(ActivityKind.Call, "Hello"));
            Assert.True(missing.NotFound);
        }
        finally { CultureInfo.CurrentUICulture = saved; }

        Assert.Equal(0, await ActivityCountAsync(ws, company.Id));
        Assert.Null((await ReloadAsync(ws, company.Id)).LastActivityAt);

        // An edit that fails keeps the stored activity as it was.
        var ok = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Call, "First call"));
        var bad = await activities.UpdateAsync(ws.Owner, ok.Activity!.Id, new ActivityInput(ActivityKind.Call, ""));
        Assert.NotEmpty(bad.Errors.For(ActivityFields.Subject));
        Assert.Equal("First call", (await activities.GetAsync(ws.Owner, ok.Activity.Id))!.Subject);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Viewers_read_but_every_write_is_refused(string provider)
    {
        var (ws, clock, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        var activities = ws.Get<ActivityService>();
        var viewer = await ws.MemberAsync(MemberRole.Viewer);
        var task = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Task, "Call back") { DueAt = Now(clock).AddDays(1) });
        Assert.True(task.Succeeded, task.Errors.ToString());

        await Assert.ThrowsAsync<ForbiddenException>(() => activities.LogAsync(viewer, company.Id, new ActivityInput(ActivityKind.Call, "Hello")));
        await Assert.ThrowsAsync<ForbiddenException>(() => activities.SetCompletedAsync(viewer, task.Activity!.Id, true));
        await Assert.ThrowsAsync<ForbiddenException>(() => activities.UpdateAsync(viewer, task.Activity!.Id, new ActivityInput(ActivityKind.Task, "Mine now") { DueAt = Now(clock) }));
        await Assert.ThrowsAsync<ForbiddenException>(() => activities.DeleteAsync(viewer, task.Activity!.Id));
        Assert.False(ActivityService.MayChange(viewer, task.Activity!));

        Assert.Single(await activities.ListForRecordAsync(viewer, company.Id));
        Assert.Equal(1, (await activities.SummaryAsync(viewer, company.Id)).OpenTasks);
        var stored = (await activities.GetAsync(ws.Owner, task.Activity!.Id))!;
        Assert.Equal("Call back", stored.Subject);
        Assert.Null(stored.CompletedAt);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Only_the_author_or_an_administrator_edits_and_deletes(string provider)
    {
        var (ws, _, company) = await ArrangeAsync(provider);
        await using var __ = ws;
        var activities = ws.Get<ActivityService>();
        var alice = await ws.MemberAsync(MemberRole.Member);
        var bob = await ws.MemberAsync(MemberRole.Member);
        var admin = await ws.MemberAsync(MemberRole.Admin);
        var call = (await activities.LogAsync(alice, company.Id, new ActivityInput(ActivityKind.Call, "Alice's call"))).Activity!;
        Assert.Equal(alice.UserId, call.OwnerId);

        var edit = await activities.UpdateAsync(bob, call.Id, new ActivityInput(ActivityKind.Call, "Bob was here"));
        Assert.False(edit.Succeeded);
        Assert.NotEmpty(edit.Errors.For(ActivityFields.General));
        Assert.False((await activities.DeleteAsync(bob, call.Id)).Succeeded);
        Assert.Equal("Alice's call", (await activities.GetAsync(alice, call.Id))!.Subject);
        Assert.False(ActivityService.MayChange(bob, call));
        Assert.True(ActivityService.MayChange(admin, call));

        Assert.True((await activities.UpdateAsync(alice, call.Id, new ActivityInput(ActivityKind.Call, "Alice's call, edited"))).Succeeded);
        Assert.True((await activities.DeleteAsync(admin, call.Id)).Succeeded);
        Assert.Null(await activities.GetAsync(alice, call.Id));
        Assert.True((await activities.DeleteAsync(alice, call.Id)).NotFound);
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task My_tasks_list_overdue_first_then_due_soon_then_completed(string provider)
    {
        var (ws, clock, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        var activities = ws.Get<ActivityService>();
        var me = await ws.MemberAsync(MemberRole.Member);
        var now = Now(clock);

        async Task<Activity> TaskAsync(string subject, double dueInDays, Guid? assignee = null)
        {
            var r = await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Task, subject) { DueAt = now.AddDays(dueInDays), AssigneeId = assignee ?? me.UserId });
            Assert.True(r.Succeeded, r.Errors.ToString());
            return r.Activity!;
        }
        await TaskAsync("next week", 5);
        await TaskAsync("three days late", -3);
        await TaskAsync("tomorrow", 1);
        await TaskAsync("yesterday", -1);
        var done = await TaskAsync("done long ago", -20);
        await TaskAsync("someone else's", -2, ws.Owner.UserId);
        await activities.LogAsync(me, company.Id, new ActivityInput(ActivityKind.Call, "a call is not a task"));
        Assert.True((await activities.SetCompletedAsync(me, done.Id, true)).Succeeded);

        var open = await activities.MyTasksAsync(me);
        Assert.Equal(["three days late", "yesterday", "tomorrow", "next week"], open.Select(t => t.Task.Subject));
        Assert.Equal([true, true, false, false], open.Select(t => t.IsOverdue));
        Assert.All(open, t => Assert.Equal(company.Title, t.RecordTitle));
        Assert.Equal(2, await activities.OverdueCountAsync(me));

        var all = await activities.MyTasksAsync(me, includeCompleted: true);
        Assert.Equal("done long ago", all[^1].Task.Subject);
        Assert.NotNull(all[^1].Task.CompletedAt);
        Assert.Equal(5, all.Count);

        // Completing and reopening moves the badge; time passing makes "tomorrow" overdue too.
        var late = open[0].Task;
        await activities.SetCompletedAsync(me, late.Id, true);
        Assert.Equal(1, await activities.OverdueCountAsync(me));
        await activities.SetCompletedAsync(me, late.Id, false);
        Assert.Equal(2, await activities.OverdueCountAsync(me));
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(3, await activities.OverdueCountAsync(me));
        Assert.Equal(1, await activities.OverdueCountAsync(ws.Owner));

        var summary = await activities.SummaryAsync(me, company.Id);
        Assert.Equal(5, summary.OpenTasks);
        Assert.Equal(4, summary.OverdueTasks);

        var notATask = (await activities.ListForRecordAsync(me, company.Id)).Single(a => a.Kind == ActivityKind.Call);
        var refused = await activities.SetCompletedAsync(me, notATask.Id, true);
        Assert.False(refused.Succeeded);
        Assert.NotEmpty(refused.Errors.For(ActivityFields.General));
    }

    [Theory]
    [MemberData(nameof(Providers.All), MemberType = typeof(Providers))]
    public async Task Another_workspace_sees_and_touches_none_of_it(string provider)
    {
        var (ws, clock, company) = await ArrangeAsync(provider);
        await using var _ = ws;
        await using var other = await Workspace.CreateAsync(provider, clock);
        var activities = ws.Get<ActivityService>();
        var call = (await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Call, "Private"))).Activity!;
        await activities.LogAsync(ws.Owner, company.Id, new ActivityInput(ActivityKind.Task, "Private task") { DueAt = Now(clock).AddDays(-1) });

        Assert.True((await activities.LogAsync(other.Owner, company.Id, new ActivityInput(ActivityKind.Call, "Intruder"))).NotFound);
        Assert.True((await activities.DeleteAsync(other.Owner, call.Id)).NotFound);
        Assert.Empty(await activities.ListForRecordAsync(other.Owner, company.Id));
        Assert.Equal(0, (await activities.SummaryAsync(other.Owner, company.Id)).LastWindowCount);
        Assert.Equal(0, await activities.OverdueCountAsync(other.Owner));
        Assert.Equal(1, await activities.OverdueCountAsync(ws.Owner));
        Assert.Equal(2, await ActivityCountAsync(ws, company.Id));
    }
}
