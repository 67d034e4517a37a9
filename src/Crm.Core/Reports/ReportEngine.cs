using Crm.Core.Data;
using Crm.Core.Metadata;
using Crm.Core.Records;
using Crm.Core.Resources;
using Crm.Core.Security;
using Crm.Core.Tenancy;
using Microsoft.Extensions.Localization;

namespace Crm.Core.Reports;

/// <summary>
/// Runs any report — a saved one, or a spec from the report builder — and returns one <see cref="ReportResult"/>
/// that charts, tables, KPI tiles, the funnel and CSV all render. Every number is aggregated in SQL on the
/// tenant's connection (GROUP BY over records, transitions or activities); labels come from the metadata in the
/// current UI culture. A report that cannot run (a field it names is gone) returns a result with a problem
/// instead of throwing, so one broken widget never breaks a dashboard.
/// </summary>
public sealed class ReportEngine(ICrmDbContextFactory factory, MetadataStore metadataStore, RecordDirectory directory, JsonStatistics statistics, IStringLocalizer<CoreStrings> t, TimeProvider clock, ITenantStore tenants, Permissions.IAccessResolver access)
{
    public async Task<ReportResult> RunAsync(Actor actor, ReportDefinition report, ReportFilters? filters = null, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        return await RunAsync(actor, m => m.Entity(report.EntityTypeId), report.Spec, filters ?? ReportFilters.None, ct);
    }

    /// <summary>Runs an unsaved spec (the builder's preview) on <paramref name="entityKey"/>.</summary>
    public async Task<ReportResult> RunAsync(Actor actor, string entityKey, ReportSpec spec, ReportFilters? filters = null, CancellationToken ct = default)
    {
        actor.Require(MemberRole.Viewer);
        return await RunAsync(actor, m => m.Entity(entityKey), spec, filters ?? ReportFilters.None, ct);
    }

    private async Task<ReportResult> RunAsync(Actor actor, Func<TenantMetadata, EntityMeta?> entityOf, ReportSpec spec, ReportFilters filters, CancellationToken ct)
    {
        // One context (one connection) for the metadata check and the report's queries.
        await using var db = factory.CreateForTenant(actor.TenantId);
        var metadata = await metadataStore.GetAsync(db, ct);
        var entity = entityOf(metadata);
        if (entity is null)
            return new ReportResult { Type = spec.Type, Chart = spec.Chart, Dimension = "", Columns = [], Rows = [], Problem = t["Report.Problem.NoEntity"] };
        // The zone as stored now (an admin may have changed it since this circuit started), through the store's cache.
        var zone = WorkspaceTimeZone.Resolve((await tenants.GetByIdAsync(actor.TenantId, ct))?.TimeZone ?? actor.Tenant.TimeZone);
        var rights = await access.GetAllAsync(actor, metadata.EntityTypes.Select(e => e.Entity.Id).ToList(), ct);
        // A report that groups, sums, filters or buckets by a field hidden from the viewer is not computed for them.
        if (ReportFieldUse.FirstHidden(metadata, entity, spec, filters, rights) is { } hidden)
            return new ReportResult
            {
                Type = spec.Type, Chart = spec.Chart, Dimension = "", Columns = [], Rows = [], HiddenField = hidden,
                Problem = t["Report.Problem.HiddenField", hidden.Label],
            };
        var c = new ReportContext(db, metadata, entity, spec, filters, actor, clock.GetUtcNow().UtcDateTime, zone, t, directory, statistics, rights);
        if (spec.Type != ReportTypes.Custom && ReportTypes.Find(spec.Type) is not null && !ReportTypes.Fits(spec.Type, entity))
            return c.Problem(t["Report.Problem.DoesNotFit", entity.Entity.Label.Get()]);
        return spec.Type switch
        {
            ReportTypes.Custom => await CustomReport.RunAsync(c, ct),
            "funnel" => await PipelineReports.FunnelAsync(c, ct),
            "pipelineValue" => await PipelineReports.PipelineValueAsync(c, ct),
            "winRate" => await PipelineReports.WinRateAsync(c, ct),
            "salesCycle" => await PipelineReports.SalesCycleAsync(c, ct),
            "timeInStage" => await PipelineReports.TimeInStageAsync(c, ct),
            "forecast" => await PipelineReports.ForecastAsync(c, ct),
            "statusDistribution" => await StatusReports.DistributionAsync(c, ct),
            "statusTrend" => await StatusReports.TrendAsync(c, ct),
            "churnWarning" => await StatusReports.ChurnWarningAsync(c, ct),
            "ticketsByStatus" => await StatusReports.TicketsByStatusAsync(c, ct),
            "activitiesByOwner" => await ActivityReports.ByOwnerAsync(c, ct),
            "activitiesByChannel" => await ActivityReports.ByChannelAsync(c, ct),
            "interactionFrequency" => await ActivityReports.FrequencyAsync(c, ct),
            "campaignRoi" => await MarketingReports.CampaignRoiAsync(c, ct),
            "leadSourceConversion" => await MarketingReports.LeadSourceConversionAsync(c, ct),
            "ticketResolution" => await TicketReports.ResolutionAsync(c, ct),
            "poolActivity" => await PoolReports.ActivityAsync(c, ct),
            _ => c.Problem(t["Report.Problem.UnknownType", spec.Type]),
        };
    }
}
