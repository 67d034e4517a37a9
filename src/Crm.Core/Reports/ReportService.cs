using Crm.Core.Accounts;
using Crm.Core.Data;
using Crm.Core.Fields;
using Crm.Core.Metadata;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Reports;

/// <summary>What the report builder saves: a name, an entity type and the spec (new when <see cref="Key"/> is null).</summary>
public sealed record ReportDraft(string EntityKey, LocalizedText Name, ReportSpec Spec)
{
    public string? Key { get; init; }
    public LocalizedText? Description { get; init; }
    /// <summary>Shared with the workspace (admins), or the author's own (members).</summary>
    public bool Shared { get; init; } = true;
}

public sealed record ReportSaveResult(ReportDefinition? Report, ValidationErrors Errors)
{
    public bool Succeeded => Report is not null && Errors.IsEmpty;
}

/// <summary>
/// Saved reports: list, read, save from the builder (validated, field-named localized errors, nothing written on
/// error) and delete. Shared reports (on dashboards, exported with the configuration) are the admins'; members
/// save their own private reports; viewers only look.
/// </summary>
public sealed class ReportService(ICrmDbContextFactory factory, MetadataStore metadataStore, IStringLocalizer<CoreStrings> t, TimeProvider clock)
{
    public const int NameMaxLength = 100;

