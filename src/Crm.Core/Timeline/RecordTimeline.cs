using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Timeline;

/// <summary>
/// A record's history, newest first: its activities, its saves (who changed which field from what to what) and
/// its stage and status transitions, merged and paged. Each page reads at most one page (+1) from each source in
/// SQL and resolves every name on the page (authors, assignees, members and records in old/new values) with one
/// directory call. Values are displayed by their field types, so the timeline reads like the form.
/// </summary>
public sealed class RecordTimeline(ICrmDbContextFactory factory, MetadataStore metadataStore, RecordDirectory directory, IStringLocalizer<CoreStrings> t, IAccessResolver access)
{
    public const int DefaultPageSize = 20;

    public async Task<TimelinePage> GetAsync(Actor actor, Guid recordId, TimelineCursor? after = null, int pageSize = DefaultPageSize,
        TimelineFilter filter = TimelineFilter.All, CultureInfo? culture = null, TimeZoneInfo? timeZone = null, CancellationToken ct = default)
    {
        var cursor = after ?? TimelineCursor.Start;
        var size = Math.Clamp(pageSize, 1, 200);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var record = await db.Records.AsNoTracking().Where(r => r.Id == recordId).Select(r => new { r.EntityTypeId }).FirstOrDefaultAsync(ct);
        if (record is null || metadata.Entity(record.EntityTypeId) is not { } entity) return new TimelinePage([], null);
        // A record the actor may not read has no timeline for them (the same empty page as a missing record).
        var rights = await access.GetAsync(actor, record.EntityTypeId, ct);
        if (!rights.Read.IsAll && !await Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.Id == recordId), db, rights).AnyAsync(ct))
            return new TimelinePage([], null);
        // Changes of fields hidden from the actor are left out (not even "changed, value hidden"); so are stage or
        // status moves when that field is hidden. A save that only touched hidden fields leaves no entry.
        var visible = await access.FieldViewAsync(actor, entity, ct);

        List<Activity> activities = filter == TimelineFilter.Changes ? [] : await db.Activities.AsNoTracking()
            .Where(a => a.RecordId == recordId)
            .OrderByDescending(a => a.OccurredAt).ThenByDescending(a => a.Id)
            .Skip(cursor.Activities).Take(size + 1).ToListAsync(ct);
        List<RecordChange> changes = filter == TimelineFilter.Activities ? [] : await db.RecordChanges.AsNoTracking()
            .Where(c => c.RecordId == recordId)
            .OrderByDescending(c => c.At).ThenByDescending(c => c.Id)
            .Skip(cursor.Changes).Take(size + 1).ToListAsync(ct);
        // The stage a record was created in is part of its "created" entry, not a move.
        List<RecordTransition> transitions = filter == TimelineFilter.Activities ? [] : await db.Transitions.AsNoTracking()
            .Where(x => x.RecordId == recordId && x.FromId != null)
            .OrderByDescending(x => x.At).ThenByDescending(x => x.Id)
            .Skip(cursor.Transitions).Take(size + 1).ToListAsync(ct);

        // Merge three lists that are each newest first; on equal times an activity comes first, then the move,
        // then the save that caused it. Each source's own order is kept, so the offsets stay exact.
        var picked = new List<object>(size);
        int ai = 0, ci = 0, ti = 0;
        while (picked.Count < size)
        {
            var a = ai < activities.Count ? Utc(activities[ai].OccurredAt) : (DateTime?)null;
            var x = ti < transitions.Count ? Utc(transitions[ti].At) : (DateTime?)null;
            var c = ci < changes.Count ? Utc(changes[ci].At) : (DateTime?)null;
            if (a is null && x is null && c is null) break;
            if (a is not null && (x is null || a >= x) && (c is null || a >= c)) picked.Add(activities[ai++]);
            else if (x is not null && (c is null || x >= c)) picked.Add(transitions[ti++]);
            else picked.Add(changes[ci++]);
        }
        var next = ai < activities.Count || ci < changes.Count || ti < transitions.Count
            ? new TimelineCursor(cursor.Activities + ai, cursor.Changes + ci, cursor.Transitions + ti)
            : null;

        // Change rows keep the key they were written with: a key an upgrade renamed since reads as the field it is now.
        var former = FormerKeys(entity);
        var parsed = changes.Take(ci).ToDictionary(c => c.Id, c => (Json.Deserialize<List<FieldChange>>(c.Changes) ?? [])
            .Select(x => former.TryGetValue(x.Field, out var renamedTo) ? x with { Field = renamedTo } : x).ToList());
        var needed = NamesNeeded(entity, picked, parsed).ToList();
        var names = await directory.NamesAsync(actor, needed, ct);
        // Changes and tasks made by an automation rule are attributed to it: "by rule 官网线索分配".
        var unknown = needed.Where(id => !names.ContainsKey(id)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            var rules = await db.AutomationRules.AsNoTracking().Where(r => unknown.Contains(r.Id)).Select(r => new { r.Id, r.Name }).ToListAsync(ct);
            if (rules.Count > 0)
                names = names.Concat(rules.Select(r => KeyValuePair.Create(r.Id, t["Automation.ByRule", r.Name.Get(culture ?? CultureInfo.CurrentUICulture)].Value))).ToDictionary();
        }
        var dc = new DisplayContext(culture ?? CultureInfo.CurrentUICulture, k => t[k], names, timeZone);

        var entries = new List<TimelineEntry>(picked.Count);
        foreach (var item in picked)
        {
            switch (item)
            {
                case Activity activity:
                    entries.Add(new TimelineEntry(TimelineEntryKind.Activity, activity.Id, Utc(activity.OccurredAt), activity.OwnerId ?? activity.CreatedBy, Name(names, activity.OwnerId ?? activity.CreatedBy))
                    {
                        Activity = activity,
                        AssigneeName = Name(names, activity.AssigneeId),
                    });
                    break;
                case RecordTransition transition:
                    if (transition.Kind == TransitionKind.Stage ? visible.StageHidden : visible.StatusHidden) continue;
                    entries.Add(Transition(metadata, entity, transition, dc, names));
                    break;
                case RecordChange change:
                    var fields = Displayed(entity, change, parsed[change.Id].Where(c => visible.CanSee(c.Field)).ToList(), dc);
                    // A save that only moved the stage or status is told by its transition already.
                    if (fields.Count == 0 && change.Kind == RecordChangeKind.Updated && change.Reason is null) continue;
                    entries.Add(new TimelineEntry(change.Kind == RecordChangeKind.Created ? TimelineEntryKind.Created : TimelineEntryKind.Changed,
                        change.Id, Utc(change.At), change.ByUserId, Name(names, change.ByUserId)) { Changes = fields, Reason = change.Reason });
                    break;
            }
        }
        return new TimelinePage(entries, next);
    }

    /// <summary>Old key → current key of the fields template upgrades renamed (<see cref="FieldSettings.FormerKeys"/>);
    /// a key a field holds today is never mapped away.</summary>
    private static Dictionary<string, string> FormerKeys(EntityMeta entity)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in entity.AllFields)
            foreach (var key in field.Settings.FormerKeys ?? [])
                if (entity.Field(key) is null) map[key] = field.Key;
        return map;
    }

    private static IEnumerable<Guid> NamesNeeded(EntityMeta entity, List<object> picked, Dictionary<Guid, List<FieldChange>> parsed)
    {
        foreach (var item in picked)
        {
            switch (item)
            {
                case Activity a:
                    if ((a.OwnerId ?? a.CreatedBy) is { } owner) yield return owner;
                    if (a.AssigneeId is { } assignee) yield return assignee;
                    break;
                case RecordTransition x:
                    if (x.ByUserId is { } by) yield return by;
                    break;
                case RecordChange c:
                    if (c.ByUserId is { } author) yield return author;
                    foreach (var change in parsed[c.Id])
                    {
                        if (FieldTypeRegistry.Find(entity.Field(change.Field)?.Type) is not { ShowsNames: true } type) continue;
                        foreach (var id in type.ReferencedIds(change.Old)) yield return id;
                        foreach (var id in type.ReferencedIds(change.New)) yield return id;
                    }
                    break;
            }
        }
    }

    /// <summary>The saved fields in form order; stage and status moves are left to their transitions.</summary>
    private static List<TimelineFieldChange> Displayed(EntityMeta entity, RecordChange change, List<FieldChange> fields, DisplayContext dc)
    {
        var byKey = fields.GroupBy(f => f.Field).ToDictionary(g => g.Key, g => g.Last());
        var result = new List<TimelineFieldChange>();
        foreach (var field in entity.AllFields)
        {
            if (!byKey.Remove(field.Key, out var fc)) continue;
            var told = change.Kind == RecordChangeKind.Updated && fc.New is not null
                && (field.Key == entity.Entity.StageFieldKey || field.Key == entity.Entity.StatusFieldKey);
            if (told) continue;
            var type = FieldTypeRegistry.Find(field.Type);
            var ctx = new FieldContext(field, entity);
            var (oldText, newText) = type?.DisplayChange(fc.Old, fc.New, ctx, dc) ?? (Raw(fc.Old), Raw(fc.New));
            result.Add(new TimelineFieldChange(field.Key, field.Label.Get(dc.Culture), oldText, newText));
        }
        // A field deleted since: its key is all there is to show.
        foreach (var (key, fc) in byKey) result.Add(new TimelineFieldChange(key, key, Raw(fc.Old), Raw(fc.New)));
        // Formulas and numbers that only followed a stage or status move are told by that move.
        if (change.Kind == RecordChangeKind.Updated && result.All(c => FieldTypeRegistry.Find(entity.Field(c.FieldKey)?.Type)?.IsComputed == true))
            return [];
        return result;
    }

    private static string Raw(JsonNode? node) => node is null ? "" : node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();

    private static TimelineEntry Transition(TenantMetadata metadata, EntityMeta entity, RecordTransition x, DisplayContext dc, IReadOnlyDictionary<Guid, string> names)
    {
        string? from, to, color;
        string? label;
        if (x.Kind == TransitionKind.Stage)
        {
            label = entity.StageField?.Label.Get(dc.Culture);
            from = x.FromId is { } f ? metadata.Stage(f)?.Stage.Label.Get(dc.Culture) : null;
            var target = metadata.Stage(x.ToId)?.Stage;
            to = target?.Label.Get(dc.Culture);
            color = target?.Color;
        }
        else
        {
            label = entity.StatusField?.Label.Get(dc.Culture);
            from = x.FromId is { } f ? metadata.StatusOption(f)?.Option.Label.Get(dc.Culture) : null;
            var target = metadata.StatusOption(x.ToId)?.Option;
            to = target?.Label.Get(dc.Culture);
            color = target?.Color;
        }
        return new TimelineEntry(x.Kind == TransitionKind.Stage ? TimelineEntryKind.Stage : TimelineEntryKind.Status, x.Id, Utc(x.At), x.ByUserId, Name(names, x.ByUserId))
        {
            FieldLabel = label,
            From = from,
            To = to,
            ToColor = color,
            SecondsInFrom = x.SecondsInFrom,
        };
    }

    private static string? Name(IReadOnlyDictionary<Guid, string> names, Guid? id) => id is { } g && names.TryGetValue(g, out var n) ? n : null;

    private static DateTime Utc(DateTime value) => ActivityService.Utc(value);
}
