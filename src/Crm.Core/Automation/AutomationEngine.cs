using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Notifications;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;

namespace Crm.Core.Automation;

/// <summary>
/// What a manual run did: of <see cref="Selected"/> records, <see cref="Skipped"/> were not the rule's type or not
/// editable by the actor, <see cref="Matched"/> met the conditions, <see cref="Acted"/> had an action do something,
/// <see cref="Failed"/> had an action fail (see the run history).
/// </summary>
public sealed record ManualRunResult(int Selected, int Skipped, int Matched, int Acted, int Failed);

/// <summary>
/// Runs automation rules. Writers hand their committed writes to <see cref="AfterCommitAsync"/>: the rules whose
/// trigger matches are picked from a per-tenant cache keyed by the metadata version (a rule save bumps it, so a
/// disabled rule stops at once), conditions are decided in memory, and the rules triggered by one write run
/// together in one transaction (one save, one commit). Every record action goes through <see cref="RecordWriter"/>
/// in System mode as the rule (so the timeline says "by rule …"). When an action fails, that transaction rolls back
/// and each rule runs again in its own, each action inside a savepoint, so that a failing action is reported in the
/// run history without undoing the others, and never the user's save, which committed before. Writes made by rules trigger
/// rules again, up to <see cref="MaxDepth"/>.
/// </summary>
public sealed class AutomationEngine(
    ICrmDbContextFactory factory,
    MetadataStore metadataStore,
    IStringLocalizer<CoreStrings> t,
    TimeProvider clock,
    RecordEvents recordEvents,
    ActivityEvents activityEvents,
    IServiceProvider services,
    ILogger<AutomationEngine> log)
{
    /// <summary>Rules caused by rules stop here: a user's write runs rules at depth 1, their writes at depth 2, …</summary>
    public const int MaxDepth = 3;

    private readonly ConcurrentDictionary<Guid, (long Version, IReadOnlyList<AutomationRule> Rules)> cache = new();

    /// <summary>The tenant's enabled, unarchived rules at the metadata version <paramref name="metadata"/> was read at.</summary>
    public async Task<IReadOnlyList<AutomationRule>> ActiveRulesAsync(TenantMetadata metadata, CancellationToken ct = default)
    {
        if (cache.TryGetValue(metadata.TenantId, out var hit) && hit.Version == metadata.Version) return hit.Rules;
        await using var db = factory.CreateForTenant(metadata.TenantId);
        var rules = await db.AutomationRules.AsNoTracking().Where(r => r.IsEnabled && !r.IsArchived)
            .OrderBy(r => r.SortOrder).ThenBy(r => r.CreatedAt).ToListAsync(ct);
        cache[metadata.TenantId] = (metadata.Version, rules);
        return rules;
    }

    /// <summary>Runs the rules triggered by a user's committed writes. Never throws for a rule's failure (it is logged and recorded).</summary>
    public Task AfterCommitAsync(Actor actor, TenantMetadata metadata, IReadOnlyList<RecordWrite> writes, CancellationToken ct = default)
        => DispatchAsync(actor.Tenant, metadata, writes, actor.UserId, depth: 1, ct);

    private async Task DispatchAsync(TenantInfo tenant, TenantMetadata metadata, IReadOnlyList<RecordWrite> writes, Guid triggeredBy, int depth, CancellationToken ct)
    {
        if (writes.Count == 0) return;
        var rules = await ActiveRulesAsync(metadata, ct);
        if (rules.Count == 0) return;
        foreach (var write in writes)
        {
            var triggered = new List<(AutomationRule Rule, string Trigger)>();
            foreach (var rule in rules)
                if (rule.EntityTypeId == write.Record.EntityTypeId && TriggeredBy(rule.Trigger, write) is { } trigger) triggered.Add((rule, trigger));
            if (triggered.Count == 0) continue;

            // Usually every action succeeds: all the rules of this write in one transaction (one history insert, one
            // commit). Should anything fail, that transaction rolls back whole and each rule runs again on its own,
            // action by action with savepoints, so the failure is reported as before.
            List<RecordWrite>? caused = null;
            if (depth <= MaxDepth)
            {
                try { caused = await RunTogetherAsync(tenant, metadata, triggered, write, triggeredBy, depth, ct); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogDebug(e, "Automation rules on record {Record} fall back to one run per rule", write.Record.Id);
                }
            }
            if (caused is not null)
            {
                if (caused.Count > 0) await DispatchAsync(tenant, metadata, caused, triggeredBy, depth + 1, ct);
                continue;
            }
            foreach (var (rule, trigger) in triggered)
            {
                try
                {
                    await RunAsync(new RunContext(tenant, metadata, rule, write.Record.Id, trigger, write.Changes, triggeredBy, depth, Claim: null), ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Automation rule {Rule} failed on record {Record}", rule.Id, write.Record.Id);
                }
            }
        }
    }

    /// <summary>
    /// The fast path of <see cref="DispatchAsync"/>: runs every rule triggered by one write in one transaction, with no
    /// savepoints and one save at the end. Returns the writes the rules made (for the next depth), or null when it
    /// did not commit anything (an action failed or cannot run here, e.g. moving to a pool): then the caller runs
    /// the rules one by one.
    /// </summary>
    private async Task<List<RecordWrite>?> RunTogetherAsync(TenantInfo tenant, TenantMetadata metadata, List<(AutomationRule Rule, string Trigger)> triggered,
        RecordWrite write, Guid triggeredBy, int depth, CancellationToken ct)
    {
        if (!CanRunTogether(triggered)) return null;
        Together? done;
        await using (var db = factory.CreateForTenant(tenant.Id))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            done = await RunRulesAsync(db, tenant, metadata, triggered, write, triggeredBy, depth, ct);
            if (done is null) return null; // disposing the transaction rolls it back
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        Publish(tenant, done);
        return done.Writes;
    }

    private bool CanRunTogether(List<(AutomationRule Rule, string Trigger)> triggered)
    {
        var notifications = services.GetService<INotificationService>() is NotificationService;
        foreach (var (rule, _) in triggered)
            if (rule.Actions.Any(a => a.Kind == ActionKinds.MoveToPool || (a.Kind == ActionKinds.Notify && !notifications))) return false;
        return true;
    }

    /// <summary>What the rules of one write did in a transaction, to publish once it commits.</summary>
    internal sealed record Together(List<RecordWriter> Writers, List<Activity> Tasks, List<Notification> Staged)
    {
        public List<RecordWrite> Writes => Writers.SelectMany(w => w.Writes).ToList();
    }

    private void Publish(TenantInfo tenant, Together done)
    {
        foreach (var e in done.Writers.SelectMany(w => w.Events)) recordEvents.Publish(e);
        foreach (var task in done.Tasks)
            activityEvents.Publish(new ActivityEvent(tenant.Id, task.RecordId, task.Id, task.CreatedBy, task.AssigneeId is { } a ? [a] : []));
        (services.GetService<INotificationService>() as NotificationService)?.Committed(tenant.Id, done.Staged);
    }

    /// <summary>
    /// Runs every rule triggered by one write on <paramref name="db"/> (in the caller's transaction), everything
    /// staged on the context but not saved; null when an action failed (the caller rolls back).
    /// </summary>
    /// <param name="savepoint">
    /// Made first, before anything is written (sent with the membership query on PostgreSQL), when the caller rolls
    /// back to it on a failure.
    /// </param>
    private async Task<Together?> RunRulesAsync(CrmDbContext db, TenantInfo tenant, TenantMetadata metadata, List<(AutomationRule Rule, string Trigger)> triggered,
        RecordWrite write, Guid triggeredBy, int depth, CancellationToken ct, string? savepoint = null, bool inPlace = false)
    {
        var notifications = services.GetService<INotificationService>() as NotificationService;
        var now = clock.GetUtcNow().UtcDateTime;
        var zone = WorkspaceTimeZone.Resolve(tenant.TimeZone);
        var done = new Together([], [], []);
        var members = new RuleMembers(tenant.Id);
        // One webhook outbox for all the rules' writes, staging against the enabled webhooks the save just read.
        var webhooks = new Webhooks.WebhookOutboxStep(new Webhooks.WebhookOutbox(write.EnabledWebhooks));
        // The record as it was just saved (not read again): a copy, so the caller's object stays as it was
        // committed. Its version is the concurrency token: a change by someone else in between fails the save,
        // and the rules run again one by one on what is in the database.
        if (metadata.Entity(write.Record.EntityTypeId) is not { } entity)
        {
            if (savepoint is not null) await db.Database.CurrentTransaction!.CreateSavepointAsync(savepoint, ct);
            return done;
        }
        // In place (<see cref="RunBeforeSaveAsync"/>): the record being written itself, not saved yet, so that the
        // rules' changes go into the same row write.
        var record = inPlace ? write.Record : (Record)db.Entry(write.Record).CurrentValues.ToObject();
        if (!inPlace) db.Records.Attach(record);
        // Everyone the rules name, asked about once, and the round-robin turns of the rules whose conditions hold
        // on the saved record, taken ahead (one round trip with the savepoint on PostgreSQL). A turn taken ahead
        // and not used (an earlier rule's change made the conditions false) is given back before the save.
        var counters = new List<(Guid EntityTypeId, string Key)>();
        if (db.Database.IsNpgsql())
        {
            var saved = RecordWriter.ParseValues(record.Values);
            foreach (var (rule, _) in triggered)
            {
                if (!rule.Actions.Any(RuleActions.TakesTurn)) continue;
                // Nothing may fail before the savepoint exists: conditions that cannot be decided take no turn ahead
                // (they fail again when the rule runs, behind the savepoint).
                bool met;
                try { met = RuleConditionEvaluator.Matches(rule.Conditions, entity, record, saved, write.Changes, triggeredBy, now, zone); }
                catch (Exception e) when (e is not OperationCanceledException) { met = false; }
                if (!met) continue;
                for (var i = 0; i < rule.Actions.Count; i++)
                    if (RuleActions.TakesTurn(rule.Actions[i])) counters.Add((entity.Entity.Id, RuleActions.TurnKey(rule.Id, i)));
            }
        }
        await members.PrefetchAsync(db, savepoint, triggered.SelectMany(r => r.Rule.Actions).SelectMany(a => a.Users)
            .Concat(record.OwnerId is { } o ? [o] : []), counters, ct);
        foreach (var (rule, trigger) in triggered)
        {
            var run = new RunContext(tenant, metadata, rule, record.Id, trigger, write.Changes, triggeredBy, depth, Claim: null);
            var history = new AutomationRun { RuleId = rule.Id, RecordId = record.Id, Trigger = trigger, At = now, Depth = depth, Succeeded = true };
            var writer = new RecordWriter(db, metadata, new Actor(rule.Id, rule.Name.Get(), tenant, MemberRole.Admin), t, clock, webhooks: webhooks);
            done.Writers.Add(writer);
            history.ConditionsMet = RuleConditionEvaluator.Matches(rule.Conditions, entity, record, RecordWriter.ParseValues(record.Values), write.Changes, triggeredBy, now, zone);
            if (history.ConditionsMet)
            {
                var actions = new RuleActions(db, metadata, writer, t, clock, run, zone, members);
                for (var i = 0; i < rule.Actions.Count; i++)
                {
                    var action = rule.Actions[i];
                    ActionOutcome outcome;
                    if (action.Kind == ActionKinds.Notify)
                    {
                        var (request, result) = await NotificationAsync(db, members, i, action, run, record, ct);
                        if (request is not null) done.Staged.AddRange(notifications!.Stage(db, tenant.Id, request, request.UserIds));
                        outcome = result;
                    }
                    else outcome = await actions.RunAsync(i, action, record, ct);
                    if (outcome.Status == "failed") return null;
                    history.Outcomes.Add(outcome);
                }
                done.Tasks.AddRange(actions.TakeNewTasks());
            }
            db.AutomationRuns.Add(history);
        }
        await members.ReturnUnusedTurnsAsync(db, ct);
        return done;
    }

    /// <summary>
    /// The rules of a user's save of ONE record, run on the save's own context BEFORE it is saved (like a before-save
    /// flow): the rules change the record being written in memory, each change through <see cref="RecordWriter"/>
    /// as the rule (its own timeline entry, version, transitions, webhook event, run history, exactly as when it ran
    /// after the insert), and everything — the user's record with the rules' changes, their history, tasks,
    /// notifications and runs — goes to the database in the caller's one save: one row write instead of an insert
    /// and then an update. Only rules whose actions all act on that record or add rows (assign the owner, set
    /// fields, create a task, notify) run here; otherwise null is returned and the caller saves and then calls
    /// <see cref="RunInSaveAsync"/> as before. Throws when an action fails: the caller must then roll its whole
    /// transaction back and write again without this (the rules then run behind a savepoint or after the commit,
    /// with a failure reported per action); so must it when the save itself fails after this staged anything.
    /// Call <see cref="AfterSaveAsync"/> with the result once the caller committed.
    /// </summary>
    public async Task<RulesInSave?> RunBeforeSaveAsync(Actor actor, TenantMetadata metadata, CrmDbContext db, IReadOnlyList<RecordWrite> writes)
    {
        if (writes.Count != 1 || writes[0].Db != db || db.Database.CurrentTransaction is null) return null;
        var write = writes[0];
        var ct = CancellationToken.None; // a closed page must not roll the user's save back halfway through its rules
        var result = new RulesInSave(actor, metadata);
        var rules = await ActiveRulesAsync(metadata, ct);
        if (rules.Count == 0) return result;
        var triggered = Triggered(rules, write);
        if (triggered.Count == 0) return result;
        if (!CanRunBeforeSave(triggered)) return null;
        var done = await RunRulesAsync(db, actor.Tenant, metadata, triggered, write, actor.UserId, depth: 1, ct, savepoint: null, inPlace: true)
            ?? throw new RulesNotStagedException();
        result.Done.Add(done);
        return result;
    }

    /// <summary>An action of a rule run by <see cref="RunBeforeSaveAsync"/> failed: the caller writes again without it.</summary>
    public sealed class RulesNotStagedException() : Exception("An automation action failed before the save; the save is made again with the rules run after it.");

    private static List<(AutomationRule Rule, string Trigger)> Triggered(IReadOnlyList<AutomationRule> rules, RecordWrite write)
    {
        var triggered = new List<(AutomationRule Rule, string Trigger)>();
        foreach (var rule in rules)
            if (rule.EntityTypeId == write.Record.EntityTypeId && TriggeredBy(rule.Trigger, write) is { } trigger) triggered.Add((rule, trigger));
        return triggered;
    }

    /// <summary>Actions that only change the triggering record or add rows of their own (nothing that reads the record back from the database).</summary>
    private bool CanRunBeforeSave(List<(AutomationRule Rule, string Trigger)> triggered)
    {
        if (!CanRunTogether(triggered)) return false;
        foreach (var (rule, _) in triggered)
            if (rule.Actions.Any(a => a.Kind is not (ActionKinds.AssignOwner or ActionKinds.SetFields or ActionKinds.CreateTask or ActionKinds.Notify))) return false;
        return true;
    }

    /// <summary>
    /// The rules of a user's save, run INSIDE the save's transaction (one commit for the save and its rules instead
    /// of two), behind a savepoint: on another context sharing <paramref name="db"/>'s connection and transaction,
    /// so the caller's tracked objects are untouched. If anything fails, the transaction goes back to the savepoint
    /// — the user's save is kept — and those writes are handed to <see cref="AfterSaveAsync"/> to run after the
    /// commit as before (own transaction, then one by one with a failure reported per action). Never throws for a
    /// rule's failure. Call <see cref="AfterSaveAsync"/> with the result once the caller committed.
    /// </summary>
    public async Task<RulesInSave> RunInSaveAsync(Actor actor, TenantMetadata metadata, CrmDbContext db, IReadOnlyList<RecordWrite> writes)
    {
        var result = new RulesInSave(actor, metadata);
        if (writes.Count == 0) return result;
        var ct = CancellationToken.None; // a closed page must not roll the user's save back halfway through its rules
        var rules = await ActiveRulesAsync(metadata, ct);
        if (rules.Count == 0 || db.Database.CurrentTransaction is not { } tx) { result.Later.AddRange(writes); return result; }
        var n = 0;
        foreach (var write in writes)
        {
            var triggered = new List<(AutomationRule Rule, string Trigger)>();
            foreach (var rule in rules)
                if (rule.EntityTypeId == write.Record.EntityTypeId && TriggeredBy(rule.Trigger, write) is { } trigger) triggered.Add((rule, trigger));
            if (triggered.Count == 0) continue;
            if (!CanRunTogether(triggered)) { result.Later.Add(write); continue; }
            var savepoint = "crm_rules_" + n++;
            try
            {
                Together? done;
                await using (var rulesDb = factory.CreateForTenant(actor.TenantId))
                {
                    rulesDb.Database.SetDbConnection(db.Database.GetDbConnection(), contextOwnsConnection: false);
                    await rulesDb.Database.UseTransactionAsync(tx.GetDbTransaction(), ct);
                    rulesDb.Database.AutoSavepointsEnabled = false;
                    // The savepoint is the rules' first command (with their first query on PostgreSQL).
                    done = await RunRulesAsync(rulesDb, actor.Tenant, metadata, triggered, write, actor.UserId, depth: 1, ct, savepoint);
                    if (done is not null) await rulesDb.SaveChangesAsync(ct);
                }
                if (done is null) { await tx.RollbackToSavepointAsync(savepoint, ct); result.Later.Add(write); continue; }
                result.Done.Add(done);
            }
            catch (Exception e)
            {
                log.LogDebug(e, "Automation rules on record {Record} run after the save instead", write.Record.Id);
                await tx.RollbackToSavepointAsync(savepoint, ct);
                result.Later.Add(write);
            }
        }
        return result;
    }

    /// <summary>After the save of <see cref="RunInSaveAsync"/> committed: events, rules caused by the rules, and the rules that could not run inside.</summary>
    public async Task AfterSaveAsync(RulesInSave rules, CancellationToken ct = default)
    {
        var tenant = rules.Actor.Tenant;
        foreach (var done in rules.Done) Publish(tenant, done);
        var caused = rules.Done.SelectMany(d => d.Writes).ToList();
        if (caused.Count > 0) await DispatchAsync(tenant, rules.Metadata, caused, rules.Actor.UserId, depth: 2, ct);
        if (rules.Later.Count > 0) await DispatchAsync(tenant, rules.Metadata, rules.Later, rules.Actor.UserId, depth: 1, ct);
    }

    /// <summary>What <see cref="RunInSaveAsync"/> did in the save's transaction and what is left for after its commit.</summary>
    public sealed class RulesInSave(Actor actor, TenantMetadata metadata)
    {
        internal Actor Actor { get; } = actor;
        internal TenantMetadata Metadata { get; } = metadata;
        internal List<Together> Done { get; } = [];
        internal List<RecordWrite> Later { get; } = [];
        /// <summary>Whether rules staged anything on the caller's context (<see cref="RunBeforeSaveAsync"/>).</summary>
        public bool Staged => Done.Count > 0;
    }

    /// <summary>
    /// The notify action's people and message, on both paths (staged in the run's transaction, or sent after it):
    /// the named users and the owner, then the holders of the roles and members of the departments (active members
    /// only, read now on <paramref name="db"/>); only people who are members of the workspace. Null request when
    /// nobody is left (the outcome says so).
    /// </summary>
    private async Task<(NotificationRequest? Request, ActionOutcome Outcome)> NotificationAsync(CrmDbContext db, RuleMembers members, int index, RuleAction action,
        RunContext run, Record record, CancellationToken ct)
    {
        var named = action.Users.ToList();
        if (action.Assignee == "owner" && record.OwnerId is { } owner) named.Add(owner);
        if (action.Roles.Count > 0 || action.Departments.Count > 0)
            named.AddRange(await RuleTargets.MembersOfAsync(db, run.Tenant.Id, action.Roles, action.Departments, ct));
        var users = (await members.MembersAsync(db, named, ct)).Select(m => m.UserId).ToList();
        if (users.Count == 0) return (null, new ActionOutcome(index, action.Kind, "skipped", t["Automation.NobodyToNotify"]));
        var entity = run.Metadata.Entity(record.EntityTypeId)!;
        var text = RuleActions.Render(action.Text ?? "", entity, record, RecordWriter.ParseValues(record.Values), Export.LocalizerCulture.WorkspaceDisplay(t, run.Tenant));
        var request = new NotificationRequest(users, "rule", string.IsNullOrWhiteSpace(text) ? run.Rule.Name.Get() : text,
            t["Automation.NotificationBody", run.Rule.Name.Get(), record.Title], record.Id, record.EntityTypeId);
        return (request, new ActionOutcome(index, action.Kind, "done", t["Automation.Notified", users.Count]));
    }

    /// <summary>The trigger name when <paramref name="trigger"/> fires for this write, else null.</summary>
    public static string? TriggeredBy(RuleTrigger trigger, RecordWrite write)
    {
        var entity = write.Entity.Entity;
        switch (trigger.Kind)
        {
            case TriggerKinds.Created:
                return write.IsNew ? TriggerKinds.Created : null;
            case TriggerKinds.Updated:
                if (write.IsNew || write.Changes.Count == 0) return null;
                return trigger.Fields.Count == 0 || trigger.Fields.Any(f => write.Changed(f)) ? TriggerKinds.Updated : null;
            case TriggerKinds.StageEntered:
                return Moved(write, entity.StageFieldKey, trigger) ? TriggerKinds.StageEntered : null;
            case TriggerKinds.StatusChanged:
                return Moved(write, entity.StatusFieldKey, trigger) ? TriggerKinds.StatusChanged : null;
            default:
                return null; // time-based and manual rules are started elsewhere
        }
    }

    private static bool Moved(RecordWrite write, string? key, RuleTrigger trigger)
    {
        if (key is null || !write.Changed(key)) return false;
        var from = RuleConditionEvaluator.Texts(write.Before[key]).FirstOrDefault();
        var to = RuleConditionEvaluator.Texts(write.After[key]).FirstOrDefault();
        return to is not null && (trigger.To is null || trigger.To == to) && (trigger.From is null || trigger.From == from);
    }

    /// <summary>At most this many records per manual run (a list's selection).</summary>
    public const int MaxManualRecords = 500;

    /// <summary>
    /// Runs a manual rule on the given records (the record page's "Run rule", a list's bulk action) with the actor's
    /// current rights: only records of the rule's type that the actor may edit now (the edit scope, in SQL) are run;
    /// the others are counted as skipped. The actions themselves run as the rule, like any rule's.
    /// </summary>
    public async Task<ManualRunResult> RunManualAsync(Actor actor, Guid ruleId, IReadOnlyCollection<Guid> recordIds, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        var metadata = await metadataStore.GetAsync(actor.TenantId, ct);
        var rule = (await ActiveRulesAsync(metadata, ct)).FirstOrDefault(r => r.Id == ruleId && r.Trigger.Kind == TriggerKinds.Manual)
            ?? throw new ArgumentException(t["Automation.NoSuchManualRule"], nameof(ruleId));
        var wanted = recordIds.Distinct().ToList();
        if (wanted.Count > MaxManualRecords) throw new ArgumentException(t["Automation.TooManyRecords", MaxManualRecords], nameof(recordIds));

        List<Guid> allowed;
        await using (var db = factory.CreateForTenant(actor.TenantId))
        {
            var rights = await AccessResolver.ResolveAsync(db, actor, [rule.EntityTypeId], ct);
            var ofType = db.Records.AsNoTracking().Where(r => r.EntityTypeId == rule.EntityTypeId && wanted.Contains(r.Id));
            allowed = await RecordScope.Apply(ofType, db, rights[rule.EntityTypeId], RecordOperation.Edit)
                .Select(r => r.Id).ToListAsync(ct);
        }

        int met = 0, acted = 0, failed = 0;
        foreach (var id in wanted.Where(allowed.Contains))
        {
            var run = await RunAsync(new RunContext(actor.Tenant, metadata, rule, id, TriggerKinds.Manual, null, actor.UserId, 1, null), ct);
            if (run is not { ConditionsMet: true }) continue;
            met++;
            if (run.Outcomes.Any(o => o.Status == "done")) acted++;
            if (!run.Succeeded) failed++;
        }
        return new ManualRunResult(wanted.Count, wanted.Count - allowed.Count, met, acted, failed);
    }

    /// <summary>What starts one run of a rule on a record; <see cref="Claim"/> is set for time-based firings (claimed once).</summary>
    internal sealed record RunContext(TenantInfo Tenant, TenantMetadata Metadata, AutomationRule Rule, Guid RecordId, string Trigger,
        IReadOnlyList<FieldChange>? Changes, Guid TriggeredBy, int Depth, FiringClaim? Claim);

    /// <summary>The firing a time-based run claims (see <see cref="AutomationFiring"/>).</summary>
    internal sealed record FiringClaim(Guid SubjectId, string Occurrence, DateTime? Anchor);

    /// <summary>
    /// One run: claim (time-based), conditions, actions, history; all record changes in one transaction. Returns the
    /// run, or null when the record is gone or another worker claimed the firing.
    /// </summary>
    internal async Task<AutomationRun?> RunAsync(RunContext run, CancellationToken ct)
    {
        var rule = run.Rule;
        var now = clock.GetUtcNow().UtcDateTime;
        var history = new AutomationRun { RuleId = rule.Id, RecordId = run.RecordId, Trigger = run.Trigger, At = now, Depth = run.Depth };
        var ruleActor = new Actor(rule.Id, rule.Name.Get(), run.Tenant, MemberRole.Admin);
        var external = new List<(int Index, RuleAction Action)>();
        var committed = new List<RecordWrite>();
        var tasks = new List<Activity>();
        RecordWriter writer;
        Record? record;

        await using (var db = factory.CreateForTenant(run.Tenant.Id))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (run.Claim is { } claim)
            {
                db.AutomationFirings.Add(new AutomationFiring { RuleId = rule.Id, SubjectId = claim.SubjectId, Occurrence = claim.Occurrence, Anchor = claim.Anchor, At = now });
                try { await db.SaveChangesAsync(ct); }
                catch (DbUpdateException e) when (IsUniqueViolation(e)) { return null; } // another worker fired it
            }
            record = await db.Records.FirstOrDefaultAsync(r => r.Id == run.RecordId, ct);
            if (record is null || run.Metadata.Entity(record.EntityTypeId) is not { } entity) return null;

            if (run.Depth > MaxDepth)
            {
                history.Error = t["Automation.DepthLimit", MaxDepth];
                db.AutomationRuns.Add(history);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return history;
            }

            var zone = WorkspaceTimeZone.Resolve(run.Tenant.TimeZone);
            history.ConditionsMet = RuleConditionEvaluator.Matches(rule.Conditions, entity, record, RecordWriter.ParseValues(record.Values),
                run.Changes, run.TriggeredBy, now, zone);
            history.Succeeded = true;
            writer = new RecordWriter(db, run.Metadata, ruleActor, t, clock);
            if (history.ConditionsMet)
            {
                var actions = new RuleActions(db, run.Metadata, writer, t, clock, run, zone, new RuleMembers(run.Tenant.Id));
                for (var i = 0; i < rule.Actions.Count; i++)
                {
                    var action = rule.Actions[i];
                    if (action.Kind is ActionKinds.MoveToPool or ActionKinds.Notify) { external.Add((i, action)); continue; }
                    var savepoint = "rule_action_" + i;
                    var writesBefore = writer.Writes.Count;
                    await tx.CreateSavepointAsync(savepoint, ct);
                    ActionOutcome outcome;
                    try
                    {
                        outcome = await actions.RunAsync(i, action, record, ct);
                        await db.SaveChangesAsync(ct);
                        committed.AddRange(writer.Writes.Skip(writesBefore));
                        tasks.AddRange(actions.TakeNewTasks());
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        await tx.RollbackToSavepointAsync(savepoint, ct);
                        db.ChangeTracker.Clear();
                        actions.TakeNewTasks();
                        record = await db.Records.FirstAsync(r => r.Id == run.RecordId, ct);
                        outcome = new ActionOutcome(i, action.Kind, "failed", Message(e));
                    }
                    if (outcome.Status == "failed") history.Succeeded = false;
                    history.Outcomes.Add(outcome);
                }
            }
            db.AutomationRuns.Add(history);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        // After the commit: live events, then the actions that reach beyond this database transaction.
        foreach (var e in writer.Events.Where(e => committed.Any(w => w.Record.Id == e.RecordId))) recordEvents.Publish(e);
        foreach (var task in tasks)
            activityEvents.Publish(new ActivityEvent(run.Tenant.Id, task.RecordId, task.Id, rule.Id, task.AssigneeId is { } a ? [a] : []));
        if (external.Count > 0)
        {
            foreach (var (index, action) in external)
            {
                ActionOutcome outcome;
                try { outcome = await ExternalAsync(index, action, run, ruleActor, record, ct); }
                catch (Exception e) when (e is not OperationCanceledException) { outcome = new ActionOutcome(index, action.Kind, "failed", Message(e)); }
                if (outcome.Status == "failed") history.Succeeded = false;
                history.Outcomes.Add(outcome);
            }
            history.Outcomes = [.. history.Outcomes.OrderBy(o => o.Index)];
            await using var db = factory.CreateForTenant(run.Tenant.Id);
            db.AutomationRuns.Attach(history);
            db.Entry(history).Property(x => x.Outcomes).IsModified = true;
            db.Entry(history).Property(x => x.Succeeded).IsModified = true;
            await db.SaveChangesAsync(ct);
        }

        // Rules caused by this rule's writes.
        if (committed.Count > 0)
            await DispatchAsync(run.Tenant, await metadataStore.GetAsync(run.Tenant.Id, ct), committed, run.TriggeredBy, run.Depth + 1, ct);
        return history;
    }

    private async Task<ActionOutcome> ExternalAsync(int index, RuleAction action, RunContext run, Actor ruleActor, Record record, CancellationToken ct)
    {
        switch (action.Kind)
        {
            case ActionKinds.MoveToPool:
                if (services.GetService<IPoolMover>() is not { } mover) return new ActionOutcome(index, action.Kind, "unavailable", t["Automation.PoolsUnavailable"]);
                if (string.IsNullOrWhiteSpace(action.Pool)) return new ActionOutcome(index, action.Kind, "failed", t["Automation.PoolMissing"]);
                var moved = await mover.MoveToPoolAsync(ruleActor, record.Id, action.Pool, t["Automation.PoolReason", run.Rule.Name.Get()], ct);
                return moved ? new ActionOutcome(index, action.Kind, "done", t["Automation.MovedToPool", action.Pool])
                    : new ActionOutcome(index, action.Kind, "failed", t["Automation.NoSuchPool", action.Pool]);
            default:
                if (services.GetService<INotificationService>() is not { } notifications) return new ActionOutcome(index, action.Kind, "unavailable", t["Automation.NotificationsUnavailable"]);
                NotificationRequest? request;
                ActionOutcome outcome;
                await using (var db = factory.CreateForTenant(run.Tenant.Id))
                    (request, outcome) = await NotificationAsync(db, new RuleMembers(run.Tenant.Id), index, action, run, record, ct);
                if (request is not null) await notifications.NotifyAsync(run.Tenant.Id, request, ct);
                return outcome;
        }
    }

    private static string Message(Exception e) => (e.InnerException?.Message ?? e.Message) is { Length: > 500 } m ? m[..500] : e.InnerException?.Message ?? e.Message;

    /// <summary>A unique index refused the row (on either provider).</summary>
    public static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException lite => lite.SqliteErrorCode == 19,
        _ => false,
    };
}
