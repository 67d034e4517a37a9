using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Crm.Core.Audit;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Lists;
using Crm.Core.Metadata;
using Crm.Core.Permissions;
using Crm.Core.Records;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Crm.Core.Views;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Export;

/// <summary>One column of an export: a field key or a record attribute ($createdAt, $updatedAt), and its header.</summary>
public sealed record ExportColumn(string Key, FieldDefinition? Field, string Header);

/// <summary>What an export will write, worked out (and audited) before the first byte goes out.</summary>
public sealed class ExportPlan
{
    internal ExportPlan(Actor actor, EntityMeta entity, EntityFieldView fields, RecordQuery query, IReadOnlyList<ExportColumn> columns, int total, CultureInfo culture, TimeZoneInfo zone)
        => (Actor, Entity, Fields, Query, Columns, Total, Culture, Zone) = (actor, entity, fields, query, columns, total, culture, zone);

    public Actor Actor { get; }
    public EntityMeta Entity { get; }
    public EntityFieldView Fields { get; }
    public RecordQuery Query { get; }
    public IReadOnlyList<ExportColumn> Columns { get; }
    /// <summary>The number of records the export holds (counted when planned).</summary>
    public int Total { get; }
    public CultureInfo Culture { get; }
    public TimeZoneInfo Zone { get; }
    public IReadOnlyList<string> Header => Columns.Select(c => c.Header).ToList();
}

