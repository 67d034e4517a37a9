using Crm.Core.Activities;
using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Crm.Core.Automation;

/// <summary>
/// Fires time-based rules (N days after a date, without activity, in a stage; N hours before a task is due). Each
/// call finds what is due in SQL (with an anti-join on the claims already made) and runs each firing through
/// <see cref="AutomationEngine"/>, which inserts the claim (rule, subject, occurrence) under a unique index in the same
/// transaction as the actions: two workers racing on the same firing run it once, on SQLite and PostgreSQL alike.
/// Run periodically by a hosted service (or a cross-instance job runner).
/// </summary>
public sealed class AutomationSweep(ICrmDbContextFactory factory, MetadataStore metadataStore, AutomationEngine engine, ILogger<AutomationSweep> log)
{
    /// <summary>Firings taken per rule and sweep; the rest wait for the next sweep.</summary>
    public const int BatchPerRule = 500;

    /// <summary>Tasks overdue by more than this when first seen are not announced any more.</summary>
    private static readonly TimeSpan TaskGrace = TimeSpan.FromDays(1);

    /// <summary>Runs every due firing once; returns how many this call claimed.</summary>
    public async Task<int> RunOnceAsync(DateTime utcNow, CancellationToken ct)
    {
        List<TenantInfo> tenants;
        await using (var global = factory.CreateGlobal()) tenants = await global.Tenants.AsNoTracking().ToListAsync(ct);
        var fired = 0;
        foreach (var tenant in tenants)
        {
            try { fired += await RunTenantAsync(tenant, utcNow, ct); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Automation sweep failed for workspace {Tenant}", tenant.Id); }
        }
        return fired;
    }

    /// <summary>Runs the due firings of one workspace; returns how many this call claimed.</summary>
    public async Task<int> RunTenantAsync(TenantInfo tenant, DateTime utcNow, CancellationToken ct)
    {
        await using var db = factory.CreateForTenant(tenant.Id);
        // Read fresh on every sweep: a rule disabled a moment ago does not fire.
        var rules = (await db.AutomationRules.AsNoTracking().Where(r => r.IsEnabled && !r.IsArchived).ToListAsync(ct))
            .Where(r => TriggerKinds.IsTimed(r.Trigger.Kind)).ToList();
        if (rules.Count == 0) return 0;
        var metadata = await metadataStore.GetAsync(db, ct);
        var zone = WorkspaceTimeZone.Resolve(tenant.TimeZone);
        var fired = 0;
        foreach (var rule in rules)
        {
            if (metadata.Entity(rule.EntityTypeId) is not { } entity) continue;
            foreach (var (recordId, by, claim) in await DueAsync(db, entity, rule, utcNow, zone, ct))
            {
                var run = await engine.RunAsync(new AutomationEngine.RunContext(tenant, metadata, rule, recordId, rule.Trigger.Kind, null, by ?? Guid.Empty, 1, claim), ct);
                if (run is not null) fired++;
            }
        }
        return fired;
    }

    private static async Task<List<(Guid RecordId, Guid? By, AutomationEngine.FiringClaim Claim)>> DueAsync(CrmDbContext db, EntityMeta entity, AutomationRule rule, DateTime utcNow, TimeZoneInfo zone, CancellationToken ct)
    {
        var ruleId = rule.Id;
        var entityId = entity.Entity.Id;
        var days = Math.Max(0, rule.Trigger.Days ?? 0);
        var records = db.Records.AsNoTracking().Where(r => r.EntityTypeId == entityId);
        switch (rule.Trigger.Kind)
        {
            case TriggerKinds.AfterDate:
            {
                if (entity.Field(rule.Trigger.Field ?? "") is not { } field) return [];
                var key = field.Key;
                // Dates are stored as yyyy-MM-dd (datetimes start so): due when the date is before today − N + 1.
                var bound = RecordFilters.Today((1 - days).ToString(System.Globalization.CultureInfo.InvariantCulture), utcNow, zone).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                var due = await records
                    .Where(r => JsonSql.Text(r.Values, EF.Constant(key)) != null && string.Compare(JsonSql.Text(r.Values, EF.Constant(key)), bound) < 0)
                    .Where(r => !db.AutomationFirings.Any(f => f.RuleId == ruleId && f.SubjectId == r.Id && f.Occurrence == JsonSql.Text(r.Values, EF.Constant(key))))
                    .OrderBy(r => r.Id).Take(BatchPerRule)
                    .Select(r => new { r.Id, r.OwnerId, Value = JsonSql.Text(r.Values, EF.Constant(key))! }).ToListAsync(ct);
                return due.Select(d => (d.Id, d.OwnerId, new AutomationEngine.FiringClaim(d.Id, d.Value, null))).ToList();
            }
            case TriggerKinds.NoActivity:
            {
                var cutoff = utcNow.AddDays(-days);
                var due = await records
                    .Where(r => (r.LastActivityAt ?? r.CreatedAt) <= cutoff)
                    .Where(r => !db.AutomationFirings.Any(f => f.RuleId == ruleId && f.SubjectId == r.Id && f.Anchor == (r.LastActivityAt ?? r.CreatedAt)))
                    .OrderBy(r => r.Id).Take(BatchPerRule)
                    .Select(r => new { r.Id, r.OwnerId, Anchor = r.LastActivityAt ?? r.CreatedAt }).ToListAsync(ct);
                return due.Select(d => (d.Id, d.OwnerId, Claim(d.Id, d.Anchor))).ToList();
            }
            case TriggerKinds.InStage:
            {
                var cutoff = utcNow.AddDays(-days);
                if (rule.Trigger.To is { } stageKey)
                {
                    var stageIds = entity.AllPipelines.SelectMany(p => p.AllStages).Where(s => s.Key == stageKey).Select(s => (Guid?)s.Id).ToList();
                    records = records.Where(r => stageIds.Contains(r.StageId));
                }
                var due = await records
                    .Where(r => r.StageId != null && r.StageEnteredAt != null && r.StageEnteredAt <= cutoff)
                    .Where(r => !db.AutomationFirings.Any(f => f.RuleId == ruleId && f.SubjectId == r.Id && f.Anchor == r.StageEnteredAt))
                    .OrderBy(r => r.Id).Take(BatchPerRule)
                    .Select(r => new { r.Id, r.OwnerId, Anchor = r.StageEnteredAt!.Value }).ToListAsync(ct);
                return due.Select(d => (d.Id, d.OwnerId, Claim(d.Id, d.Anchor))).ToList();
            }
            case TriggerKinds.TaskDue:
            {
                var until = utcNow.AddHours(Math.Max(0, rule.Trigger.Hours ?? 0));
                var since = utcNow - TaskGrace;
                var due = await db.Activities.AsNoTracking()
                    .Where(a => a.EntityTypeId == entityId && a.Kind == ActivityKind.Task && a.CompletedAt == null && a.DueAt != null && a.DueAt <= until && a.DueAt >= since)
                    .Where(a => !db.AutomationFirings.Any(f => f.RuleId == ruleId && f.SubjectId == a.Id && f.Anchor == a.DueAt))
                    .OrderBy(a => a.Id).Take(BatchPerRule)
                    .Select(a => new { a.Id, a.RecordId, a.AssigneeId, Due = a.DueAt!.Value }).ToListAsync(ct);
                return due.Select(d => (d.RecordId, d.AssigneeId, Claim(d.Id, d.Due))).ToList();
            }
            default:
                return [];
        }
    }

    private static AutomationEngine.FiringClaim Claim(Guid subject, DateTime anchor)
        => new(subject, anchor.ToString("O", System.Globalization.CultureInfo.InvariantCulture), anchor);
}
