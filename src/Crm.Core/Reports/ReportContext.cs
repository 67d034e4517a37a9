using System.Text.Json.Nodes;
using Crm.Core.Activities;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Reports;

/// <summary>
/// One report run: the context (one database context, the metadata snapshot, the entity type, the report spec,
/// the viewer's filters) and the queries every report starts from, with all filters already applied in SQL.
/// </summary>
internal sealed class ReportContext(CrmDbContext db, TenantMetadata metadata, EntityMeta entity, ReportSpec spec, ReportFilters filters,
    Actor actor, DateTime now, TimeZoneInfo zone, IStringLocalizer<CoreStrings> t, RecordDirectory directory, JsonStatistics statistics,
    IReadOnlyDictionary<Guid, Permissions.EntityAccess> rights)
{
    /// <summary>The viewer's read access to the report's entity type: every query starts from the records it reaches.</summary>
    public Permissions.EntityAccess Rights => rights[entity.Entity.Id];

    /// <summary>Records of any entity type narrowed to those the viewer may read (reports that join a second type).</summary>
    public IQueryable<Record> Visible(IQueryable<Record> query) => Permissions.RecordScope.Apply(query, db, rights);

    /// <summary>The workspace's time zone: days, weeks and months of instants, and the days of the date range, are local to it.</summary>
    public TimeZoneInfo Zone => zone;

    /// <summary>The zone as the provider's SQL takes it (see <see cref="DateSql.ZoneArgument"/>); wrap in <c>EF.Constant</c>.</summary>
    public string ZoneSql { get; } = DateSql.ZoneArgument(zone, db.Database.IsNpgsql(), now);

    /// <summary>The workspace's wall clock now (for "this month" and the last bucket of a trend).</summary>
    public DateTime LocalNow => WorkspaceTimeZone.ToLocal(now, zone);

    /// <summary>The first instant of the range: the start of its first day in the workspace's zone.</summary>
    public DateTime? FromUtc => filters.From is { } from ? WorkspaceTimeZone.StartOfDayUtc(from, zone) : null;

    /// <summary>The first instant after the range (the end day is included), in the workspace's zone.</summary>
    public DateTime? ToExclusiveUtc => filters.To is { } to ? WorkspaceTimeZone.StartOfDayUtc(to.AddDays(1), zone) : null;

    /// <summary>
    /// The range as record filters on an instant (<c>$createdAt</c>, <c>$updatedAt</c>, a date-time field): from the
    /// start of the first local day to before the start of the day after the last, as ISO instants.
    /// </summary>
    public IEnumerable<FilterSpec> InstantRangeOn(string field)
    {
        static JsonNode Iso(DateTime utc) => JsonValue.Create(utc.ToString(Fields.Types.DateTimeField.Format, System.Globalization.CultureInfo.InvariantCulture));
        if (FromUtc is { } from) yield return new FilterSpec(field, "gte", Iso(from));
        if (ToExclusiveUtc is { } to) yield return new FilterSpec(field, "lt", Iso(to));
    }

    /// <summary>Call before a GROUP BY on a field's JSON value: on PostgreSQL the planner then knows how many groups to expect.</summary>
    public Task GroupingByJsonAsync(string key, CancellationToken ct) => statistics.EnsureAsync(db, key, ct);

    public CrmDbContext Db => db;
    public TenantMetadata Metadata => metadata;
    public EntityMeta Entity => entity;
    public ReportSpec Spec => spec;
    public ReportFilters Filters => filters;
    public Actor Actor => actor;
    public DateTime Now => now;

    public string T(string key, params object[] args) => args.Length == 0 ? t[key] : t[key, args];

    /// <summary>The report's pipeline, else the entity type's default one.</summary>
    public PipelineMeta? Pipeline => (spec.Pipeline is { } key ? entity.Pipeline(key) : null) ?? entity.DefaultPipeline;

    public StatusListMeta? StatusList => entity.Owner.StatusList(entity.StatusField?.Settings.StatusList);

    public string? Option(string name) => spec.Options?[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    public int? IntOption(string name) => spec.Options?[name] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;

    public IReadOnlyList<string> ListOption(string name) => spec.Options?[name] is JsonArray a
        ? a.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).Where(s => s is not null).Select(s => s!).ToList()
        : Option(name) is { } one ? [one] : [];

    /// <summary>
    /// The entity type's records narrowed by the report's filters, the viewer's field filters, the owner (unless
    /// <paramref name="owner"/> is false: activity reports filter the activity's owner instead) and the date range
    /// when it applies to the record (<paramref name="axis"/> creation or close date).
    /// </summary>
    public IQueryable<Record> Records(DateAxis axis, bool owner = true)
    {
        var entityId = entity.Entity.Id;
        var query = Permissions.RecordScope.Apply(db.Records.AsNoTracking().Where(r => r.EntityTypeId == entityId), db, Rights);
        var specs = new List<FilterSpec>(spec.Filters);
        specs.AddRange(filters.Fields);
        if (owner && filters.OwnerId is { } o) specs.Add(new FilterSpec("$owner", "eq", JsonValue.Create(o.ToString())));
        if (axis == DateAxis.Created) specs.AddRange(InstantRangeOn("$createdAt"));
        if (axis == DateAxis.CloseDate && entity.Entity.CloseDateFieldKey is { } closeDate) specs.AddRange(filters.RangeOn(closeDate));
        return RecordFilters.Apply(query, entity, specs, actor.UserId, now, zone);
    }

    /// <summary>True when <see cref="Records"/> leaves out some records (so dependent rows must be joined to it).</summary>
    public bool NarrowsRecords(DateAxis axis, bool owner = true)
        => !Rights.Read.IsAll || spec.Filters.Count > 0 || filters.Fields.Count > 0 || (owner && filters.OwnerId is not null)
           || (filters.HasRange && (axis == DateAxis.Created || (axis == DateAxis.CloseDate && entity.Entity.CloseDateFieldKey is not null)));

    /// <summary>Stage or status changes of this entity type, in the date range, of the records the filters keep.</summary>
    public IQueryable<RecordTransition> Transitions(TransitionKind kind, bool inRange = true)
    {
        var entityId = entity.Entity.Id;
        var query = db.Transitions.AsNoTracking().Where(x => x.EntityTypeId == entityId && x.Kind == kind);
        if (inRange && FromUtc is { } from) query = query.Where(x => x.At >= from);
        if (ToExclusiveUtc is { } to) query = query.Where(x => x.At < to);
        if (NarrowsRecords(DateAxis.Change))
        {
            var ids = Records(DateAxis.Change).Select(r => r.Id);
            query = query.Where(x => ids.Contains(x.RecordId));
        }
        return query;
    }

    /// <summary>Activities on this entity type's records: in the date range, of the owner filtered on, on the records the other filters keep.</summary>
    public IQueryable<Activity> Activities(bool interactionsOnly)
    {
        var entityId = entity.Entity.Id;
        var query = db.Activities.AsNoTracking().Where(a => a.EntityTypeId == entityId);
        if (interactionsOnly) query = query.Where(a => Interactions.Contains(a.Kind));
        if (FromUtc is { } from) query = query.Where(a => a.OccurredAt >= from);
        if (ToExclusiveUtc is { } to) query = query.Where(a => a.OccurredAt < to);
        if (filters.OwnerId is { } owner) query = query.Where(a => a.OwnerId == owner);
        if (NarrowsRecords(DateAxis.Activity, owner: false))
        {
            var ids = Records(DateAxis.Activity, owner: false).Select(r => r.Id);
            query = query.Where(a => ids.Contains(a.RecordId));
        }
        return query;
    }

    public static readonly ActivityKind[] Interactions = [ActivityKind.Call, ActivityKind.Email, ActivityKind.Meeting, ActivityKind.Message];

    public Task<IReadOnlyDictionary<Guid, string>> NamesAsync(IEnumerable<Guid> ids, CancellationToken ct) => directory.NamesAsync(actor, ids, ct);

    /// <summary>A field of this entity type named by a report option, checked for its kind; null (and a problem) when unusable.</summary>
    public FieldDefinition? OptionField(string option, Func<FieldDefinition, bool> fits, EntityMeta? on = null)
    {
        var key = Option(option);
        var field = (on ?? entity).Field(key);
        return field is not null && fits(field) ? field : null;
    }

    public ReportResult Problem(string message) => new()
    {
        Type = spec.Type,
        Chart = spec.Chart,
        Dimension = "",
        Columns = [],
        Rows = [],
        Problem = message,
    };

    public ReportResult Result(string dimension, IReadOnlyList<ReportColumn> columns, IReadOnlyList<ReportRow> rows) => new()
    {
        Type = spec.Type,
        Chart = spec.Chart,
        Dimension = dimension,
        Columns = columns,
        Rows = rows,
        TotalRows = rows.Count,
    };

    public static decimal? Ratio(decimal part, decimal whole) => whole == 0 ? null : Math.Round(part * 100m / whole, 1, MidpointRounding.AwayFromZero);

    public static decimal? Round(double? value, int digits = 2) => value is { } v && !double.IsNaN(v) && !double.IsInfinity(v) ? Math.Round((decimal)v, digits, MidpointRounding.AwayFromZero) : null;

    public string AmountCurrency => entity.AmountField?.Settings.Currency ?? "CNY";
}