/// <summary>
/// Exports a record list as the person sees it: the view's filters, sort, quick search and visible columns, within
/// their read scope (<see cref="RecordScope"/> in SQL) and without fields hidden from them (<see cref="EntityFieldView"/>).
/// Values are written as the list displays them (option labels, member and record names, local dates). Records are
/// read in pages of <see cref="PageSize"/> (count + ORDER BY … LIMIT/OFFSET, the list's own query), inside one
/// read transaction so pages do not shift under concurrent writes; rows go to the writer as they are read.
/// Every export is audited (<see cref="AuditActions.RecordsExported"/>) before it starts.
/// </summary>
public sealed class RecordExporter(ICrmDbContextFactory factory, MetadataStore metadataStore, RecordDirectory directory, TimeProvider clock, IAccessResolver access,
    AuditTrail audit, IStringLocalizer<Resources.CoreStrings> t)
{
    public const int PageSize = 500;

    /// <summary>
    /// The export of <paramref name="entityKey"/> with <paramref name="definition"/> (a saved view's definition, or the
    /// list's unsaved state). Null when the entity type does not exist. Writes the audit entry.
    /// </summary>
    public async Task<ExportPlan?> PlanAsync(Actor actor, string entityKey, ViewDefinition definition, ExportFormat format, CultureInfo? culture = null, CancellationToken ct = default)
    {
        culture ??= CultureInfo.CurrentUICulture;
        await using var db = factory.CreateForTenant(actor.TenantId);
        var entity = (await metadataStore.GetAsync(db, ct)).Entity(entityKey);
        if (entity is null || entity.Entity.IsArchived) return null;
        var fields = await access.FieldViewAsync(actor, entity, ct);
        definition = fields.Restrict(SavedViewService.Sanitize(entity, definition));
        var query = RecordListService.Restrict(new RecordQuery { Filters = definition.Filters, Sort = definition.Sort, Search = definition.Search }, fields);
        var columns = Columns(entity, definition, fields, culture);
        var zone = Tenancy.WorkspaceTimeZone.Resolve(actor.Tenant.TimeZone);
        var total = await RecordListService.Matching(db, entity, query, actor.UserId, clock.GetUtcNow().UtcDateTime, zone, fields.Access, fields).CountAsync(ct);

        var details = new JsonObject
        {
            ["entity"] = entity.Key,
            ["format"] = ExportFormats.Extension(format),
            ["rows"] = total,
            ["columns"] = new JsonArray(columns.Select(c => (JsonNode)JsonValue.Create(c.Key)!).ToArray()),
            ["filters"] = query.Filters.Count,
        };
        if (query.Search is { } search) details["search"] = search;
        audit.Stage(db, actor, new AuditEvent(AuditActions.RecordsExported, AuditActions.Targets.EntityType, entity.Entity.Id.ToString(), entity.Entity.PluralLabel.Get(culture), details));
        await db.SaveChangesAsync(ct);
        return new ExportPlan(actor, entity, fields, query, columns, total, culture, zone);
    }

    /// <summary>The visible columns in the view's order; the title first when the view leaves it out (as the list does).</summary>
    public IReadOnlyList<ExportColumn> Columns(EntityMeta entity, ViewDefinition definition, EntityFieldView fields, CultureInfo culture)
    {
        var keys = definition.Columns.Where(fields.CanUse).ToList();
        if (keys.Count == 0) keys = fields.Fields.Where(f => FieldTypeRegistry.Find(f.Type) is not null).Take(8).Select(f => f.Key).ToList();
        if (entity.Entity.TitleFieldKey is { } title && !keys.Contains(title)) keys.Insert(0, title);
        var columns = new List<ExportColumn>();
        foreach (var key in keys.Distinct(StringComparer.Ordinal))
        {
            if (SavedViewService.AttributeColumns.Contains(key)) columns.Add(new ExportColumn(key, null, t.WithCulture(culture, $"Export.Column.{key.TrimStart('$')}")));
            else if (entity.Field(key) is { IsArchived: false } field && FieldTypeRegistry.Find(field.Type) is not null) columns.Add(new ExportColumn(key, field, field.Label.Get(culture)));
        }
        return columns;
    }

    /// <summary>The rows as text, page by page (one query per page plus one for the names it refers to).</summary>
    public async IAsyncEnumerable<IReadOnlyList<string>> RowsAsync(ExportPlan plan, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = factory.CreateForTenant(plan.Actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var matching = RecordListService.Matching(db, plan.Entity, plan.Query, plan.Actor.UserId, clock.GetUtcNow().UtcDateTime, plan.Zone, plan.Fields.Access, plan.Fields);
        var ordered = RecordFilters.Sort(matching, plan.Entity, plan.Query.Sort);
        var dc0 = new DisplayContext(plan.Culture, k => t.WithCulture(plan.Culture, k), null, plan.Zone);
        for (var skip = 0; ; skip += PageSize)
        {
            var rows = await ordered.Skip(skip).Take(PageSize)
                .Select(r => new { r.Id, r.Title, r.Values, r.Version, r.OwnerId, r.PipelineId, r.CreatedAt, r.UpdatedAt })
                .ToListAsync(ct);
            if (rows.Count == 0) break;
            var items = rows.Select(r => new RecordListItem(r.Id, plan.Fields.Title(r.Title), plan.Fields.Visible(RecordWriter.ParseValues(r.Values)), r.Version,
                plan.Fields.OwnerHidden ? null : r.OwnerId, r.PipelineId, r.CreatedAt, r.UpdatedAt)).ToList();
            var referenced = RecordListService.ReferencedIds(plan.Entity, items);
            var names = referenced.Count == 0 ? new Dictionary<Guid, string>() : await directory.NamesAsync(plan.Actor, referenced, ct);
            var dc = dc0 with { Names = names };
            foreach (var item in items) yield return Row(plan, item, dc);
            if (rows.Count < PageSize) break;
        }
        await tx.CommitAsync(ct);
    }

    private static IReadOnlyList<string> Row(ExportPlan plan, RecordListItem item, DisplayContext dc)
    {
        var cells = new string[plan.Columns.Count];
        for (var i = 0; i < cells.Length; i++)
        {
            var column = plan.Columns[i];
            if (column.Field is not { } field)
            {
                var at = column.Key == "$createdAt" ? item.CreatedAt : item.UpdatedAt;
                cells[i] = dc.ToLocal(at).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
                continue;
            }
            var value = item.Values[field.Key];
            if (field.Key == plan.Entity.Entity.TitleFieldKey && plan.Fields.TitleHidden) cells[i] = EntityFieldView.HiddenText;
            else if (field.Type == "stage" && item.PipelineId is { } pid && value is JsonValue v && v.TryGetValue<string>(out var key) && plan.Entity.Pipeline(pid)?.Stage(key) is { } stage)
                cells[i] = stage.Label.Get(dc.Culture);
            else cells[i] = FieldTypeRegistry.Get(field.Type).Display(value, new FieldContext(field, plan.Entity), dc);
        }
        return cells;
    }

    /// <summary>The file name: entity key, workspace and time, e.g. <c>customer-acme-20260305-0930.xlsx</c>.</summary>
    public static string FileName(ExportPlan plan, ExportFormat format, DateTime utcNow)
        => $"{plan.Entity.Key}-{plan.Actor.Tenant.Identifier}-{utcNow:yyyyMMdd-HHmm}.{ExportFormats.Extension(format)}";
}

internal static class LocalizerCulture
{
    /// <summary>
    /// The workspace's default culture (zh-CN unless it is en): the culture of text that is stored and read by
    /// everyone — record titles, automation texts — so that it does not depend on who wrote it.
    /// </summary>
    public static CultureInfo WorkspaceCulture(TenantInfo tenant) => CultureInfo.GetCultureInfo(tenant.DefaultCulture == "en" ? "en" : "zh-CN");

    /// <summary>How stored text displays values (是/否, option labels): in the workspace's default culture, with its words.</summary>
    public static DisplayContext WorkspaceDisplay(this IStringLocalizer t, TenantInfo tenant)
    {
        var culture = WorkspaceCulture(tenant);
        return new DisplayContext(culture, k => t.WithCulture(culture, k));
    }

    /// <summary>A resource string in <paramref name="culture"/> (exports run outside the UI's culture scope).</summary>
    public static string WithCulture(this IStringLocalizer t, CultureInfo culture, string key)
    {
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = culture;
            return t[key];
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }
}
