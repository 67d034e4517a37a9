using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Crm.Core.Accounts;
using Crm.Core.Activities;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Automation;

/// <summary>
/// The record actions of one run, inside its transaction: each changes records only through the run's
/// <see cref="RecordWriter"/> (System mode, as the rule) and returns a readable outcome, or throws (the engine
/// rolls that action back to its savepoint and reports the error).
/// </summary>
internal sealed partial class RuleActions(CrmDbContext db, TenantMetadata metadata, RecordWriter writer, IStringLocalizer<CoreStrings> t,
    TimeProvider clock, AutomationEngine.RunContext run, TimeZoneInfo zone, RuleMembers members)
{
    private readonly List<Activity> newTasks = [];
    private DisplayContext? stored;

    /// <summary>How the texts this run stores (task subjects, field values, notification titles) display values: in the workspace's culture.</summary>
    private DisplayContext Stored => stored ??= Export.LocalizerCulture.WorkspaceDisplay(t, run.Tenant);

    public List<Activity> TakeNewTasks()
    {
        var taken = newTasks.ToList();
        newTasks.Clear();
        return taken;
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public Task<ActionOutcome> RunAsync(int index, RuleAction action, Record record, CancellationToken ct) => action.Kind switch
    {
        ActionKinds.AssignOwner => AssignAsync(index, action, record, ct),
        ActionKinds.SetFields => SetFieldsAsync(index, action, record, ct),
        ActionKinds.CreateTask => CreateTaskAsync(index, action, record, ct),
        ActionKinds.CreateRelated => CreateRelatedAsync(index, action, record, ct),
        ActionKinds.UpdateRelated => UpdateRelatedAsync(index, action, record, ct),
        ActionKinds.CallWebhook => CallWebhookAsync(index, action, record, ct),
        _ => Task.FromResult(new ActionOutcome(index, action.Kind, "failed", t["Automation.UnknownAction", action.Kind])),
    };

    // ------------------------------------------------------------------ assign the owner

    private async Task<ActionOutcome> AssignAsync(int index, RuleAction action, Record record, CancellationToken ct)
    {
        var entity = metadata.Entity(record.EntityTypeId)!;
        if (entity.OwnerField is not { } ownerField) throw new InvalidOperationException(t["Automation.NoOwnerField", entity.Entity.Label.Get()]);
        // Members removed from the workspace are skipped. Roles and departments are resolved now (active members
        // only, by user id), after the named users.
        var tenantId = metadata.TenantId;
        var candidates = action.Users.Concat(await RuleTargets.MembersOfAsync(db, tenantId, action.Roles, action.Departments, ct)).Distinct().ToList();
        var active = await members.MembersAsync(db, candidates, ct);
        var eligible = active.Select(m => m.UserId).ToList();
        if (eligible.Count == 0) throw new InvalidOperationException(t["Automation.NoEligibleMember"]);

        Guid chosen;
        switch (action.Mode ?? AssignModes.RoundRobin)
        {
            case AssignModes.Fixed:
                chosen = eligible[0];
                break;
            case AssignModes.LeastOpen:
                var closedStages = entity.AllPipelines.SelectMany(p => p.AllStages).Where(s => s.Kind != StageKind.Open).Select(s => (Guid?)s.Id).ToList();
                var entityId = entity.Entity.Id;
                var counts = await db.Records.AsNoTracking()
                    .Where(r => r.EntityTypeId == entityId && r.OwnerId != null && eligible.Contains(r.OwnerId.Value) && !closedStages.Contains(r.StageId) && r.Id != record.Id)
                    .GroupBy(r => r.OwnerId).Select(g => new { Owner = g.Key!.Value, Count = g.Count() }).ToListAsync(ct);
                chosen = eligible.OrderBy(u => counts.FirstOrDefault(c => c.Owner == u)?.Count ?? 0).First();
                break;
            default:
                // Round robin (weights 1) or weighted (2:1 → A, A, B): one shared counter per rule and action,
                // incremented under the database's row lock, so concurrent runs take consecutive turns.
                var weighted = action.Mode == AssignModes.Weighted;
                var turns = new List<Guid>();
                for (var i = 0; i < eligible.Count; i++)
                {
                    var named = action.Users.IndexOf(eligible[i]);
                    var weight = weighted && named >= 0 && named < action.Weights.Count ? Math.Clamp(action.Weights[named], 0, 100) : 1;
                    for (var w = 0; w < weight; w++) turns.Add(eligible[i]);
                }
                if (turns.Count == 0) throw new InvalidOperationException(t["Automation.NoEligibleMember"]);
                var turn = await NextTurnAsync(entity.Entity.Id, TurnKey(run.Rule.Id, index), ct);
                chosen = turns[(int)(turn % turns.Count)];
                break;
        }

        var name = active.First(m => m.UserId == chosen).DisplayName;
        var changed = await writer.RewriteAsync(record, (_, values) =>
        {
            if (RuleConditionEvaluator.Texts(values[ownerField.Key]).FirstOrDefault() == chosen.ToString()) return false;
            values[ownerField.Key] = chosen.ToString();
            return true;
        }, ct: ct);
        return new ActionOutcome(index, action.Kind, changed ? "done" : "skipped", t["Automation.Assigned", name]);
    }

    /// <summary>The round-robin counter of a rule's action (a row of sequence_counters).</summary>
    public static string TurnKey(Guid ruleId, int index) => "rule:" + ruleId.ToString("N") + ":" + index;

    /// <summary>Whether the action takes a round-robin turn (round robin and weighted assignment).</summary>
    public static bool TakesTurn(RuleAction action) => action.Kind == ActionKinds.AssignOwner && action.Mode is not (AssignModes.Fixed or AssignModes.LeastOpen);

    /// <summary>
    /// The next turn (0, 1, 2 …) of a round robin: a counter row in sequence_counters, taken under its row lock. On
    /// PostgreSQL one <c>UPDATE … RETURNING</c> (one round trip per save); SQLite (in-process, one writer) updates
    /// and reads in two statements of the same transaction.
    /// </summary>
    private async Task<long> NextTurnAsync(Guid entityTypeId, string key, CancellationToken ct)
    {
        if (members.TakeTurn(entityTypeId, key, out var taken)) return taken; // taken ahead with the membership query
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (db.Database.IsNpgsql())
            {
                var turns = await db.Database.SqlQueryRaw<long>(
                    "UPDATE sequence_counters SET next_value = next_value + 1 WHERE tenant_id = {0} AND entity_type_id = {1} AND field_key = {2} RETURNING next_value AS \"Value\"",
                    metadata.TenantId, entityTypeId, key).ToListAsync(ct);
                if (turns.Count == 1) return turns[0] - 2;
            }
            else
            {
                var updated = await db.Sequences.Where(s => s.EntityTypeId == entityTypeId && s.FieldKey == key)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextValue, x => x.NextValue + 1), ct);
                if (updated == 1)
                    return await db.Sequences.AsNoTracking().Where(s => s.EntityTypeId == entityTypeId && s.FieldKey == key).Select(s => s.NextValue).FirstAsync(ct) - 2;
            }
            // First use: create the counter in this transaction (a separate one would wait for this one's lock on
            // SQLite). A racing creator wins on the unique index; EF rolls back to its savepoint and we take a turn.
            var counter = new SequenceCounter { EntityTypeId = entityTypeId, FieldKey = key, NextValue = 1 };
            db.Sequences.Add(counter);
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateException e) when (AutomationEngine.IsUniqueViolation(e)) { }
            finally { db.Entry(counter).State = EntityState.Detached; }
        }
        throw new InvalidOperationException("The round-robin counter could not be created.");
    }

    // ------------------------------------------------------------------ set fields, related records

    private async Task<ActionOutcome> SetFieldsAsync(int index, RuleAction action, Record record, CancellationToken ct)
    {
        var entity = metadata.Entity(record.EntityTypeId)!;
        var changed = await SetAsync(entity, record, action.Values, ct);
        return new ActionOutcome(index, action.Kind, changed ? "done" : "skipped", t["Automation.FieldsSet", string.Join(", ", action.Values.Keys.Select(k => entity.Field(k)?.Label.Get() ?? k))]);
    }

    /// <summary>Sets values given as expressions, checked by the field rules (a wrong value fails the action, naming the field).</summary>
    private async Task<bool> SetAsync(EntityMeta entity, Record record, IReadOnlyDictionary<string, string> expressions, CancellationToken ct, Record? source = null)
    {
        var current = RecordWriter.ParseValues(record.Values);
        var wanted = new Dictionary<string, JsonNode?>();
        foreach (var (key, expression) in expressions)
        {
            var field = entity.Field(key) ?? throw new InvalidOperationException(t["Automation.UnknownField", key]);
            var type = FieldTypeRegistry.Get(field.Type);
            if (type.IsComputed) throw new InvalidOperationException(t["Automation.ComputedField", field.Label.Get()]);
            wanted[key] = type.Normalize(Evaluate(expression, current, source ?? record), new FieldContext(field, entity));
        }
        var pipeline = record.PipelineId is { } pid ? entity.Pipeline(pid) ?? entity.DefaultPipeline : entity.DefaultPipeline;
        var proposed = (JsonObject)current.DeepClone();
        foreach (var (key, value) in wanted) proposed[key] = value?.DeepClone();
        // A lookup set by the rule fills its linked fields (数据联动) as any write that sets it does.
        foreach (var key in await writer.FillLinkedAsync(entity, current, proposed, wanted.Keys.ToHashSet(StringComparer.Ordinal), ct))
            wanted[key] = proposed[key]?.DeepClone();
        var errors = new ValidationErrors();
        new RecordValidator(t).Validate(entity, current, proposed, pipeline, errors);
        var relevant = errors.ToDictionary().Where(e => wanted.ContainsKey(e.Key)).SelectMany(e => e.Value).ToList();
        if (relevant.Count > 0) throw new InvalidOperationException(string.Join(" ", relevant));

        return await writer.RewriteAsync(record, (_, values) =>
        {
            var any = false;
            foreach (var (key, value) in wanted)
            {
                if (JsonNode.DeepEquals(values[key], value)) continue;
                if (value is null) values.Remove(key); else values[key] = value.DeepClone();
                any = true;
            }
            return any;
        }, ct: ct);
    }

    /// <summary>"$me" (who triggered the rule), "$owner", "$today+N", "{field}" (another field's value), else the text itself.</summary>
    private JsonNode? Evaluate(string expression, JsonObject values, Record source)
    {
        var s = expression.Trim();
        if (s == "$me") return run.TriggeredBy == Guid.Empty ? null : JsonValue.Create(run.TriggeredBy.ToString());
        if (s == "$owner") return values[metadata.Entity(run.Rule.EntityTypeId)?.Entity.OwnerFieldKey ?? ""]?.DeepClone();
        if (s.StartsWith("$today", StringComparison.Ordinal)) return JsonValue.Create(RuleConditionEvaluator.Resolve(s, run.TriggeredBy, Now, zone));
        if (s.Length > 2 && s[0] == '{' && s[^1] == '}' && !s[1..^1].Contains('{')) return values[s[1..^1]]?.DeepClone();
        if (expression.Contains('{') && metadata.Entity(run.Rule.EntityTypeId) is { } entity)
            return JsonValue.Create(Render(expression, entity, source, values, Stored));
        return JsonValue.Create(expression);
    }

    private async Task<ActionOutcome> CreateRelatedAsync(int index, RuleAction action, Record record, CancellationToken ct)
    {
        var target = metadata.Entity(action.Entity ?? "") ?? throw new InvalidOperationException(t["Automation.UnknownEntity", action.Entity ?? ""]);
        var values = RecordWriter.ParseValues(record.Values);
        var input = new JsonObject();
        foreach (var (key, expression) in action.Values) input[key] = Evaluate(expression, values, record);
        if (!string.IsNullOrEmpty(action.Field))
        {
            if (target.Field(action.Field) is not { } back || !FieldTypeRegistry.Get(back.Type).LinksRecords) throw new InvalidOperationException(t["Automation.UnknownField", action.Field]);
            input[action.Field] = record.Id.ToString();
        }
        // The new record belongs to the triggering record's owner unless the rule says otherwise (the rule is no member).
        if (target.OwnerField is { } ownerField && !input.ContainsKey(ownerField.Key) && record.OwnerId is { } owner) input[ownerField.Key] = owner.ToString();
        var result = await writer.CreateAsync(target.Key, new RecordInput(input), ct);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join(" ", result.Errors.ToDictionary().SelectMany(e => e.Value)));
        return new ActionOutcome(index, action.Kind, "done", t["Automation.RelatedCreated", target.Entity.Label.Get(), result.Record!.Title]);
    }

    private async Task<ActionOutcome> UpdateRelatedAsync(int index, RuleAction action, Record record, CancellationToken ct)
    {
        var values = RecordWriter.ParseValues(record.Values);
        if (!Guid.TryParse(RuleConditionEvaluator.Texts(values[action.Field ?? ""]).FirstOrDefault(), out var relatedId))
            return new ActionOutcome(index, action.Kind, "skipped", t["Automation.NoRelated"]);
        var related = await db.Records.FirstOrDefaultAsync(r => r.Id == relatedId, ct);
        if (related is null || metadata.Entity(related.EntityTypeId) is not { } entity) return new ActionOutcome(index, action.Kind, "skipped", t["Automation.NoRelated"]);
        // Expressions read the triggering record's values ("{field}" copies from it).
        var resolved = action.Values.ToDictionary(kv => kv.Key, kv => Evaluate(kv.Value, values, record) is JsonValue v && v.TryGetValue<string>(out var s) ? s : Evaluate(kv.Value, values, record)?.ToJsonString() ?? "");
        var changed = await SetAsync(entity, related, resolved, ct);
        return new ActionOutcome(index, action.Kind, changed ? "done" : "skipped", t["Automation.RelatedUpdated", entity.Entity.Label.Get(), related.Title]);
    }

    // ------------------------------------------------------------------ follow-up task

    private Task<ActionOutcome> CreateTaskAsync(int index, RuleAction action, Record record, CancellationToken ct)
    {
        var entity = metadata.Entity(record.EntityTypeId)!;
        var values = RecordWriter.ParseValues(record.Values);
        Guid? assignee = action.Assignee switch
        {
            null or "" or "owner" => record.OwnerId,
            "$me" => run.TriggeredBy == Guid.Empty ? record.OwnerId : run.TriggeredBy,
            var s => Guid.TryParse(s, out var g) ? g : throw new InvalidOperationException(t["Automation.BadAssignee", s]),
        };
        var subject = Render(string.IsNullOrWhiteSpace(action.Text) ? run.Rule.Name.Get() : action.Text, entity, record, values, Stored);
        var now = Now;
        var task = new Activity
        {
            RecordId = record.Id,
            EntityTypeId = record.EntityTypeId,
            Kind = ActivityKind.Task,
            Subject = subject.Length > 300 ? subject[..300] : subject,
            OccurredAt = now,
            CreatedAt = now,
            CreatedBy = run.Rule.Id,
            OwnerId = run.Rule.Id,
            AssigneeId = assignee,
            DueAt = now.AddDays(action.DueDays ?? 0).AddHours(action.DueHours ?? 0),
        };
        db.Activities.Add(task);
        newTasks.Add(task);
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(new ActionOutcome(index, action.Kind, "done", t["Automation.TaskCreated", task.Subject]));
    }

    [GeneratedRegex(@"\{([A-Za-z0-9_$]+)\}")]
    private static partial Regex Placeholder();

    /// <summary>
    /// Replaces {field} with the field's displayed value ({title} is the record's title), displayed as
    /// <paramref name="display"/> says (the workspace's culture and words for stored text: 是/否, option labels).
    /// </summary>
    public static string Render(string text, EntityMeta entity, Record record, JsonObject values, DisplayContext display) => Placeholder().Replace(text, m =>
    {
        var key = m.Groups[1].Value;
        if (key is "title" or "$title" && entity.Field(key) is null) return record.Title;
        if (entity.Field(key) is not { } field) return m.Value;
        return FieldTypeRegistry.Get(field.Type).Display(values[key], new FieldContext(field, entity), display);
    });
}
