using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Activities;

/// <summary>
/// Calls, e-mails, meetings, messages, notes and follow-up tasks kept on a record (seeds/003). Each write is one
/// transaction that also keeps <see cref="Records.Record.LastActivityAt"/> in step with the record's interactions;
/// reads (the record's summary, "My tasks", the overdue badge) count and order in SQL.
/// Rules: Members and above write, Viewers only read; the author (or an administrator) edits and deletes an
/// activity; any Member may complete or reopen a task, like any Member may edit the record it belongs to.
/// </summary>
public sealed class ActivityService(ICrmDbContextFactory factory, IStringLocalizer<CoreStrings> t, TimeProvider clock, ActivityEvents events, Permissions.IAccessResolver access)
{
    /// <summary>The records the actor may read, of every entity type (activities are seen only on those).</summary>
    private async Task<IQueryable<Records.Record>> ReadableAsync(CrmDbContext db, Actor actor, CancellationToken ct)
    {
        var typeIds = await db.EntityTypes.AsNoTracking().Select(e => e.Id).ToListAsync(ct);
        var rights = await access.GetAllAsync(actor, typeIds, ct);
        return Permissions.RecordScope.Apply(db.Records.AsNoTracking(), db, rights);
    }

    /// <summary>Whether the actor may read record <paramref name="recordId"/> (a record they may not read is "not found").</summary>
    private async Task<bool> CanReadAsync(CrmDbContext db, Actor actor, Guid recordId, CancellationToken ct)
        => await (await ReadableAsync(db, actor, ct)).AnyAsync(r => r.Id == recordId, ct);

    /// <summary>The kinds that count as contact with the customer (a note or a task is not one).</summary>
    public static readonly ActivityKind[] InteractionKinds = [ActivityKind.Call, ActivityKind.Email, ActivityKind.Meeting, ActivityKind.Message];

    /// <summary>"Interactions in the last N days" on the record page.</summary>
    public const int InteractionWindowDays = 30;

