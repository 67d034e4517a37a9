using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Accounts;
using Crm.Core.Activities;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Fields.Types;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Templates;

/// <summary>
/// Writes a template's sample records through <see cref="RecordWriter"/> (so they are validated like any input),
/// in lookup order, with backdated stage history and activities so boards and reports have something real to
/// show. "$today±N", "$me" and lookups by sample key are resolved here. Errors name the sample's JSON path.
/// </summary>
internal sealed class SampleDataInstaller(CrmDbContext db, TenantMetadata metadata, Actor actor, IStringLocalizer<CoreStrings> t, TimeProvider clock)
{
    private readonly Dictionary<(string Entity, string Key), Guid> _ids = [];

    public async Task<int> InstallAsync(TemplateDocument doc, ValidationErrors errors, Action<int> progress, CancellationToken ct)
    {
        if (!CheckDays(doc, errors)) return 0;
        var writer = new RecordWriter(db, metadata, actor, t, clock);
        var now = clock.GetUtcNow().UtcDateTime;
        var total = doc.SampleData!.Sum(kv => kv.Value.Count);
        var done = 0;
        foreach (var entityKey in LookupOrder(doc))
        {
            var entity = metadata.Entity(entityKey)!;
            var records = doc.SampleData![entityKey];
            for (var i = 0; i < records.Count; i++)
            {
                var sample = records[i];
                var path = $"$.sampleData.{entityKey}[{i}]";
                var values = Resolve(entity, sample.Values, now);
                var firstStage = sample.History is { Count: > 0 } h ? h[0] : null;
                var createdDaysAgo = sample.CreatedDaysAgo ?? firstStage?.DaysAgo ?? 0;
                var finalStage = entity.StageField is { } sf ? values[sf.Key]?.DeepClone() : null;
                if (firstStage is not null && entity.StageField is { } stageField) values[stageField.Key] = firstStage.Stage;

                var created = await writer.CreateAsync(entityKey, new RecordInput(values) { Pipeline = sample.Pipeline, AsOf = now.AddDays(-createdDaysAgo) }, ct);
                if (!Report(created, path, errors)) return 0;
                await db.SaveChangesAsync(ct); // later updates and lookups read it from the database
                var record = created.Record!;
                if (sample.Key is not null) _ids[(entityKey, sample.Key)] = record.Id;

                if (sample.History is { Count: > 0 } history && entity.StageField is { } sfield)
                {
                    for (var s = 1; s < history.Count; s++)
                    {
                        var step = await writer.UpdateAsync(record.Id, RecordInput.Of((sfield.Key, history[s].Stage)) with { AsOf = now.AddDays(-history[s].DaysAgo) }, ct);
                        if (!Report(step, $"{path}.history[{s}]", errors)) return 0;
                        await db.SaveChangesAsync(ct);
                    }
                    if (finalStage is not null && finalStage.ToString() != history[^1].Stage)
                    {
                        var daysInLast = Math.Max(0, history[^1].DaysAgo / 2);
                        var last = await writer.UpdateAsync(record.Id, RecordInput.Of((sfield.Key, finalStage)) with { AsOf = now.AddDays(-daysInLast) }, ct);
                        if (!Report(last, path, errors)) return 0;
                        await db.SaveChangesAsync(ct);
                    }
                }
                AddActivities(record, entity, sample.Activities, now);
                progress(++done * 100 / Math.Max(1, total));
            }
        }
        await db.SaveChangesAsync(ct);
        return done;
    }

    /// <summary>Sample dates are relative to today; more than a century away is a typo (and far enough makes the
    /// calendar overflow). Each offending offset is a template error naming its JSON path.</summary>
    public const int MaxSampleDays = 36_500;