    /// <summary>The reports <paramref name="actor"/> can open, in list order (see <see cref="ReportTypes.ListRank"/>).</summary>
    public async Task<IReadOnlyList<ReportDefinition>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var me = actor.UserId;
        var reports = await db.Reports.AsNoTracking().Where(r => r.OwnerUserId == null || r.OwnerUserId == me).ToListAsync(ct);
        // An order a reader can see: built-in analyses first in a fixed order, then custom charts by name.
        return reports.OrderBy(r => ReportTypes.ListRank(r.Spec.Type))
            .ThenBy(r => r.Name.Get(), StringComparer.CurrentCulture).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
    }

    public async Task<ReportDefinition?> GetAsync(Actor actor, string key, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var me = actor.UserId;
        return await db.Reports.AsNoTracking().FirstOrDefaultAsync(r => r.Key == key && (r.OwnerUserId == null || r.OwnerUserId == me), ct);
    }

    /// <summary>May <paramref name="actor"/> change or delete <paramref name="report"/>?</summary>
    public static bool CanEdit(Actor actor, ReportDefinition report)
        => report.OwnerUserId is { } owner ? owner == actor.UserId && actor.CanEdit : actor.CanAdminister;

    public async Task<ReportSaveResult> SaveAsync(Actor actor, ReportDraft draft, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var errors = Validate(metadata, draft);
        if (!errors.IsEmpty) return new ReportSaveResult(null, errors);
        var entity = metadata.Entity(draft.EntityKey)!;
        var now = clock.GetUtcNow().UtcDateTime;
        var name = Tidy(draft.Name);

        ReportDefinition report;
        if (draft.Key is { } key)
        {
            report = await db.Reports.FirstOrDefaultAsync(r => r.Key == key, ct) ?? throw new KeyNotFoundException(key);
            if (!CanEdit(actor, report)) throw new ForbiddenException(report.OwnerUserId is null ? MemberRole.Admin : MemberRole.Member);
        }
        else
        {
            report = new ReportDefinition { Key = await NewKeyAsync(db, ct), CreatedAt = now, OwnerUserId = draft.Shared && actor.CanAdminister ? null : actor.UserId };
            db.Reports.Add(report);
        }
        report.Name = name;
        report.Description = draft.Description;
        report.EntityTypeId = entity.Entity.Id;
        report.Spec = Normalize(draft.Spec, entity);
        report.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return new ReportSaveResult(report, errors);
    }

    /// <summary>Deletes a report and takes it off every dashboard, in one transaction.</summary>
    public async Task<bool> DeleteAsync(Actor actor, string key, CancellationToken ct = default)
    {
        await factory.RequireCurrentAsync(actor, MemberRole.Member, ct);
        await using var db = factory.CreateForTenant(actor.TenantId);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var report = await db.Reports.FirstOrDefaultAsync(r => r.Key == key, ct);
        if (report is null || (report.OwnerUserId is { } owner && owner != actor.UserId)) return false;
        if (!CanEdit(actor, report)) throw new ForbiddenException(MemberRole.Admin);
        db.Reports.Remove(report);
        foreach (var dashboard in await db.Dashboards.ToListAsync(ct))
        {
            if (dashboard.Widgets.All(w => w.ReportKey != key)) continue;
            dashboard.Widgets = dashboard.Widgets.Where(w => w.ReportKey != key).ToList();
            dashboard.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>The builder's rules, keyed by the builder's inputs: name, entity, type, groupBy, bucket, measure, measureField, chart, filters.</summary>
    public ValidationErrors Validate(TenantMetadata metadata, ReportDraft draft)
    {
        var errors = new ValidationErrors();
        var name = Tidy(draft.Name);
        if (string.IsNullOrWhiteSpace(name.ZhCn) && string.IsNullOrWhiteSpace(name.En)) errors.Add("name", t["Report.Validation.NameRequired"]);
        else if (name.ZhCn.Length > NameMaxLength || name.En.Length > NameMaxLength) errors.Add("name", t["Report.Validation.NameTooLong", NameMaxLength]);

        var entity = metadata.Entity(draft.EntityKey);
        if (entity is null || entity.Entity.IsArchived) { errors.Add("entity", t["Report.Validation.Entity"]); return errors; }
        var spec = draft.Spec;
        if (!ReportTypes.Charts.Contains(spec.Chart)) errors.Add("chart", t["Report.Validation.Chart", spec.Chart]);
        if (!ReportTypes.IsKnown(spec.Type)) { errors.Add("type", t["Report.Validation.Type", spec.Type]); return errors; }
        if (spec.Type != ReportTypes.Custom)
        {
            if (!ReportTypes.Fits(spec.Type, entity)) errors.Add("type", t["Report.Validation.TypeDoesNotFit", entity.Entity.Label.Get()]);
            foreach (var option in ReportTypes.Find(spec.Type)!.OptionNames.Where(o => o != "bucket" && o != "excludeGroups"))
                if (spec.Options?[option] is null) { errors.Add("type", t["Report.Validation.Options"]); break; }
        }
        if (spec.Pipeline is { } pipeline && entity.Pipeline(pipeline) is null) errors.Add("pipeline", t["Record.UnknownPipeline", pipeline]);

        if (spec.Type == ReportTypes.Custom)
        {
            if (spec.GroupBy is { } group)
            {
                var kind = Dimension.Of(entity, group.Field);
                if (kind == Dimension.Kind.None) errors.Add("groupBy", t["Report.Validation.GroupBy", FieldLabel(entity, group.Field)]);
                else if (Dimension.IsDate(kind) && (group.Bucket is null || !ReportTypes.Buckets.Contains(group.Bucket))) errors.Add("bucket", t["Report.Validation.Bucket"]);
                else if (kind == Dimension.Kind.JsonRegion && group.Bucket is { } rb && !ReportTypes.RegionBuckets.Contains(rb)) errors.Add("bucket", t["Report.Validation.Bucket"]);
            }
            else if (spec.Chart is not ("kpi" or "table")) errors.Add("groupBy", t["Report.Validation.GroupByRequired"]);
            var measure = spec.Measure ?? new MeasureSpec();
            if (!ReportTypes.Aggregates.Contains(measure.Aggregate)) errors.Add("measure", t["Report.Validation.Aggregate", measure.Aggregate]);
            else if (measure.Aggregate != "count")
            {
                var field = entity.Field(measure.Field);
                if (!FieldType.IsNumericField(field))
                    errors.Add("measureField", t["Report.Validation.MeasureField"]);
            }
        }
        for (var i = 0; i < spec.Filters.Count; i++)
        {
            var f = spec.Filters[i];
            if (!f.Field.StartsWith('$') && entity.Field(f.Field) is null) errors.Add($"filters[{i}]", t["Report.Validation.Filter", f.Field]);
        }
        return errors;
    }

    /// <summary>Fields that reports can group by, in form order (the builder offers these).</summary>
    public static IEnumerable<FieldDefinition> GroupableFields(EntityMeta entity)
        => entity.Fields.Where(f => Dimension.Of(entity, f.Key, f) != Dimension.Kind.None);

    /// <summary>Fields that can be summed or averaged.</summary>
    public static IEnumerable<FieldDefinition> NumericFields(EntityMeta entity)
        => entity.Fields.Where(FieldType.IsNumericField);

    private static string FieldLabel(EntityMeta entity, string key) => entity.Field(key)?.Label.Get() ?? key;

    /// <summary>A name typed in one language fills the other until it is translated.</summary>
    private static LocalizedText Tidy(LocalizedText name)
    {
        var zh = name.ZhCn?.Trim() ?? "";
        var en = name.En?.Trim() ?? "";
        return new LocalizedText(zh.Length == 0 ? en : zh, en.Length == 0 ? zh : en);
    }

    /// <summary>Drops what the type does not use (a bucket on a non-date group, a measure field on count).</summary>
    private static ReportSpec Normalize(ReportSpec spec, EntityMeta entity)
    {
        if (spec.Type != ReportTypes.Custom) return spec with { GroupBy = null, Measure = null };
        var group = spec.GroupBy is { } g && !Dimension.IsDate(Dimension.Of(entity, g.Field)) ? g with { Bucket = null } : spec.GroupBy;
        var measure = spec.Measure is { Aggregate: "count" } ? new MeasureSpec() : spec.Measure ?? new MeasureSpec();
        return spec with { GroupBy = group, Measure = measure, Options = null };
    }

    private static async Task<string> NewKeyAsync(CrmDbContext db, CancellationToken ct)
    {
        while (true)
        {
            var key = "report_" + Guid.NewGuid().ToString("N")[..10];
            if (!await db.Reports.AnyAsync(r => r.Key == key, ct)) return key;
        }
    }
}