    /// <summary>Clock skew allowed for "it happened now" (the browser's clock may run a little ahead).</summary>
    private static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Logs an interaction or note, or adds a task, on a record.</summary>
    public async Task<ActivityResult> LogAsync(Actor actor, Guid recordId, ActivityInput input, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var record = await (await ReadableAsync(db, actor, ct)).Where(r => r.Id == recordId).Select(r => new { r.Id, r.EntityTypeId }).FirstOrDefaultAsync(ct);
        if (record is null) return Missing(t["Record.NotFound"]);

        var now = Now;
        var errors = new ValidationErrors();
        var activity = new Activity
        {
            RecordId = record.Id,
            EntityTypeId = record.EntityTypeId,
            OwnerId = actor.UserId,
            CreatedBy = actor.UserId,
            CreatedAt = now,
        };
        await ApplyAsync(db, actor, activity, input, now, isNew: true, errors, ct);
        if (!errors.IsEmpty) return new ActivityResult(null, errors);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Activities.Add(activity);
        // Webhooks hear of it through the outbox, committed with the activity.
        await new Webhooks.WebhookOutbox().StageActivityAsync(db, actor.Tenant.Identifier, activity, ct);
        await db.SaveChangesAsync(ct);
        if (Activity.IsInteraction(activity.Kind))
        {
            // Only ever moves forward, decided by the database row lock: two people logging calls at once never
            // leave the older time behind.
            var at = activity.OccurredAt;
            await db.Records.Where(r => r.Id == record.Id && (r.LastActivityAt == null || r.LastActivityAt < at))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.LastActivityAt, at), ct);
        }
        await tx.CommitAsync(ct);
        Publish(actor, activity, null);
        return new ActivityResult(activity, errors);
    }

    /// <summary>Changes an activity (its author or an administrator).</summary>
    public async Task<ActivityResult> UpdateAsync(Actor actor, Guid activityId, ActivityInput input, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var activity = await db.Activities.FirstOrDefaultAsync(a => a.Id == activityId, ct);
        if (activity is null || !await CanReadAsync(db, actor, activity.RecordId, ct)) return Missing(t["Activity.NotFound"]);
        if (!MayChange(actor, activity)) return Refused(t["Activity.NotOwn"]);

        var previousAssignee = activity.AssigneeId;
        var wasInteraction = Activity.IsInteraction(activity.Kind);
        var errors = new ValidationErrors();
        await ApplyAsync(db, actor, activity, input, Now, isNew: false, errors, ct);
        if (!errors.IsEmpty) return new ActivityResult(null, errors);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        if (wasInteraction || Activity.IsInteraction(activity.Kind)) await RefreshLastActivityAsync(db, activity.RecordId, ct);
        await tx.CommitAsync(ct);
        Publish(actor, activity, previousAssignee);
        return new ActivityResult(activity, errors);
    }

    /// <summary>Marks a task done (now) or open again.</summary>
    public async Task<ActivityResult> SetCompletedAsync(Actor actor, Guid activityId, bool completed, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var activity = await db.Activities.FirstOrDefaultAsync(a => a.Id == activityId, ct);
        if (activity is null || !await CanReadAsync(db, actor, activity.RecordId, ct)) return Missing(t["Activity.NotFound"]);
        if (activity.Kind != ActivityKind.Task) return Refused(t["Activity.NotATask"]);
        if ((activity.CompletedAt is not null) == completed) return new ActivityResult(activity, new ValidationErrors());
        activity.CompletedAt = completed ? Now : null;
        await db.SaveChangesAsync(ct);
        Publish(actor, activity, null);
        return new ActivityResult(activity, new ValidationErrors());
    }

    /// <summary>Deletes an activity (its author or an administrator).</summary>
    public async Task<ActivityResult> DeleteAsync(Actor actor, Guid activityId, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var activity = await db.Activities.FirstOrDefaultAsync(a => a.Id == activityId, ct);
        if (activity is null || !await CanReadAsync(db, actor, activity.RecordId, ct)) return Missing(t["Activity.NotFound"]);
        if (!MayChange(actor, activity)) return Refused(t["Activity.NotOwn"]);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Activities.Remove(activity);
        await db.SaveChangesAsync(ct);
        if (Activity.IsInteraction(activity.Kind)) await RefreshLastActivityAsync(db, activity.RecordId, ct);
        await tx.CommitAsync(ct);
        Publish(actor, activity, null);
        return new ActivityResult(activity, new ValidationErrors());
    }

    /// <summary>Whether <paramref name="actor"/> may edit or delete <paramref name="activity"/> (the UI hides what the server would refuse).</summary>
    public static bool MayChange(Actor actor, Activity activity)
        => actor.CanEdit && (actor.CanAdminister || activity.OwnerId == actor.UserId || (activity.OwnerId is null && activity.CreatedBy == actor.UserId));

    public async Task<Activity?> GetAsync(Actor actor, Guid activityId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var activity = await db.Activities.AsNoTracking().FirstOrDefaultAsync(a => a.Id == activityId, ct);
        return activity is not null && await CanReadAsync(db, actor, activity.RecordId, ct) ? activity : null;
    }

    /// <summary>A record's activities, newest first (the timeline merges them with field changes).</summary>
    public async Task<IReadOnlyList<Activity>> ListForRecordAsync(Actor actor, Guid recordId, int take = 100, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        if (!await CanReadAsync(db, actor, recordId, ct)) return [];
        return await db.Activities.AsNoTracking().Where(a => a.RecordId == recordId)
            .OrderByDescending(a => a.OccurredAt).ThenByDescending(a => a.Id)
            .Take(Math.Clamp(take, 1, 500)).ToListAsync(ct);
    }

    /// <summary>A record's open tasks, the earliest due first (tasks without a due time last).</summary>
    public async Task<IReadOnlyList<Activity>> OpenTasksAsync(Actor actor, Guid recordId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        if (!await CanReadAsync(db, actor, recordId, ct)) return [];
        return await db.Activities.AsNoTracking()
            .Where(a => a.RecordId == recordId && a.Kind == ActivityKind.Task && a.CompletedAt == null)
            .OrderBy(a => a.DueAt == null).ThenBy(a => a.DueAt).ThenBy(a => a.Id)
            .Take(100).ToListAsync(ct);
    }

    /// <summary>
    /// Tasks assigned to the actor: open ones first — overdue (most overdue first), then due soon, then those
    /// without a due time — and, when asked, the most recently completed after them.
    /// </summary>
    public async Task<IReadOnlyList<TaskItem>> MyTasksAsync(Actor actor, bool includeCompleted = false, int completedTake = 50, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var now = Now;
        var mine = db.Activities.AsNoTracking().Where(a => a.Kind == ActivityKind.Task && a.AssigneeId == actor.UserId);
        // Tasks on records the assignee may not read are left out (with the record's title).
        var readable = await ReadableAsync(db, actor, ct);
        var open = await mine.Where(a => a.CompletedAt == null)
            .Join(readable, a => a.RecordId, r => r.Id, (a, r) => new { Task = a, r.Title, r.EntityTypeId })
            .OrderBy(x => x.Task.DueAt == null).ThenBy(x => x.Task.DueAt).ThenBy(x => x.Task.Id)
            .Take(500).ToListAsync(ct);
        var items = open.Select(x => new TaskItem(x.Task, x.Title, x.EntityTypeId, x.Task.DueAt is { } due && Utc(due) < now)).ToList();
        if (includeCompleted)
        {
            var done = await mine.Where(a => a.CompletedAt != null)
                .Join(readable, a => a.RecordId, r => r.Id, (a, r) => new { Task = a, r.Title, r.EntityTypeId })
                .OrderByDescending(x => x.Task.CompletedAt).ThenByDescending(x => x.Task.Id)
                .Take(Math.Clamp(completedTake, 1, 500)).ToListAsync(ct);
            items.AddRange(done.Select(x => new TaskItem(x.Task, x.Title, x.EntityTypeId, false)));
        }
        return items;
    }

    /// <summary>How many of the actor's open tasks are past due (the navigation badge).</summary>
    public async Task<int> OverdueCountAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var now = Now;
        var readable = (await ReadableAsync(db, actor, ct)).Select(r => r.Id);
        return await db.Activities.CountAsync(a => a.Kind == ActivityKind.Task && a.AssigneeId == actor.UserId && a.CompletedAt == null && a.DueAt < now && readable.Contains(a.RecordId), ct);
    }

    /// <summary>The last interaction (when, which kind), interactions in the last 30 days and open/overdue tasks, counted in SQL.</summary>
    public async Task<InteractionSummary> SummaryAsync(Actor actor, Guid recordId, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        if (!await CanReadAsync(db, actor, recordId, ct)) return new InteractionSummary(null, null, 0, 0, 0);
        var now = Now;
        var since = now.AddDays(-InteractionWindowDays);
        var interactions = db.Activities.AsNoTracking().Where(a => a.RecordId == recordId && InteractionKinds.Contains(a.Kind));
        var last = await interactions.OrderByDescending(a => a.OccurredAt).ThenByDescending(a => a.Id)
            .Select(a => new { a.OccurredAt, a.Kind }).FirstOrDefaultAsync(ct);
        var recent = await interactions.CountAsync(a => a.OccurredAt >= since, ct);
        var tasks = db.Activities.Where(a => a.RecordId == recordId && a.Kind == ActivityKind.Task && a.CompletedAt == null);
        var open = await tasks.CountAsync(ct);
        var overdue = open == 0 ? 0 : await tasks.CountAsync(a => a.DueAt < now, ct);
        return new InteractionSummary(last is null ? null : Utc(last.OccurredAt), last?.Kind, recent, open, overdue);
    }

    private async Task ApplyAsync(CrmDbContext db, Actor actor, Activity activity, ActivityInput input, DateTime now, bool isNew, ValidationErrors errors, CancellationToken ct)
    {
        if (!Enum.IsDefined(input.Kind)) { errors.Add(ActivityFields.Kind, t["Activity.UnknownKind", t["Activity.Field.Kind"]]); return; }

        var subject = (input.Subject ?? "").Trim();
        if (subject.Length == 0) errors.Add(ActivityFields.Subject, t["Validation.Required", t["Activity.Field.Subject"]]);
        else if (subject.Length > ActivityFields.SubjectMaxLength) errors.Add(ActivityFields.Subject, t["Validation.TooLong", t["Activity.Field.Subject"], ActivityFields.SubjectMaxLength]);

        var content = string.IsNullOrWhiteSpace(input.Content) ? null : input.Content.Trim();
        if (content is { Length: > ActivityFields.ContentMaxLength }) errors.Add(ActivityFields.Content, t["Validation.TooLong", t["Activity.Field.Content"], ActivityFields.ContentMaxLength]);

        DateTime occurredAt;
        DateTime? dueAt = null;
        Guid? assignee = null;
        if (input.Kind == ActivityKind.Task)
        {
            // A task is dated by its creation; what matters is when it is due and who does it.
            occurredAt = isNew || activity.Kind != ActivityKind.Task ? now : Utc(activity.OccurredAt);
            if (input.DueAt is { } due) dueAt = Utc(due);
            else errors.Add(ActivityFields.DueAt, t["Validation.Required", t["Activity.Field.DueAt"]]);
            assignee = input.AssigneeId ?? actor.UserId;
            await CheckAssigneeAsync(db, actor, assignee.Value, errors, ct);
        }
        else
        {
            occurredAt = input.OccurredAt is { } at ? Utc(at) : now;
            if (occurredAt > now + FutureTolerance) errors.Add(ActivityFields.OccurredAt, t["Activity.InFuture", t["Activity.Field.OccurredAt"]]);
        }
        if (!errors.IsEmpty) return;

        activity.Kind = input.Kind;
        activity.Subject = subject;
        activity.Content = content;
        activity.OccurredAt = occurredAt;
        activity.DueAt = dueAt;
        activity.AssigneeId = assignee;
        if (input.Kind != ActivityKind.Task) activity.CompletedAt = null;
    }

    private async Task CheckAssigneeAsync(CrmDbContext db, Actor actor, Guid userId, ValidationErrors errors, CancellationToken ct)
    {
        var label = t["Activity.Field.Assignee"];
        var member = await db.Memberships.AsNoTracking().Where(m => m.TenantId == actor.TenantId && m.UserId == userId)
            .Select(m => new { m.Role, m.User!.DisplayName }).FirstOrDefaultAsync(ct);
        if (member is null) errors.Add(ActivityFields.Assignee, t["Validation.NotAMember", label]);
        else if (!member.Role.CanEditRecords()) errors.Add(ActivityFields.Assignee, t["Activity.AssigneeCannotEdit", label, member.DisplayName]);
    }

    /// <summary>Recomputes the record's last interaction from its activities, in one statement.</summary>
    private static Task RefreshLastActivityAsync(CrmDbContext db, Guid recordId, CancellationToken ct)
        => db.Records.Where(r => r.Id == recordId).ExecuteUpdateAsync(s => s.SetProperty(r => r.LastActivityAt,
            r => db.Activities.Where(a => a.RecordId == r.Id && InteractionKinds.Contains(a.Kind)).Max(a => (DateTime?)a.OccurredAt)), ct);

    private void Publish(Actor actor, Activity activity, Guid? previousAssignee)
    {
        var assignees = new[] { activity.AssigneeId, previousAssignee }.OfType<Guid>().Distinct().ToArray();
        events.Publish(new ActivityEvent(actor.TenantId, activity.RecordId, activity.Id, actor.UserId, assignees));
    }

    private static ActivityResult Missing(string message)
    {
        var errors = new ValidationErrors();
        errors.Add(ActivityFields.General, message);
        return new ActivityResult(null, errors, NotFound: true);
    }

    private static ActivityResult Refused(string message)
    {
        var errors = new ValidationErrors();
        errors.Add(ActivityFields.General, message);
        return new ActivityResult(null, errors);
    }

    /// <summary>SQLite hands back unspecified kinds; inputs may be local. Everything stored and compared is UTC.</summary>
    public static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