    private bool CheckDays(TemplateDocument doc, ValidationErrors errors)
    {
        var ok = true;
        void Check(double? days, string path)
        {
            if (days is not { } d || Math.Abs(d) <= MaxSampleDays) return;
            ok = false;
            errors.Add(path, t["Template.SampleDays", MaxSampleDays, d.ToString(CultureInfo.InvariantCulture)]);
        }
        foreach (var (entityKey, records) in doc.SampleData!)
            for (var i = 0; i < records.Count; i++)
            {
                var sample = records[i];
                var path = $"$.sampleData.{entityKey}[{i}]";
                Check(sample.CreatedDaysAgo, path + ".createdDaysAgo");
                for (var s = 0; s < (sample.History?.Count ?? 0); s++) Check(sample.History![s].DaysAgo, $"{path}.history[{s}].daysAgo");
                for (var a = 0; a < (sample.Activities?.Count ?? 0); a++)
                {
                    Check(sample.Activities![a].DaysAgo, $"{path}.activities[{a}].daysAgo");
                    Check(sample.Activities[a].DueInDays, $"{path}.activities[{a}].dueInDays");
                }
                foreach (var (key, value) in sample.Values)
                    if (value is JsonValue v && v.TryGetValue<string>(out var text) && text.StartsWith("$today", StringComparison.Ordinal))
                    {
                        var rest = text["$today".Length..];
                        Check(rest.Length == 0 ? 0 : double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0, $"{path}.values.{key}");
                    }
            }
        return ok;
    }

    private bool Report(RecordResult result, string path, ValidationErrors errors)
    {
        if (result.Succeeded) return true;
        foreach (var (field, messages) in result.Errors.ByField)
            foreach (var m in messages)
                errors.Add(field == RecordWriter.RecordErrorKey ? path : $"{path}.values.{field}", m);
        return false;
    }

    /// <summary>Entity types whose records others look up come first.</summary>
    private static IEnumerable<string> LookupOrder(TemplateDocument doc)
    {
        var keys = doc.SampleData!.Keys.ToList();
        var dependsOn = keys.ToDictionary(k => k, k => (doc.EntityTypes.FirstOrDefault(e => e.Key == k)?.Fields ?? [])
            .Where(f => FieldTypeRegistry.Find(f.Type)?.LinksRecords == true && f.Target is not null && f.Target != k && keys.Contains(f.Target)).Select(f => f.Target!).ToHashSet());
        var done = new List<string>();
        while (done.Count < keys.Count)
        {
            var next = keys.Where(k => !done.Contains(k) && dependsOn[k].All(done.Contains)).ToList();
            if (next.Count == 0) next = [keys.First(k => !done.Contains(k))]; // a cycle: its lookups are checked as written
            done.AddRange(next);
        }
        return done;
    }

    private JsonObject Resolve(EntityMeta entity, JsonObject values, DateTime now)
    {
        var resolved = new JsonObject();
        foreach (var (key, value) in values)
        {
            var field = entity.Field(key);
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            var type = FieldTypeRegistry.Find(field?.Type);
            resolved[key] = (type, text) switch
            {
                ({ } t, ['$', ..]) when t.ResolveSample(text, actor.UserId, now) is { } dynamic => dynamic,
                ({ LinksRecords: true }, { } k) when field!.Settings.Target is { } target && _ids.TryGetValue((target, k), out var id) => JsonValue.Create(id.ToString()),
                _ => value?.DeepClone(),
            };
        }
        return resolved;
    }

    /// <summary>
    /// A sample task's due time: <paramref name="days"/> after installing; "due today" (0) is a few hours after
    /// installing, so it is not overdue the moment the workspace opens.
    /// </summary>
    public static DateTime DueAt(DateTime now, int days) => days == 0 ? now.AddHours(3) : now.AddDays(days);

    private void AddActivities(Record record, EntityMeta entity, List<TemplateSampleActivity>? activities, DateTime now)
    {
        if (activities is null) return;
        foreach (var a in activities)
        {
            var kind = Enum.TryParse<ActivityKind>(a.Kind, ignoreCase: true, out var k) ? k : ActivityKind.Note;
            var at = now.AddDays(-a.DaysAgo);
            db.Activities.Add(new Activity
            {
                RecordId = record.Id,
                EntityTypeId = entity.Entity.Id,
                Kind = kind,
                Subject = a.Subject,
                Content = a.Content,
                OccurredAt = at,
                OwnerId = actor.UserId,
                CreatedBy = actor.UserId,
                CreatedAt = at,
                DueAt = kind == ActivityKind.Task && a.DueInDays is { } due ? DueAt(now, due) : null,
                AssigneeId = kind == ActivityKind.Task ? actor.UserId : null,
                CompletedAt = kind == ActivityKind.Task && a.Done == true ? at.AddDays(1) : null,
            });
            if (Activity.IsInteraction(kind) && (record.LastActivityAt is null || record.LastActivityAt < at)) record.LastActivityAt = at;
        }
    }
}
