using Crm.Core.Accounts;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Web.Api;

/// <summary>
/// Activities for integrators (a phone system logging calls, a mail gateway logging e-mails): a record's activities
/// and interaction summary, logging one, changing, completing and deleting it, and the caller's tasks. The same
/// service and rules as the record page: Members write, the author or an administrator changes and deletes, any
/// Member completes a task; errors are keyed like the composer's fields (<c>kind</c>, <c>subject</c>, <c>dueAt</c> …).
/// </summary>
public static class ActivitiesApi
{
    /// <summary>
    /// A new activity, or changes to one (PATCH: what is left out stays; <c>completed</c> completes or reopens a task).
    /// <c>kind</c> is call, email, meeting, message, note or task; times are ISO 8601 (UTC when no offset is given).
    /// </summary>
    public sealed record ActivityBody(string? Kind, string? Subject, string? Content, DateTime? OccurredAt, DateTime? DueAt, Guid? Assignee, bool? Completed);

    /// <summary>An activity; <c>kind</c> as in <see cref="ActivityBody"/>, times in UTC.</summary>
    public sealed record ActivityDto(Guid Id, Guid RecordId, string Kind, string Subject, string? Content, DateTime OccurredAt, DateTime? DueAt, Guid? Assignee, Guid? Owner,
        DateTime? CompletedAt, DateTime CreatedAt);

    /// <summary>A record's interactions at a glance: the last one, how many in the last 30 days, open and overdue tasks.</summary>
    public sealed record SummaryDto(DateTime? LastInteractionAt, string? LastInteractionKind, int InteractionsLast30Days, int OpenTasks, int OverdueTasks);

    public sealed record RecordActivities(SummaryDto Summary, IReadOnlyList<ActivityDto> Items);

    public sealed record RecordRef(Guid Id, string Title);

