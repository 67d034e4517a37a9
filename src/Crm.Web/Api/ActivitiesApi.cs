using Crm.Core.Accounts;
using Crm.Core.Activities;
using Crm.Core.Records;
using Crm.Core.Security;

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

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/records/{id:guid}/activities", async (Guid id, int? take, IActorAccessor actors, RecordService records, ActivityService activities, CancellationToken ct) =>
        {
            var actor = actors.Required;
            if (await records.GetAsync(actor, id, ct) is null) return NotFound(id);
            var summary = await activities.SummaryAsync(actor, id, ct);
            var list = await activities.ListForRecordAsync(actor, id, take ?? 100, ct);
            return Results.Ok(new
            {
                summary = new
                {
                    lastInteractionAt = summary.LastAt,
                    lastInteractionKind = summary.LastKind is { } k ? KindName(k) : null,
                    interactionsLast30Days = summary.LastWindowCount,
                    openTasks = summary.OpenTasks,
                    overdueTasks = summary.OverdueTasks,
                },
                items = list.Select(Dto),
            });
        });

        api.MapPost("/records/{id:guid}/activities", async (Guid id, ActivityBody body, IActorAccessor actors, ActivityService activities, CancellationToken ct) =>
        {
            var errors = new ValidationErrors();
            var kind = ParseKind(body.Kind, errors, required: true);
            if (!errors.IsEmpty) return Results.ValidationProblem(errors.ToDictionary());
            var result = await activities.LogAsync(actors.Required, id, Input(kind!.Value, body, existing: null), ct);
            if (result.NotFound) return NotFound(id);
            if (!result.Succeeded) return Results.ValidationProblem(result.Errors.ToDictionary());
            return Results.Created($"activities/{result.Activity!.Id}", Dto(result.Activity));
        });

        api.MapGet("/activities/{id:guid}", async (Guid id, IActorAccessor actors, ActivityService activities, CancellationToken ct)
            => await activities.GetAsync(actors.Required, id, ct) is { } a ? Results.Ok(Dto(a)) : NotFound(id));

        api.MapPatch("/activities/{id:guid}", async (Guid id, ActivityBody body, IActorAccessor actors, ActivityService activities, CancellationToken ct) =>
        {
            var actor = actors.Required;
            var existing = await activities.GetAsync(actor, id, ct);
            if (existing is null) return NotFound(id);
            var errors = new ValidationErrors();
            var kind = ParseKind(body.Kind, errors, required: false) ?? existing.Kind;
            // Checked before anything is written, so a PATCH either applies whole or not at all.
            if (body.Completed is not null && kind != ActivityKind.Task) errors.Add("completed", "Only a task can be completed or reopened.");
            if (!errors.IsEmpty) return Results.ValidationProblem(errors.ToDictionary());

            var activity = existing;
            if (body.Kind is not null || body.Subject is not null || body.Content is not null || body.OccurredAt is not null || body.DueAt is not null || body.Assignee is not null)
            {
                var result = await activities.UpdateAsync(actor, id, Input(kind, body, existing), ct);
                if (result.NotFound) return NotFound(id);
                if (!result.Succeeded) return Refusal(result);
                activity = result.Activity!;
            }
            if (body.Completed is { } completed)
            {
                var result = await activities.SetCompletedAsync(actor, id, completed, ct);
                if (result.NotFound) return NotFound(id);
                if (!result.Succeeded) return Results.ValidationProblem(Rekey(result.Errors, "completed"));
                activity = result.Activity!;
            }
            return Results.Ok(Dto(activity));
        });

        api.MapDelete("/activities/{id:guid}", async (Guid id, IActorAccessor actors, ActivityService activities, CancellationToken ct) =>
        {
            var result = await activities.DeleteAsync(actors.Required, id, ct);
            return result.NotFound ? NotFound(id) : result.Succeeded ? Results.NoContent() : Refusal(result);
        });

        api.MapGet("/tasks/mine", async (bool? completed, IActorAccessor actors, ActivityService activities, CancellationToken ct) =>
            Results.Ok((await activities.MyTasksAsync(actors.Required, includeCompleted: completed == true, ct: ct)).Select(t => new
            {
                task = Dto(t.Task), record = new { id = t.Task.RecordId, title = t.RecordTitle }, overdue = t.IsOverdue,
            })));
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

    /// <summary>"Not yours" is a 403; everything else is field-keyed input errors.</summary>
    private static IResult Refusal(ActivityResult result)
        => result.Errors.ByField.Keys.All(k => k == ActivityFields.General)
            ? Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: string.Join(" ", result.Errors.For(ActivityFields.General)))
            : Results.ValidationProblem(result.Errors.ToDictionary());

    private static Dictionary<string, string[]> Rekey(ValidationErrors errors, string key)
        => new() { [key] = errors.ByField.Values.SelectMany(m => m).ToArray() };

    private static IResult NotFound(Guid id) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"Not found: {id}");

    private static object Dto(Activity a) => new
    {
        id = a.Id,
        recordId = a.RecordId,
        kind = KindName(a.Kind),
        subject = a.Subject,
        content = a.Content,
        occurredAt = ActivityService.Utc(a.OccurredAt),
        dueAt = a.DueAt is { } due ? ActivityService.Utc(due) : (DateTime?)null,
        assignee = a.AssigneeId,
        owner = a.OwnerId,
        completedAt = a.CompletedAt is { } done ? ActivityService.Utc(done) : (DateTime?)null,
        createdAt = ActivityService.Utc(a.CreatedAt),
    };
}
