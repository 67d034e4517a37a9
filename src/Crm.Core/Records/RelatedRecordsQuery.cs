using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Records;

/// <summary>A record this record points at through one of its lookup fields (e.g. an opportunity's customer).</summary>
public sealed record OutgoingLink(FieldDefinition Field, EntityMeta Target, Guid Id, string? Title);

/// <summary>One row of an incoming group: the record and the group's summary columns, already displayed.</summary>
public sealed record RelatedRow(Guid Id, string Title, IReadOnlyList<string> Cells, DateTime UpdatedAt);

/// <summary>Records of <see cref="Entity"/> whose lookup <see cref="Field"/> holds this record (e.g. a customer's contacts).</summary>
public sealed record RelatedGroup(EntityMeta Entity, FieldDefinition Field, int Count, IReadOnlyList<FieldDefinition> Columns, IReadOnlyList<RelatedRow> Rows);

public sealed record RelatedRecords(IReadOnlyList<OutgoingLink> Outgoing, IReadOnlyList<RelatedGroup> Incoming)
{
    public static readonly RelatedRecords None = new([], []);
}

/// <summary>
/// Lookups in both directions for the record page. Outgoing: the record's own lookup values with the targets'
/// titles. Incoming: for every lookup field of any entity type that targets this record's type, a count and the
/// latest rows whose value is this record's id — each a query in SQL on the JSON value, limited, inside the
/// actor's workspace only.
/// </summary>
public sealed class RelatedRecordsQuery(ICrmDbContextFactory factory, MetadataStore metadataStore, RecordDirectory directory, IStringLocalizer<CoreStrings> t, Permissions.IAccessResolver access)
{
    public const int DefaultTake = 5;

    public async Task<RelatedRecords> GetAsync(Actor actor, Guid recordId, int take = DefaultTake, CultureInfo? culture = null, CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var rights = await access.GetAllAsync(actor, metadata.EntityTypes.Select(e => e.Entity.Id).ToList(), ct);
        // The record itself must be readable, and each incoming group counts and lists only readable records.
        var record = await Permissions.RecordScope.Apply(db.Records.AsNoTracking(), db, rights).FirstOrDefaultAsync(r => r.Id == recordId, ct);
        if (record is null || metadata.Entity(record.EntityTypeId) is not { } entity) return RelatedRecords.None;
        take = Math.Clamp(take, 1, 50);

        var values = RecordWriter.ParseValues(record.Values);
        var outgoing = new List<(FieldDefinition Field, EntityMeta Target, Guid Id)>();
        foreach (var field in entity.Fields.Where(f => f.Type == FieldTypes.Lookup))
            if (metadata.Entity(field.Settings.Target ?? "") is { } target && values[field.Key] is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var targetId))
                outgoing.Add((field, target, targetId));

        var idText = record.Id.ToString();
        var groups = new List<(EntityMeta Entity, FieldDefinition Field, int Count, List<Record> Rows)>();
        foreach (var source in metadata.EntityTypes.Where(e => !e.Entity.IsArchived))
        {
            foreach (var field in source.Fields.Where(f => f.Type == FieldTypes.Lookup && f.Settings.Target == entity.Key))
            {
                var key = field.Key;
                var sourceId = source.Entity.Id;
                var selfId = record.Id;
                var query = Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.EntityTypeId == sourceId && r.Id != selfId && JsonSql.Text(r.Values, EF.Constant(key)) == idText), db, rights[sourceId]);
                var count = await query.CountAsync(ct);
                if (count == 0) continue;
                var rows = await query.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id).Take(take).ToListAsync(ct);
                groups.Add((source, field, count, rows));
            }
        }

        var columns = groups.ToDictionary(g => (g.Entity.Key, g.Field.Key), g => SummaryColumns(g.Entity, g.Field));
        var wanted = outgoing.Select(o => o.Id).ToList();
        foreach (var g in groups)
            foreach (var row in g.Rows)
            {
                var rowValues = RecordWriter.ParseValues(row.Values);
                foreach (var c in columns[(g.Entity.Key, g.Field.Key)])
                    if (FieldTypeRegistry.Find(c.Type) is { ShowsNames: true } type) wanted.AddRange(type.ReferencedIds(rowValues[c.Key]));
            }
        var names = await directory.NamesAsync(actor, wanted, ct);
        var dc = new DisplayContext(culture ?? CultureInfo.CurrentUICulture, k => t[k], names);

        return new RelatedRecords(
            outgoing.Select(o => new OutgoingLink(o.Field, o.Target, o.Id, names.TryGetValue(o.Id, out var n) ? n : null)).ToList(),
            groups.Select(g =>
            {
                var cols = columns[(g.Entity.Key, g.Field.Key)];
                return new RelatedGroup(g.Entity, g.Field, g.Count, cols, g.Rows.Select(r =>
                {
                    var rv = RecordWriter.ParseValues(r.Values);
                    var cells = cols.Select(c => Cell(g.Entity, c, r, rv, dc)).ToList();
                    return new RelatedRow(r.Id, r.Title, cells, ActivityUtc(r.UpdatedAt));
                }).ToList());
            }).ToList());
    }

    /// <summary>A value as text; a stage by the label it has in the record's own pipeline (keys repeat across pipelines).</summary>
    private static string Cell(EntityMeta entity, FieldDefinition field, Record record, JsonObject values, DisplayContext dc)
    {
        // A stage shows the label of the record's own pipeline (StageField.Display, given the pipeline).
        return FieldTypeRegistry.Find(field.Type)?.Display(values[field.Key], new FieldContext(field, entity), dc with { PipelineId = record.PipelineId }) ?? "";
    }

    /// <summary>
    /// What a small table of related records shows besides the title: the fields every record of the type is
    /// about (stage or status, amount, owner, close date), then other short fields, at most three.
    /// </summary>
    public static IReadOnlyList<FieldDefinition> SummaryColumns(EntityMeta entity, FieldDefinition except)
    {
        var preferred = new[] { entity.StageField, entity.StatusField, entity.AmountField, entity.OwnerField, entity.CloseDateField };
        var columns = preferred.OfType<FieldDefinition>().Where(f => f.Key != except.Key && f.Key != entity.Entity.TitleFieldKey).Distinct().ToList();
        foreach (var f in entity.Fields)
        {
            if (columns.Count >= 3) break;
            if (f.Key == except.Key || f.Key == entity.Entity.TitleFieldKey || columns.Contains(f)) continue;
            // Short values only: not long text, several choices or computed numbers.
            if (FieldTypeRegistry.Find(f.Type) is not { InDefaultList: true, IsComputed: false } type || type.KindOf(f.Settings) == FieldValueKind.Choices) continue;
            columns.Add(f);
        }
        return columns.Take(3).ToList();
    }

    private static DateTime ActivityUtc(DateTime value) => Activities.ActivityService.Utc(value);
}