    public sealed record MyTask(ActivityDto Task, RecordRef Record, bool Overdue);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/records/{id:guid}/activities", async Task<Results<Ok<RecordActivities>, NotFoundProblem>> (Guid id, int? take, IActorAccessor actors, RecordService records, ActivityService activities, CancellationToken ct) =>
        {
            var actor = actors.Required;
            if (await records.GetAsync(actor, id, ct) is null) return NotFound(id);
            var summary = await activities.SummaryAsync(actor, id, ct);
            var list = await activities.ListForRecordAsync(actor, id, take ?? 100, ct);
            return TypedResults.Ok(new RecordActivities(
                new SummaryDto(summary.LastAt, summary.LastKind is { } k ? KindName(k) : null, summary.LastWindowCount, summary.OpenTasks, summary.OverdueTasks),
                list.Select(Dto).ToList()));
        });

        api.MapPost("/records/{id:guid}/activities", async Task<Results<Created<ActivityDto>, NotFoundProblem, ValidationProblem>> (Guid id, ActivityBody body, IActorAccessor actors, ActivityService activities, CancellationToken ct) =>
        {
            var errors = new ValidationErrors();
            var kind = ParseKind(body.Kind, errors, required: true);
            if (!errors.IsEmpty) return TypedResults.ValidationProblem(errors.ToDictionary());
            var result = await activities.LogAsync(actors.Required, id, Input(kind!.Value, body, existing: null), ct);
            if (result.NotFound) return NotFound(id);
            if (!result.Succeeded) return TypedResults.ValidationProblem(result.Errors.ToDictionary());
            return TypedResults.Created($"activities/{result.Activity!.Id}", Dto(result.Activity));
        });

        api.MapGet("/activities/{id:guid}", async Task<Results<Ok<ActivityDto>, NotFoundProblem>> (Guid id, IActorAccessor actors, ActivityService activities, CancellationToken ct)
            => await activities.GetAsync(actors.Required, id, ct) is { } a ? TypedResults.Ok(Dto(a)) : NotFound(id));

        api.MapPatch("/activities/{id:guid}", async Task<Results<Ok<ActivityDto>, NotFoundProblem, ValidationProblem, ForbiddenProblem>> (Guid id, ActivityBody body, IActorAccessor actors, ActivityService activities, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var existing = await activities.GetAsync(actor, id, ct);
            if (existing is null) return NotFound(id);
            var errors = new ValidationErrors();
            var kind = ParseKind(body.Kind, errors, required: false) ?? existing.Kind;
            // Checked before anything is written, so a PATCH either applies whole or not at all.
            if (body.Completed is not null && kind != ActivityKind.Task) errors.Add("completed", "Only a task can be completed or reopened.");
            if (!errors.IsEmpty) return TypedResults.ValidationProblem(errors.ToDictionary());

            var activity = existing;
            if (body.Kind is not null || body.Subject is not null || body.Content is not null || body.OccurredAt is not null || body.DueAt is not null || body.Assignee is not null)
            {
                var result = await activities.UpdateAsync(actor, id, Input(kind, body, existing), ct);
                if (result.NotFound) return NotFound(id);
                if (!result.Succeeded) return Forbidden(result) is { } refused ? refused : Invalid(result);
                activity = result.Activity!;
            }
            if (body.Completed is { } completed)
            {
                var result = await activities.SetCompletedAsync(actor, id, completed, ct);
                if (result.NotFound) return NotFound(id);
                if (!result.Succeeded) return TypedResults.ValidationProblem(Rekey(result.Errors, "completed"));
                activity = result.Activity!;
            }
            return TypedResults.Ok(Dto(activity));
        });

        api.MapDelete("/activities/{id:guid}", async Task<Results<NoContent, NotFoundProblem, ValidationProblem, ForbiddenProblem>> (Guid id, IActorAccessor actors, ActivityService activities, CancellationToken ct) =>
        {
            var result = await activities.DeleteAsync(actors.Required, id, ct);
            if (result.NotFound) return NotFound(id);
            if (result.Succeeded) return TypedResults.NoContent();
            return Forbidden(result) is { } refused ? refused : Invalid(result);
        });

        api.MapGet("/tasks/mine", async Task<Ok<MyTask[]>> (bool? completed, IActorAccessor actors, ActivityService activities, CancellationToken ct) =>
            TypedResults.Ok((await activities.MyTasksAsync(actors.Required, includeCompleted: completed == true, ct: ct))
                .Select(t => new MyTask(Dto(t.Task), new RecordRef(t.Task.RecordId, t.RecordTitle), t.IsOverdue)).ToArray()));
    }

    private static ActivityInput Input(ActivityKind kind, ActivityBody body, Activity? existing) => new(kind, body.Subject ?? existing?.Subject)
    {
        Content = body.Content ?? existing?.Content,
        // The service reads times as UTC (an offset is converted, none means UTC), as it does for the composer.
        OccurredAt = body.OccurredAt ?? existing?.OccurredAt,
        DueAt = body.DueAt ?? existing?.DueAt,
        AssigneeId = body.Assignee ?? existing?.AssigneeId,
    };

    private static ActivityKind? ParseKind(string? value, ValidationErrors errors, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required) errors.Add(ActivityFields.Kind, $"Required: one of {string.Join(", ", Enum.GetValues<ActivityKind>().Select(KindName))}.");
            return null;
        }
        if (Enum.TryParse<ActivityKind>(value.Trim(), ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(value, out _)) return kind;
        errors.Add(ActivityFields.Kind, $"Unknown kind '{value}'; expected one of {string.Join(", ", Enum.GetValues<ActivityKind>().Select(KindName))}.");
        return null;
    }

    private static string KindName(ActivityKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>"Not yours" is a 403 (null otherwise); everything else is field-keyed input errors (<see cref="Invalid"/>).</summary>
    private static ForbiddenProblem? Forbidden(ActivityResult result)
        => result.Errors.ByField.Keys.All(k => k == ActivityFields.General)
            ? new ForbiddenProblem(string.Join(" ", result.Errors.For(ActivityFields.General)))
            : null;

    private static ValidationProblem Invalid(ActivityResult result) => TypedResults.ValidationProblem(result.Errors.ToDictionary());

    private static Dictionary<string, string[]> Rekey(ValidationErrors errors, string key)
        => new() { [key] = errors.ByField.Values.SelectMany(m => m).ToArray() };

    private static NotFoundProblem NotFound(Guid id) => NotFoundProblem.Of(id);

    private static ActivityDto Dto(Activity a) => new(a.Id, a.RecordId, KindName(a.Kind), a.Subject, a.Content, ActivityService.Utc(a.OccurredAt),
        a.DueAt is { } due ? ActivityService.Utc(due) : null, a.AssigneeId, a.OwnerId,
        a.CompletedAt is { } done ? ActivityService.Utc(done) : null, ActivityService.Utc(a.CreatedAt));
}
